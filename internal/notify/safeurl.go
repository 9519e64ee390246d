package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Errors of outgoing URL checks. Both are permanent (see IsPermanent).
var (
	ErrInvalidURL       = errors.New("invalid URL")
	ErrForbiddenAddress = errors.New("forbidden address")
)

// Defaults of OutgoingConfig.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxRedirects     = 3
	DefaultMaxResponseBytes = 64 << 10
)

// OutgoingConfig sets how SafeClient reaches user-supplied URLs.
type OutgoingConfig struct {
	// AllowedHosts are exceptions to the address rules (WEBHOOK_ALLOWED_HOSTS): a host name
	// ("localhost", "hooks.internal"), a host name or IP with a port ("127.0.0.1:8080",
	// "[::1]:9000"), an IP ("10.1.2.3") or a CIDR ("10.0.0.0/8"). Host names are trusted
	// whatever they resolve to; IPs and CIDRs allow the addresses a URL resolves to.
	AllowedHosts []string
	// Timeout bounds a whole request, redirects and response included. Default 10 s.
	Timeout time.Duration
	// MaxRedirects is the number of redirects followed. Default 3; negative follows none.
	MaxRedirects int
	// MaxResponseBytes is how much of a response body is read. Default 64 KiB.
	MaxResponseBytes int64
	// Resolver resolves host names; default net.DefaultResolver.
	Resolver Resolver
	// TLSConfig is the TLS client configuration (e.g. extra root CAs); default system roots.
	TLSConfig *tls.Config
}

// Resolver resolves a host name to addresses; *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// SafeClient sends HTTP requests to user-supplied URLs without letting them reach
// loopback, private, link-local, shared (CGNAT), unspecified, multicast or reserved
// addresses, unless the admin allowed them.
type SafeClient struct {
	allow        *AllowList
	resolver     Resolver
	timeout      time.Duration
	maxRedirects int
	maxBody      int64
	client       *http.Client
}

// NewSafeClient builds a client; it fails only on a bad AllowedHosts entry.
func NewSafeClient(cfg OutgoingConfig) (*SafeClient, error) {
	allow, err := ParseAllowList(cfg.AllowedHosts)
	if err != nil {
		return nil, err
	}
	c := &SafeClient{
		allow:        allow,
		resolver:     cfg.Resolver,
		timeout:      cfg.Timeout,
		maxRedirects: cfg.MaxRedirects,
		maxBody:      cfg.MaxResponseBytes,
	}
	if c.resolver == nil {
		c.resolver = net.DefaultResolver
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxRedirects == 0 {
		c.maxRedirects = DefaultMaxRedirects
	} else if c.maxRedirects < 0 {
		c.maxRedirects = 0
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	var tlsConfig *tls.Config
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	transport := &http.Transport{
		// No proxy: a proxy would make the connection, and the address checks would see
		// only the proxy's address.
		Proxy:                 nil,
		DialContext:           c.dialContext,
		TLSClientConfig:       tlsConfig,
		TLSHandshakeTimeout:   c.timeout,
		ResponseHeaderTimeout: c.timeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       60 * time.Second,
	}
	c.client = &http.Client{
		Transport:     transport,
		Timeout:       c.timeout,
		CheckRedirect: c.checkRedirect,
	}
	return c, nil
}

// HTTPClient returns the underlying client, for callers that need more than Post. Its
// checks apply to every request made with it.
func (c *SafeClient) HTTPClient() *http.Client { return c.client }

// AllowList returns the parsed WEBHOOK_ALLOWED_HOSTS exceptions.
func (c *SafeClient) AllowList() *AllowList { return c.allow }

// parseURL checks what can be checked without the network: scheme, host, port.
func parseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot parse it", ErrInvalidURL)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		u.Scheme = strings.ToLower(u.Scheme)
	case "":
		return nil, fmt.Errorf("%w: %q has no scheme (use https://...)", ErrInvalidURL, redactRawURL(raw))
	default:
		return nil, fmt.Errorf("%w: the scheme must be http or https, not %q", ErrInvalidURL, u.Scheme)
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: no host", ErrInvalidURL)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: bad port %q", ErrInvalidURL, p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("%w: empty port", ErrInvalidURL)
	}
	return u, nil
}

func urlPort(u *url.URL) uint16 {
	if p := u.Port(); p != "" {
		n, _ := strconv.Atoi(p)
		return uint16(n)
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}

// ValidateURL checks raw as a webhook target without sending anything: http or https, a
// host, and every address the host resolves to allowed. Use it when a user saves a URL;
// the same rules apply again to every connection a send makes.
func (c *SafeClient) ValidateURL(ctx context.Context, raw string) error {
	u, err := parseURL(raw)
	if err != nil {
		return err
	}
	host, port := normalizeHost(u.Hostname()), urlPort(u)
	if c.allow.allowsName(host, port) {
		return nil
	}
	addrs, err := c.lookup(ctx, host)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := c.checkAddr(host, a, port); err != nil {
			return err
		}
	}
	return nil
}

