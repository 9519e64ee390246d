package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newClient(t *testing.T, cfg OutgoingConfig) *SafeClient {
	t.Helper()
	c, err := NewSafeClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.client.CloseIdleConnections)
	return c
}

// countingServer is an httptest server that counts the requests it receives.
type countingServer struct {
	*httptest.Server
	hits atomic.Int32
}

func newCountingServer(t *testing.T, h http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func hostPort(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func TestAddressProblem(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1":              "loopback",
		"127.255.0.9":            "loopback",
		"10.1.2.3":               "private",
		"172.16.0.1":             "private",
		"172.31.255.255":         "private",
		"192.168.1.1":            "private",
		"169.254.169.254":        "link-local",
		"100.64.0.1":             "shared (CGNAT)",
		"0.0.0.0":                "unspecified",
		"224.0.0.1":              "multicast",
		"255.255.255.255":        "reserved",
		"::1":                    "loopback",
		"::":                     "unspecified",
		"fe80::1":                "link-local",
		"fc00::1":                "private",
		"fd12:3456::1":           "private",
		"ff02::1":                "multicast",
		"::ffff:127.0.0.1":       "loopback",
		"::ffff:10.0.0.1":        "private",
		"::127.0.0.1":            "reserved (IPv4-compatible)",
		"64:ff9b::7f00:1":        "loopback", // NAT64 of 127.0.0.1
		"64:ff9b::a9fe:a9fe":     "link-local",
		"2002:7f00:1::":          "loopback", // 6to4 of 127.0.0.1
		"8.8.8.8":                "",
		"93.184.216.34":          "",
		"172.32.0.1":             "",
		"2606:4700:4700::1111":   "",
		"64:ff9b::808:808":       "", // NAT64 of 8.8.8.8
		"2002:808:808::1":        "",
		"100.128.0.1":            "",
		"fe80::1%eth0":           "link-local",
		"192.0.2.1":              "", // documentation range: not reachable anyway, not internal
		"198.18.0.1":             "reserved (benchmarking)",
		"::ffff:169.254.169.254": "link-local",
	} {
		a := netip.MustParseAddr(addr)
		if got := addressProblem(a); got != want {
			t.Errorf("addressProblem(%s) = %q, want %q", addr, got, want)
		}
	}
}

func TestValidateURL(t *testing.T) {
	c := newClient(t, OutgoingConfig{})
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		want error // nil: valid
	}{
		{"https://8.8.8.8/hook", nil},
		{"http://93.184.216.34:8080/x?y=z", nil},
		{"https://[2606:4700:4700::1111]/hook", nil},
		{"", ErrInvalidURL},
		{"ftp://8.8.8.8/x", ErrInvalidURL},
		{"javascript:alert(1)", ErrInvalidURL},
		{"file:///etc/passwd", ErrInvalidURL},
		{"8.8.8.8/hook", ErrInvalidURL},
		{"https://", ErrInvalidURL},
		{"http:///path", ErrInvalidURL},
		{"https://8.8.8.8:99999/", ErrInvalidURL},
		{"https://8.8.8.8:/", ErrInvalidURL},
		{"http://%zz/", ErrInvalidURL},
		{"http://127.0.0.1/", ErrForbiddenAddress},
		{"http://10.0.0.5:8080/", ErrForbiddenAddress},
		{"http://169.254.169.254/latest/meta-data/", ErrForbiddenAddress},
		{"http://[::1]:3080/", ErrForbiddenAddress},
		{"http://[::ffff:127.0.0.1]/", ErrForbiddenAddress},
		{"http://[fe80::1%25eth0]/", ErrForbiddenAddress},
		{"http://0.0.0.0:3080/", ErrForbiddenAddress},
		{"http://100.64.1.1/", ErrForbiddenAddress},
		// A DNS name resolving to loopback (from /etc/hosts, no network needed).
		{"http://localhost:3080/", ErrForbiddenAddress},
		{"http://LOCALHOST./", ErrForbiddenAddress},
	} {
		err := c.ValidateURL(ctx, tc.url)
		if tc.want == nil {
			if err != nil {
				t.Errorf("ValidateURL(%q) = %v, want nil", tc.url, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("ValidateURL(%q) = %v, want %v", tc.url, err, tc.want)
		}
		if !IsPermanent(err) {
			t.Errorf("ValidateURL(%q) error is not permanent", tc.url)
		}
	}
	// Errors explain themselves.
	err := c.ValidateURL(ctx, "http://localhost/")
	if err == nil || !strings.Contains(err.Error(), `host "localhost" resolves to 127.0.0.1, a loopback address`) || !strings.Contains(err.Error(), "WEBHOOK_ALLOWED_HOSTS") {
		t.Errorf("error = %v", err)
	}
	err = c.ValidateURL(ctx, "gopher://x/")
	if err == nil || !strings.Contains(err.Error(), `the scheme must be http or https, not "gopher"`) {
		t.Errorf("error = %v", err)
	}
}

func TestValidateURLUnresolvable(t *testing.T) {
	c := newClient(t, OutgoingConfig{Resolver: fakeResolver{}})
	err := c.ValidateURL(context.Background(), "https://nowhere.invalid/")
	if err == nil || !strings.Contains(err.Error(), `cannot resolve host "nowhere.invalid"`) {
		t.Errorf("error = %v", err)
	}
	if IsPermanent(err) {
		t.Error("a resolution failure should be temporary")
	}
}

func TestParseAllowList(t *testing.T) {
	l, err := ParseAllowList([]string{" 127.0.0.1 ", "localhost", "hooks.internal:8443", "10.0.0.0/8", "[::1]:9000", "fd00::/8", ""})
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddr
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"localhost:1", true},
		{"localhost.:80", false}, // names are normalised by callers; raw lookups are exact
		{"hooks.internal:8443", true},
		{"hooks.internal:443", false},
		{"other:80", false},
	} {
		host, port, _ := strings.Cut(tc.name, ":")
		var p uint16
		fmt.Sscan(port, &p)
		if got := l.allowsName(host, p); got != tc.ok {
			t.Errorf("allowsName(%s) = %v", tc.name, got)
		}
	}
	for _, tc := range []struct {
		a    string
		port uint16
		ok   bool
	}{
		{"127.0.0.1", 80, true},
		{"::ffff:127.0.0.1", 80, true},
		{"127.0.0.2", 80, false},
		{"10.9.8.7", 443, true},
		{"11.0.0.1", 443, false},
		{"::1", 9000, true},
		{"::1", 9001, false},
		{"fd12::1", 1, true},
	} {
		if got := l.allowsAddr(addr(tc.a), tc.port); got != tc.ok {
			t.Errorf("allowsAddr(%s, %d) = %v", tc.a, tc.port, got)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "host:0", "host:http", "exa mple.com", "http://x", "a..b"} {
		if _, err := ParseAllowList([]string{bad}); err == nil || !strings.Contains(err.Error(), "WEBHOOK_ALLOWED_HOSTS") {
			t.Errorf("ParseAllowList(%q) = %v, want an error naming the variable", bad, err)
		}
	}
}

func TestPostRefusesLoopback(t *testing.T) {
	srv := newCountingServer(t, nil)
	c := newClient(t, OutgoingConfig{})
	_, err := c.Post(context.Background(), srv.URL+"/hook", nil, []byte("{}"))
	if !errors.Is(err, ErrForbiddenAddress) || !IsPermanent(err) {
		t.Fatalf("Post to loopback = %v, want a permanent forbidden-address error", err)
	}
	if srv.hits.Load() != 0 {
		t.Error("the server received a request")
	}
}

func TestPostAllowedHosts(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "got %s", b)
	})
	hp := hostPort(t, srv.URL)
	_, port, _ := net.SplitHostPort(hp)
	ctx := context.Background()
	for _, allow := range []string{"127.0.0.1", "127.0.0.0/8", hp, "localhost", "localhost:" + port} {
		c := newClient(t, OutgoingConfig{AllowedHosts: []string{allow}})
		target := srv.URL
		if strings.HasPrefix(allow, "localhost") {
			target = "http://localhost:" + port
		}
		resp, err := c.Post(ctx, target+"/hook", nil, []byte("ping"))
		if err != nil {
			t.Errorf("allow %q: %v", allow, err)
			continue
		}
		if string(resp.Body) != "got ping" {
			t.Errorf("allow %q: body %q", allow, resp.Body)
		}
		if err := c.ValidateURL(ctx, target); err != nil {
			t.Errorf("allow %q: ValidateURL = %v", allow, err)
		}
	}
	// A port-specific entry does not allow other ports.
	c := newClient(t, OutgoingConfig{AllowedHosts: []string{"127.0.0.1:1"}})
	if _, err := c.Post(ctx, srv.URL, nil, nil); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("other port: %v", err)
	}
}

