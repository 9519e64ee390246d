package webapp_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/lookout/lookout/internal/browsertest"
)

// opMeter watches the GraphQL operations the browser sends by name: how many run at
// once, how many were sent, and how many the browser gave up on (aborted). It can hold
// each watched operation before the API sees it, as a slow search would take, until
// release, so that a page that fires a second one while the first is still running
// shows it here.
type opMeter struct {
	mu       sync.Mutex
	watched  []string
	held     chan struct{} // closed by release; nil: not held
	inFlight int
	max      int
	sent     int
	aborted  int
}

// watch starts watching the operations named names, holding each until release when
// hold is set.
func (m *opMeter) watch(hold bool, names ...string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.watched, m.held = names, nil
	if hold {
		m.held = make(chan struct{})
	}
	m.inFlight, m.max, m.sent, m.aborted = 0, 0, 0, 0
}

// release lets the held operations through, and the next ones at once.
func (m *opMeter) release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held != nil {
		close(m.held)
		m.held = nil
	}
}

// counts are what the meter saw since watch.
func (m *opMeter) counts() (max, sent, aborted int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.max, m.sent, m.aborted
}

func (m *opMeter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/.api/graphql" {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var req struct {
			OperationName string `json:"operationName"`
		}
		_ = json.Unmarshal(body, &req)
		m.mu.Lock()
		watched, held := slices.Contains(m.watched, req.OperationName), m.held
		if watched {
			m.sent++
			m.inFlight++
			m.max = max(m.max, m.inFlight)
		}
		m.mu.Unlock()
		if !watched {
			next.ServeHTTP(w, r)
			return
		}
		defer func() {
			m.mu.Lock()
			m.inFlight--
			if r.Context().Err() != nil {
				m.aborted++
			}
			m.mu.Unlock()
		}()
		if held != nil {
			select {
			case <-held:
			case <-r.Context().Done(): // the browser gave up on it
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// waitGone waits until the first element matching css no longer shows text (or is gone),
// failing the test with what it shows after browsertest.Timeout.
func waitGone(t *testing.T, tab *browsertest.Tab, css, text string) {
	t.Helper()
	deadline := time.Now().Add(browsertest.Timeout)
	for {
		got := tab.Text(css)
		if !strings.Contains(got, text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still shows %q: %q", css, text, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// watchFetches counts, in the page, the requests for the GraphQL operations named names
// that the page has sent and not given up on (a request ends when its response arrives,
// it fails, or the page aborts it), from the next page the tab loads on. It is the
// page's side of what opMeter sees at the server, where an aborted request ends only
// once the server notices the closed connection.
func watchFetches(t *testing.T, tab *browsertest.Tab, names ...string) {
	t.Helper()
	list, _ := json.Marshal(names)
	js := `(() => {
  if (window.__lookoutFetches) return;
  const names = ` + string(list) + `;
  const m = window.__lookoutFetches = { inFlight: 0, max: 0, sent: 0 };
  const fetch = window.fetch;
  window.fetch = function (input, init) {
    let name = '';
    try { name = JSON.parse((init && init.body) || '{}').operationName || ''; } catch (e) {}
    if (!names.includes(name)) return fetch.apply(this, arguments);
    m.sent++; m.inFlight++; m.max = Math.max(m.max, m.inFlight);
    let ended = false;
    const end = () => { if (!ended) { ended = true; m.inFlight--; } };
    if (init && init.signal) init.signal.addEventListener('abort', end, { once: true });
    return fetch.apply(this, arguments).then((r) => { end(); return r; }, (err) => { end(); throw err; });
  };
})()`
	if _, err := chromedp.Call(tab.Ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js}); err != nil {
		t.Fatalf("watching the page's requests: %v", err)
	}
}

// fetchCounts are what watchFetches counted in the current page.
func fetchCounts(t *testing.T, tab *browsertest.Tab) (maxInFlight, sent int) {
	t.Helper()
	c := browsertest.Eval[struct{ Max, Sent int }](tab, `({max: window.__lookoutFetches.max, sent: window.__lookoutFetches.sent})`)
	return c.Max, c.Sent
}