// explicitlyAllowed reports whether an admin listed the URL's host (by name, or as an IP
// literal in an allowed range). Rules stricter than the address rules (the Slack host
// rule) give way to it, so tests and staging can point such actions at local servers.
func (c *SafeClient) explicitlyAllowed(u *url.URL) bool {
	host, port := normalizeHost(u.Hostname()), urlPort(u)
	if c.allow.allowsName(host, port) {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && c.allow.allowsAddr(a, port)
}

func (c *SafeClient) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	addrs, err := c.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("cannot resolve host %q: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("cannot resolve host %q: no addresses", host)
	}
	return addrs, nil
}

func (c *SafeClient) checkAddr(host string, a netip.Addr, port uint16) error {
	a = a.Unmap().WithZone("")
	if c.allow.allowsAddr(a, port) {
		return nil
	}
	if reason := addressProblem(a); reason != "" {
		if host == a.String() {
			return fmt.Errorf("%w: %s is a %s address; an admin can allow it with WEBHOOK_ALLOWED_HOSTS", ErrForbiddenAddress, a, reason)
		}
		return fmt.Errorf("%w: host %q resolves to %s, a %s address; an admin can allow it with WEBHOOK_ALLOWED_HOSTS", ErrForbiddenAddress, host, a, reason)
	}
	return nil
}