// fakeResolver answers from a map and counts lookups per host; DNS itself cannot be run
// in a test without network, and the point here is what the client does with answers.
type fakeResolver struct {
	answers map[string][][]netip.Addr // successive answers; the last one repeats
	mu      *sync.Mutex
	calls   map[string]int
}

func (r fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if r.mu == nil {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seq, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	i := r.calls[host]
	r.calls[host]++
	if i >= len(seq) {
		i = len(seq) - 1
	}
	return seq[i], nil
}

func newFakeResolver(answers map[string][][]netip.Addr) fakeResolver {
	return fakeResolver{answers: answers, mu: &sync.Mutex{}, calls: map[string]int{}}
}

func TestDNSRebindingRefusedAtDial(t *testing.T) {
	srv := newCountingServer(t, nil)
	_, port, _ := net.SplitHostPort(hostPort(t, srv.URL))
	public, loopback := netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("127.0.0.1")
	// The first answer is public (what validation sees), later ones loopback (what a
	// rebinding DNS server gives the request).
	res := newFakeResolver(map[string][][]netip.Addr{"rebind.example": {{public}, {loopback}}})
	c := newClient(t, OutgoingConfig{Resolver: res})
	target := "http://rebind.example:" + port + "/hook"
	if err := c.ValidateURL(context.Background(), target); err != nil {
		t.Fatalf("ValidateURL = %v (first answer is public)", err)
	}
	_, err := c.Post(context.Background(), target, nil, nil)
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("Post = %v, want forbidden address", err)
	}
	if srv.hits.Load() != 0 {
		t.Error("the loopback server received a request")
	}
	// A name resolving to both public and private addresses is refused by validation.
	res = newFakeResolver(map[string][][]netip.Addr{"mixed.example": {{public, loopback}}})
	c = newClient(t, OutgoingConfig{Resolver: res})
	if err := c.ValidateURL(context.Background(), "http://mixed.example/"); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("mixed answers: %v", err)
	}
	// An IP allowed by CIDR is reachable through a name that resolves to it.
	res = newFakeResolver(map[string][][]netip.Addr{"internal.example": {{loopback}}})
	c = newClient(t, OutgoingConfig{Resolver: res, AllowedHosts: []string{"127.0.0.0/8"}})
	if _, err := c.Post(context.Background(), "http://internal.example:"+port+"/", nil, nil); err != nil {
		t.Errorf("CIDR-allowed name: %v", err)
	}
	if srv.hits.Load() != 1 {
		t.Errorf("server hits = %d, want 1", srv.hits.Load())
	}
}

