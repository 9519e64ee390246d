package notify

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is an httptest server that records requests and answers with status.
type receiver struct {
	*countingServer
	mu     sync.Mutex
	got    []received
	status int
	reply  string
	header http.Header
}

func newReceiver(t *testing.T, status int, reply string) *receiver {
	r := &receiver{status: status, reply: reply, header: http.Header{}}
	r.countingServer = newCountingServer(t, func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{header: req.Header.Clone(), body: b})
		r.mu.Unlock()
		for k, v := range r.header {
			w.Header()[k] = v
		}
		w.WriteHeader(r.status)
		_, _ = io.WriteString(w, r.reply)
	})
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func localNotifier(t *testing.T) *Notifier {
	t.Helper()
	n, err := New(Config{Outgoing: OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}, Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWebhookSignedDelivery(t *testing.T) {
	rcv := newReceiver(t, http.StatusOK, "ok")
	n := localNotifier(t)
	secret := NewSecret()
	msg := codeMonitorFixture()
	if err := n.SendWebhook(context.Background(), Webhook{URL: rcv.URL + "/hook", Secret: secret}, "cm-action-42", msg); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	req := reqs[0]
	if err := VerifySignature(secret, req.body, req.header.Get(SignatureHeader)); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	for h, want := range map[string]string{
		"Content-Type": "application/json",
		"User-Agent":   "Lookout-Webhook/1",
		DeliveryHeader: "cm-action-42",
		EventHeader:    "code_monitor_results",
	} {
		if got := req.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	var payload struct {
		MonitorDescription string `json:"monitorDescription"`
		MonitorURL         string `json:"monitorURL"`
		Query              string `json:"query"`
		Results            []struct {
			Repository        string  `json:"repository"`
			Commit            string  `json:"commit"`
			Message           string  `json:"message"`
			Diff              string  `json:"diff"`
			MatchedDiffRanges []Range `json:"matchedDiffRanges"`
		} `json:"results"`
	}
	if err := json.Unmarshal(req.body, &payload); err != nil {
		t.Fatal(err)
	}
	if payload.MonitorDescription != msg.MonitorDescription || payload.MonitorURL != msg.MonitorURL || payload.Query != msg.Query {
		t.Errorf("payload = %+v", payload)
	}
	// Webhooks get every result, not the five an email shows.
	if len(payload.Results) != 7 {
		t.Fatalf("%d results, want 7", len(payload.Results))
	}
	r := payload.Results[1]
	if r.Repository != "github.com/acme/web" || r.Commit != msg.Results[1].Commit {
		t.Errorf("result = %+v", r)
	}
	if want, _ := TruncateMatch(msg.Results[1].Diff); r.Diff != want {
		t.Errorf("diff not cut to the limits:\n%s", r.Diff)
	}
	if diff := cmp.Diff(msg.Results[1].MatchedDiffRanges, r.MatchedDiffRanges); diff != "" {
		t.Errorf("ranges (-want +got)\n%s", diff)
	}

	// Same notification, same delivery ID: the same bytes and signature, so a receiver
	// can recognise the retry.
	if err := n.SendWebhook(context.Background(), Webhook{URL: rcv.URL + "/hook", Secret: secret}, "cm-action-42", msg); err != nil {
		t.Fatal(err)
	}
	reqs = rcv.requests()
	if string(reqs[1].body) != string(reqs[0].body) || reqs[1].header.Get(SignatureHeader) != reqs[0].header.Get(SignatureHeader) {
		t.Error("a retried delivery differs from the first")
	}
}

func TestWebhookWithoutResultsAndUnsigned(t *testing.T) {
	rcv := newReceiver(t, http.StatusNoContent, "")
	n := localNotifier(t)
	msg := codeMonitorFixture()
	msg.IncludeResults = false
	if err := n.SendWebhook(context.Background(), Webhook{URL: rcv.URL}, "d1", msg); err != nil {
		t.Fatal(err)
	}
	req := rcv.requests()[0]
	var m map[string]any
	if err := json.Unmarshal(req.body, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["results"]; ok {
		t.Errorf("results sent without include-results: %s", req.body)
	}
	if req.header.Get(SignatureHeader) != "" {
		t.Error("signature header without a secret")
	}

	// With include-results and no results, results is an empty list, not absent.
	msg.IncludeResults, msg.Results, msg.ResultCount = true, nil, 0
	b, err := WebhookPayload(msg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"results":[]`) {
		t.Errorf("payload = %s", b)
	}
}

func TestWebhookIssueEvent(t *testing.T) {
	rcv := newReceiver(t, http.StatusAccepted, "")
	n := localNotifier(t)
	msg := alertFixture()
	msg.Event.Name = "alert_priority_decreased"
	secret := NewSecret()
	if err := n.SendWebhook(context.Background(), Webhook{URL: rcv.URL, Secret: secret}, "im-event-7", msg); err != nil {
		t.Fatal(err)
	}
	req := rcv.requests()[0]
	if got := req.header.Get(EventHeader); got != "ALERT_PRIORITY_DECREASED" {
		t.Errorf("event header = %q", got)
	}
	if err := VerifySignature(secret, req.body, req.header.Get(SignatureHeader)); err != nil {
		t.Error(err)
	}
	var p map[string]any
	if err := json.Unmarshal(req.body, &p); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"event_source", "event_source_id", "event_source_monitor_id", "event_name", "event_data", "extra_payload"} {
		if _, ok := p[k]; !ok {
			t.Errorf("payload lacks %s: %s", k, req.body)
		}
	}
	if p["event_name"] != "ALERT_PRIORITY_DECREASED" || p["event_source"] != "alert" || p["event_source_id"] != float64(12) {
		t.Errorf("payload = %s", req.body)
	}
	data := p["event_data"].(map[string]any)
	if data["priority"] != "P2" || data["activeIssues"] != float64(6) || len(data["issues"].([]any)) != 6 {
		t.Errorf("event_data = %v", data)
	}

	// Caller-supplied event data is sent as is.
	msg.Event.Data = json.RawMessage(`{"issue":{"id":3}}`)
	msg.Event.Extra = nil
	b, err := WebhookPayload(msg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"event_data":{"issue":{"id":3}},"extra_payload":{}`) {
		t.Errorf("payload = %s", b)
	}
}

func TestWebhookStatusErrors(t *testing.T) {
	n := localNotifier(t)
	for _, tc := range []struct {
		status    int
		permanent bool
	}{
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
		{http.StatusRequestTimeout, false},
		{http.StatusTooManyRequests, false},
		{http.StatusNotFound, true},
		{http.StatusUnauthorized, true},
		{http.StatusGone, true},
		{http.StatusMultipleChoices, false},
	} {
		rcv := newReceiver(t, tc.status, "receiver says: no\n")
		rcv.header.Set("Retry-After", "30")
		err := n.SendWebhook(context.Background(), Webhook{URL: rcv.URL + "/secret-path", Secret: "s"}, "d", codeMonitorFixture())
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != tc.status {
			t.Errorf("%d: err = %v", tc.status, err)
			continue
		}
		if IsPermanent(err) != tc.permanent {
			t.Errorf("%d: IsPermanent = %v, want %v", tc.status, !tc.permanent, tc.permanent)
		}
		if !strings.Contains(err.Error(), http.StatusText(tc.status)) || !strings.Contains(err.Error(), "receiver says: no") {
			t.Errorf("%d: error lacks status or body: %v", tc.status, err)
		}
		if strings.Contains(err.Error(), "secret-path") {
			t.Errorf("%d: error leaks the path: %v", tc.status, err)
		}
		if se.RetryAfter != 30*time.Second {
			t.Errorf("%d: RetryAfter = %v", tc.status, se.RetryAfter)
		}
	}
}

func TestWebhookRefusals(t *testing.T) {
	rcv := newReceiver(t, http.StatusOK, "")
	strict, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	msg := codeMonitorFixture()
	for name, err := range map[string]error{
		"loopback without allow list": strict.SendWebhook(ctx, Webhook{URL: rcv.URL}, "d", msg),
		"bad scheme":                  strict.SendWebhook(ctx, Webhook{URL: "ftp://8.8.8.8/"}, "d", msg),
		"empty delivery ID":           strict.SendWebhook(ctx, Webhook{URL: rcv.URL}, "", msg),
		"bad delivery ID":             strict.SendWebhook(ctx, Webhook{URL: rcv.URL}, "a b\r\nX: y", msg),
		"invalid notification":        strict.SendWebhook(ctx, Webhook{URL: rcv.URL}, "d", Notification{}),
	} {
		if err == nil || !IsPermanent(err) {
			t.Errorf("%s: err = %v, want a permanent error", name, err)
		}
	}
	if rcv.hits.Load() != 0 {
		t.Errorf("receiver got %d requests", rcv.hits.Load())
	}
	if err := strict.ValidateWebhookURL(ctx, rcv.URL); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("ValidateWebhookURL = %v", err)
	}
	if err := localNotifier(t).ValidateWebhookURL(ctx, rcv.URL); err != nil {
		t.Errorf("ValidateWebhookURL with allow list = %v", err)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"monitorDescription":"x"}`)
	secret := "s3cret"
	good := Sign(secret, body)
	// Known answer: HMAC-SHA256("s3cret", body).
	if !strings.HasPrefix(good, "sha256=") || len(good) != len("sha256=")+64 {
		t.Fatalf("Sign = %q", good)
	}
	if err := VerifySignature(secret, body, good); err != nil {
		t.Errorf("good signature: %v", err)
	}
	if err := VerifySignature(secret, body, "  SHA256="+strings.ToUpper(strings.TrimPrefix(good, "sha256="))+" "); err != nil {
		t.Errorf("case and spaces: %v", err)
	}
	flipped := []byte(strings.TrimPrefix(good, "sha256="))
	flipped[0] ^= 1
	for name, tc := range map[string]struct {
		secret string
		body   []byte
		header string
	}{
		"wrong secret": {"other", body, good},
		"changed body": {secret, append(append([]byte(nil), body...), ' '), good},
		"empty header": {secret, body, ""},
		"no prefix":    {secret, body, strings.TrimPrefix(good, "sha256=")},
		"sha1":         {secret, body, "sha1=" + strings.TrimPrefix(good, "sha256=")},
		"bad hex":      {secret, body, "sha256=zz"},
		"short":        {secret, body, "sha256=abcd"},
		"flipped":      {secret, body, "sha256=" + string(flipped)},
	} {
		if err := VerifySignature(tc.secret, tc.body, tc.header); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Error("two secrets are equal")
	}
	if raw, err := hex.DecodeString(a); err != nil || len(raw) != 32 {
		t.Errorf("secret %q is not 32 hex bytes", a)
	}
}