// dialContext resolves the host itself and connects only to allowed addresses; a
// Control hook checks the address of the socket actually connected, so no later
// resolution (DNS rebinding) can change what was checked.
func (c *SafeClient) dialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	p, err := strconv.Atoi(portStr)
	if err != nil || p < 1 || p > 65535 {
		return nil, fmt.Errorf("%w: bad port %q", ErrInvalidURL, portStr)
	}
	port := uint16(p)
	host = normalizeHost(host)
	dialer := net.Dialer{Timeout: c.timeout, KeepAlive: 30 * time.Second}
	if c.allow.allowsName(host, port) {
		return dialer.DialContext(ctx, network, address)
	}
	addrs, err := c.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	dialer.Control = func(_, connAddr string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(connAddr)
		if err != nil {
			return fmt.Errorf("%w: cannot check address %q", ErrForbiddenAddress, connAddr)
		}
		return c.checkAddr(host, ap.Addr(), ap.Port())
	}
	var firstErr error
	for _, a := range addrs {
		if err := c.checkAddr(host, a, port); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		conn, err := dialer.DialContext(ctx, network, netip.AddrPortFrom(a.Unmap(), port).String())
		if err == nil {
			return conn, nil
		}
		if firstErr == nil || errors.Is(firstErr, ErrForbiddenAddress) {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

func (c *SafeClient) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > c.maxRedirects {
		return fmt.Errorf("stopped after %d redirects", c.maxRedirects)
	}
	u, err := parseURL(req.URL.String())
	if err != nil {
		return fmt.Errorf("redirect to %s: %w", redactURL(req.URL), err)
	}
	if len(via) > 0 && req.Method != via[0].Method {
		// 301/302/303 turn a POST into a GET without body: the receiver would answer 2xx
		// and the notification would be lost while counted as delivered.
		status := 0
		if req.Response != nil {
			status = req.Response.StatusCode
		}
		return fmt.Errorf("%w: redirect (%d) to %s would send %s instead of %s and drop the body; use the final URL",
			ErrInvalidURL, status, redactURL(u), req.Method, via[0].Method)
	}
	if len(via) > 0 && via[0].URL.Scheme == "https" && u.Scheme != "https" {
		return fmt.Errorf("%w: redirect from https to %s refused", ErrInvalidURL, redactURL(u))
	}
	// The address checks run when the redirect's connection is dialed.
	return nil
}

// Response is a 2xx answer of Post, its body read up to MaxResponseBytes.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Post sends body to rawURL. A response outside 2xx is a *StatusError. Errors never
// contain the URL's path or query, which may be secret.
func (c *SafeClient) Post(ctx context.Context, rawURL string, header http.Header, body []byte) (*Response, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, stripURLError(err))
	}
	for k, vs := range header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", redactURL(u), stripURLError(err))
	}
	defer resp.Body.Close()
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, c.maxBody))
	// Drain a little more so a short remainder does not cost the connection.
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("POST %s: %w", redactURL(u), &StatusError{
			StatusCode: resp.StatusCode,
			Status:     resp.Status,
			Body:       bodyExcerpt(data),
			RetryAfter: retryAfter(resp.Header),
		})
	}
	if readErr != nil {
		return nil, fmt.Errorf("POST %s: reading response: %w", redactURL(u), readErr)
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// forbiddenRanges are the address ranges a user-supplied URL may not reach, with the word
// used in errors.
var forbiddenRanges = func() []struct {
	prefix netip.Prefix
	reason string
} {
	list := []struct{ cidr, reason string }{
		{"0.0.0.0/8", "unspecified"},
		{"10.0.0.0/8", "private"},
		{"100.64.0.0/10", "shared (CGNAT)"},
		{"127.0.0.0/8", "loopback"},
		{"169.254.0.0/16", "link-local"},
		{"172.16.0.0/12", "private"},
		{"192.0.0.0/24", "reserved"},
		{"192.168.0.0/16", "private"},
		{"198.18.0.0/15", "reserved (benchmarking)"},
		{"224.0.0.0/4", "multicast"},
		{"240.0.0.0/4", "reserved"},
		{"::/128", "unspecified"},
		{"::1/128", "loopback"},
		{"::/96", "reserved (IPv4-compatible)"},
		{"64:ff9b:1::/48", "reserved (local NAT64)"},
		{"100::/64", "reserved (discard)"},
		{"fc00::/7", "private"},
		{"fe80::/10", "link-local"},
		{"fec0::/10", "site-local"},
		{"ff00::/8", "multicast"},
	}
	out := make([]struct {
		prefix netip.Prefix
		reason string
	}, len(list))
	for i, e := range list {
		out[i].prefix = netip.MustParsePrefix(e.cidr)
		out[i].reason = e.reason
	}
	return out
}()

var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// addressProblem names why a may not be reached, or returns "" when it may.
func addressProblem(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid"
	}
	a = a.Unmap().WithZone("")
	for _, r := range forbiddenRanges {
		if r.prefix.Contains(a) {
			return r.reason
		}
	}
	// IPv6 forms that carry an IPv4 address reach that address through a translator.
	if nat64Prefix.Contains(a) {
		b := a.As16()
		return addressProblem(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	if sixToFour.Contains(a) {
		b := a.As16()
		return addressProblem(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	return ""
}

// AllowList holds the WEBHOOK_ALLOWED_HOSTS exceptions.
type AllowList struct {
	names    map[string][]uint16 // host name -> ports; port 0 means any
	prefixes []allowedPrefix
}

type allowedPrefix struct {
	prefix netip.Prefix
	port   uint16 // 0: any
}

// ParseAllowList parses allowed host entries (see OutgoingConfig.AllowedHosts); blank
// entries are skipped.
func ParseAllowList(entries []string) (*AllowList, error) {
	l := &AllowList{names: map[string][]uint16{}}
	for _, raw := range entries {
		e := strings.TrimSpace(raw)
		if e == "" {
			continue
		}
		if err := l.add(e); err != nil {
			return nil, fmt.Errorf("WEBHOOK_ALLOWED_HOSTS entry %q: %w", e, err)
		}
	}
	return l, nil
}

func (l *AllowList) add(e string) error {
	if strings.Contains(e, "/") {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			return errors.New("not a valid CIDR")
		}
		l.prefixes = append(l.prefixes, allowedPrefix{prefix: p.Masked()})
		return nil
	}
	host, port := e, uint16(0)
	if h, p, err := net.SplitHostPort(e); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("bad port %q", p)
		}
		host, port = h, uint16(n)
	} else if strings.HasPrefix(e, "[") && strings.HasSuffix(e, "]") {
		host = e[1 : len(e)-1]
	}
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap().WithZone("")
		l.prefixes = append(l.prefixes, allowedPrefix{prefix: netip.PrefixFrom(a, a.BitLen()), port: port})
		return nil
	}
	host = normalizeHost(host)
	if !validHostName(host) {
		return errors.New("not a host name, host:port, IP or CIDR")
	}
	l.names[host] = append(l.names[host], port)
	return nil
}

func (l *AllowList) allowsName(host string, port uint16) bool {
	if l == nil {
		return false
	}
	for _, p := range l.names[host] {
		if p == 0 || p == port {
			return true
		}
	}
	return false
}

func (l *AllowList) allowsAddr(a netip.Addr, port uint16) bool {
	if l == nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range l.prefixes {
		if p.prefix.Contains(a) && (p.port == 0 || p.port == port) {
			return true
		}
	}
	return false
}

// Empty reports whether no exception is configured.
func (l *AllowList) Empty() bool {
	return l == nil || (len(l.names) == 0 && len(l.prefixes) == 0)
}

func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

func validHostName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