func TestRedirects(t *testing.T) {
	private := newCountingServer(t, nil)
	redirector := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, private.URL+"/internal", http.StatusTemporaryRedirect)
	})
	// Only the redirector's host:port is allowed, so the redirect target is not.
	c := newClient(t, OutgoingConfig{AllowedHosts: []string{hostPort(t, redirector.URL)}})
	_, err := c.Post(context.Background(), redirector.URL+"/hook", nil, []byte("x"))
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("redirect to a private address: %v", err)
	}
	if private.hits.Load() != 0 || redirector.hits.Load() != 1 {
		t.Errorf("hits: redirector %d, private %d", redirector.hits.Load(), private.hits.Load())
	}

	// Redirects among allowed addresses are followed, at most MaxRedirects times.
	var loop *countingServer
	loop = newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, loop.URL+"/again", http.StatusTemporaryRedirect)
	})
	c = newClient(t, OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}, MaxRedirects: 2})
	_, err = c.Post(context.Background(), loop.URL, nil, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "stopped after 2 redirects") {
		t.Errorf("redirect loop: %v", err)
	}
	if got := loop.hits.Load(); got != 3 {
		t.Errorf("redirect loop hits = %d, want 3 (the request and 2 redirects)", got)
	}

	final := newCountingServer(t, nil)
	hop := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final.URL+"/done", http.StatusPermanentRedirect)
	})
	if _, err := c.Post(context.Background(), hop.URL, nil, []byte("x")); err != nil {
		t.Errorf("allowed redirect: %v", err)
	}
	if final.hits.Load() != 1 {
		t.Errorf("final hits = %d", final.hits.Load())
	}

	// A redirect that would turn the POST into a GET (and drop the body) is refused.
	moved := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final.URL+"/moved", http.StatusFound)
	})
	_, err = c.Post(context.Background(), moved.URL, nil, []byte("x"))
	if !errors.Is(err, ErrInvalidURL) || !strings.Contains(err.Error(), "would send GET instead of POST") {
		t.Errorf("302 redirect: %v", err)
	}
	if final.hits.Load() != 1 {
		t.Errorf("final hits = %d after a refused redirect", final.hits.Load())
	}

	// No downgrade from https to http.
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final.URL, http.StatusTemporaryRedirect)
	}))
	defer tlsSrv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())
	c = newClient(t, OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}, TLSConfig: &tls.Config{RootCAs: pool}})
	_, err = c.Post(context.Background(), tlsSrv.URL, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "redirect from https to") {
		t.Errorf("https downgrade: %v", err)
	}
}

func TestPostTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := newClient(t, OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}, Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := c.Post(context.Background(), srv.URL, nil, nil)
	if err == nil {
		t.Fatal("no error from a server that never answers")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v with a 200ms timeout", d)
	}
	if IsPermanent(err) {
		t.Errorf("a timeout should be temporary: %v", err)
	}
}

func TestPostBoundedBodyAndRedaction(t *testing.T) {
	srv := newCountingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		big := strings.Repeat("error\x00\n ", 1<<20) // 9 MiB
		_, _ = io.WriteString(w, big)
	})
	c := newClient(t, OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}})
	_, err := c.Post(context.Background(), srv.URL+"/services/T000/B000/s3cr3t?token=abc", nil, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 500 {
		t.Fatalf("err = %v", err)
	}
	if len(se.Body) > maxErrorBody+4 || !strings.HasPrefix(se.Body, "error error") || strings.ContainsAny(se.Body, "\x00\n") {
		t.Errorf("excerpt (%d bytes) = %q", len(se.Body), se.Body)
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "token") {
		t.Errorf("error leaks the URL path or query: %v", err)
	}
	if !strings.Contains(err.Error(), "POST http://"+hostPort(t, srv.URL)+"/...") {
		t.Errorf("error does not name the host: %v", err)
	}

	// Transport errors do not leak the path either.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err = c.Post(context.Background(), "http://"+addr+"/services/s3cr3t", nil, nil)
	if err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("connection error = %v", err)
	}
}
