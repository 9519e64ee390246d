package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/codehost/fakehost"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/webhooks"
)

// heapHeld is the memory the Go heap holds from the operating system: what the
// process's RSS follows.
func heapHeld() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapSys - m.HeapReleased
}

// rss is the process's resident set size from /proc (0 where there is none).
func rss() uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

const mib = 1 << 20

// TestWebhookBurstStaysWithinBudget is the reported attack on the real router: 32
// concurrent 24 MB deliveries to the webhook endpoint, once unsigned and once with
// well-formed but wrong signatures (which must be read to be checked). The heap must
// never hold much more than the default budget of delivery bytes, must be back near
// where it started once the burst is over, and a signed push must still be accepted.
func TestWebhookBurstStaysWithinBudget(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	work := gittest.NewRepo(t)
	head := work.Commit(time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC), "", "initial", map[string]string{"a.txt": "a\n"})
	gh := fakehost.NewGitHub(t)
	gh.AddRepo(fakehost.Repo{Owner: "acme", Name: "app", GitDir: work.Dir})
	cfg, _ := json.Marshal(map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "webhookSecret": fakehost.DefaultWebhookSecret, "repos": []string{"acme/app"}})
	if _, err := e.Store.ExternalServices().Create(context.Background(), "GITHUB", "GitHub", string(cfg), time.Hour); err != nil {
		t.Fatal(err)
	}
	url := e.Server.URL + "/.api/webhooks/github"

	const deliveries, size = 32, 24 * mib
	payload := bytes.Repeat([]byte{'x'}, size) // shared by every request: the client holds one copy
	burst := func(sign bool) (codes map[int]int, retryAfter bool, peak uint64) {
		codes = map[int]int{}
		var mu sync.Mutex
		var peakHeld atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				if h := heapHeld(); h > peakHeld.Load() {
					peakHeld.Store(h)
				}
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		var wg sync.WaitGroup
		for range deliveries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
				req.Header.Set("X-GitHub-Event", "push")
				if sign {
					req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
				}
				resp, err := http.DefaultClient.Do(req)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					// A refusal sent before the body was read may close the
					// connection under the client's upload: that is a refusal too.
					codes[-1]++
					return
				}
				resp.Body.Close()
				codes[resp.StatusCode]++
				if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" {
					retryAfter = true
				}
			}()
		}
		wg.Wait()
		close(stop)
		<-sampled
		return codes, retryAfter, peakHeld.Load()
	}

	runtime.GC()
	debug.FreeOSMemory()
	before, rssBefore := heapHeld(), rss()

	// Unsigned: refused from the headers alone, nothing read.
	codes, _, unsignedPeak := burst(false)
	if codes[http.StatusUnauthorized]+codes[-1] != deliveries || codes[http.StatusUnauthorized] == 0 {
		t.Fatalf("unsigned burst: status counts %v, want all 401", codes)
	}
	t.Logf("unsigned burst: heap held %d MiB before, %d MiB at the peak", before/mib, unsignedPeak/mib)
	if unsignedPeak > before+32*mib {
		t.Fatalf("unsigned burst grew the heap from %d to %d MiB: bodies were read", before/mib, unsignedPeak/mib)
	}

	// Forged signatures: read within the budget, the rest refused with Retry-After.
	codes, retryAfter, peak := burst(true)
	if codes[http.StatusUnauthorized] == 0 || codes[http.StatusServiceUnavailable]+codes[-1] == 0 || !retryAfter {
		t.Fatalf("forged burst: status counts %v (Retry-After on 503: %v), want 401s and 503s with Retry-After", codes, retryAfter)
	}
	if n := codes[http.StatusUnauthorized] + codes[http.StatusServiceUnavailable] + codes[-1]; n != deliveries {
		t.Fatalf("forged burst: status counts %v, want only 401 and 503", codes)
	}
	limit := uint64(webhooks.DefaultBytesInFlight)
	t.Logf("forged burst (%d × %d MiB): %v; heap held %d MiB before, %d MiB at the peak (budget %d MiB)",
		deliveries, size/mib, codes, before/mib, peak/mib, limit/mib)
	if peak > before+limit+48*mib {
		t.Fatalf("forged burst grew the heap from %d to %d MiB, more than the %d MiB budget allows", before/mib, peak/mib, limit/mib)
	}

	// After the burst the heap goes back near where it started, without waiting for
	// the runtime's scavenger.
	var after uint64
	deadline := time.Now().Add(5 * time.Second)
	for {
		after = heapHeld()
		if after <= before+16*mib || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("after the bursts: heap held %d MiB (before: %d MiB); process RSS %d MiB (before: %d MiB)", after/mib, before/mib, rss()/mib, rssBefore/mib)
	if after > before+16*mib {
		t.Fatalf("after the burst the heap holds %d MiB, %d MiB more than before", after/mib, (after-before)/mib)
	}

	// A genuine push is accepted as before.
	d, err := gh.PushDelivery("acme/app", "refs/heads/main", strings.Repeat("0", 40), head)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(d.Request(url))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("a signed push after the burst got %d, want 202", resp.StatusCode)
	}
}

// TestWebhookRefusalsBeforeTheBody checks what is refused without reading a byte of
// the body, and the size limit.
func TestWebhookRefusalsBeforeTheBody(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	post := func(host string, header map[string]string, body []byte, contentLength int64) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/.api/webhooks/"+host, bytes.NewReader(body))
		req.ContentLength = contentLength
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return -1, err.Error()
		}
		defer resp.Body.Close()
		var out struct {
			Errors []struct{ Message string } `json:"errors"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if len(out.Errors) == 0 {
			return resp.StatusCode, ""
		}
		return resp.StatusCode, out.Errors[0].Message
	}
	sig := map[string]string{"X-Hub-Signature-256": "sha256=" + strings.Repeat("ab", 32)}
	// No connection has a secret yet: refused whatever the signature.
	if code, msg := post("github", sig, []byte("{}"), 2); code != 401 || !strings.Contains(msg, "does not match") {
		t.Fatalf("no connection: %d %q", code, msg)
	}
	cfg, _ := json.Marshal(map[string]any{"url": "https://gitlab.example.com", "token": "t", "webhookSecret": "s3cret", "repos": []string{"acme/app"}})
	if _, err := e.Store.ExternalServices().Create(context.Background(), "GITLAB", "GitLab", string(cfg), time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, host string
		header     map[string]string
		want       int
		msg        string
	}{
		{"malformed github signature", "github", map[string]string{"X-Hub-Signature-256": "sha256=xyz"}, 401, "hex digits"},
		{"short github signature", "github", map[string]string{"X-Hub-Signature-256": "sha256=abcd"}, 401, "hex digits"},
		{"gitea without signature", "gitea", nil, 401, "no signature"},
		{"gitlab without token", "gitlab", nil, 401, "X-Gitlab-Token"},
		{"gitlab with a wrong token", "gitlab", map[string]string{"X-Gitlab-Token": "nope"}, 401, "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := post(tc.host, tc.header, []byte("{}"), 2)
			if code != tc.want || !strings.Contains(msg, tc.msg) {
				t.Fatalf("got %d %q, want %d with %q", code, msg, tc.want, tc.msg)
			}
		})
	}
	// Over the size limit: 413 from the declared length, before reading.
	big := make([]byte, webhooks.MaxBodyBytes+1)
	if code, msg := post("gitlab", map[string]string{"X-Gitlab-Token": "s3cret", "X-Gitlab-Event": "Push Hook"}, big, int64(len(big))); code != 413 && code != -1 {
		t.Fatalf("oversized delivery: %d %q, want 413", code, msg)
	}
}
