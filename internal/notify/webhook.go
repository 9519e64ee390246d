package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Webhook request headers.
const (
	SignatureHeader  = "X-Lookout-Signature" // sha256=<hex HMAC-SHA256 of the body>
	DeliveryHeader   = "X-Lookout-Delivery"  // the caller's delivery ID, stable across retries
	EventHeader      = "X-Lookout-Event"     // code_monitor_results, test, or an issue monitor event name as the API spells it (ALERT_CREATED)
	WebhookUserAgent = "Lookout-Webhook/1"
)

// ErrBadSignature is returned by VerifySignature for a signature that does not match.
var ErrBadSignature = errors.New("webhook signature does not match")

// Webhook is a webhook action's target.
type Webhook struct {
	URL string
	// Secret signs the body (HMAC-SHA256). Empty sends no signature header; the test-action
	// mutation, which has no saved action yet, is the one caller that may do that.
	Secret string
}

// NewSecret returns a new random webhook secret (256 bits, hex), to show once to the user
// who creates the action.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}

// Sign returns the X-Lookout-Signature value for body: "sha256=" and the hex HMAC-SHA256
// of the exact body bytes keyed with secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks an X-Lookout-Signature header against the raw request body, in
// constant time. Receivers must verify the bytes as received, before parsing them.
func VerifySignature(secret string, body []byte, header string) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return fmt.Errorf("%w: no %s header", ErrBadSignature, SignatureHeader)
	}
	algo, sig, ok := strings.Cut(header, "=")
	if !ok || !strings.EqualFold(algo, "sha256") {
		return fmt.Errorf("%w: want sha256=<hex>", ErrBadSignature)
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: malformed hex digest", ErrBadSignature)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}

// codeMonitorPayload is the webhook body of the reference, plus "test" on test sends.
type codeMonitorPayload struct {
	MonitorDescription string          `json:"monitorDescription"`
	MonitorURL         string          `json:"monitorURL"`
	Query              string          `json:"query"`
	Test               bool            `json:"test,omitempty"`
	Results            []webhookResult `json:"results,omitzero"`
}

type webhookResult struct {
	Repository           string  `json:"repository"`
	Commit               string  `json:"commit"`
	URL                  string  `json:"url,omitempty"`
	Path                 string  `json:"path,omitempty"`
	Message              string  `json:"message,omitempty"`
	MatchedMessageRanges []Range `json:"matchedMessageRanges,omitempty"`
	Diff                 string  `json:"diff,omitempty"`
	MatchedDiffRanges    []Range `json:"matchedDiffRanges,omitempty"`
	Preview              string  `json:"preview,omitempty"`
	MatchedPreviewRanges []Range `json:"matchedPreviewRanges,omitempty"`
}

// issueEventPayload carries the event payload fields of the followed issue monitor
// platform, with the monitor fields of the code monitor payload beside them.
type issueEventPayload struct {
	EventSource          string          `json:"event_source"`
	EventSourceID        int64           `json:"event_source_id"`
	EventSourceMonitorID int64           `json:"event_source_monitor_id"`
	EventName            string          `json:"event_name"`
	EventData            json.RawMessage `json:"event_data"`
	ExtraPayload         json.RawMessage `json:"extra_payload"`
	MonitorDescription   string          `json:"monitorDescription"`
	MonitorURL           string          `json:"monitorURL"`
	Query                string          `json:"query"`
	Test                 bool            `json:"test,omitempty"`
}

type alertData struct {
	ID                    int64       `json:"id"`
	URL                   string      `json:"url,omitempty"`
	State                 string      `json:"state"`
	Priority              string      `json:"priority"`
	PreviousPriority      string      `json:"previousPriority,omitempty"`
	Acknowledged          bool        `json:"acknowledged"`
	Locked                bool        `json:"locked"`
	ActiveIssues          int         `json:"activeIssues"`
	OldestIssueAgeSeconds int64       `json:"oldestIssueAgeSeconds"`
	Issues                []issueData `json:"issues,omitzero"`
}

type issueData struct {
	Key        string `json:"key"`
	Repository string `json:"repository,omitempty"`
	Path       string `json:"path,omitempty"`
	Commit     string `json:"commit,omitempty"`
	URL        string `json:"url,omitempty"`
	State      string `json:"state,omitempty"`
	CreatedAt  string `json:"createdAt,omitempty"`
}

// WebhookPayload renders the JSON body for n. Code monitors get the reference body; with
// IncludeResults every result is included (each match cut to the limits, its ranges with
// it). Issue monitor events get the event payload.
func WebhookPayload(n Notification) ([]byte, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if n.Kind == IssueMonitorEvent {
		return issuePayload(n)
	}
	p := codeMonitorPayload{
		MonitorDescription: n.MonitorDescription,
		MonitorURL:         n.MonitorURL,
		Query:              n.Query,
		Test:               n.Test,
	}
	if n.IncludeResults {
		p.Results = make([]webhookResult, 0, len(n.Results))
		for _, r := range n.Results {
			wr := webhookResult{Repository: r.Repository, Commit: r.Commit, URL: r.URL, Path: r.Path}
			wr.Message, wr.MatchedMessageRanges = truncateWithRanges(r.Message, r.MatchedMessageRanges)
			wr.Diff, wr.MatchedDiffRanges = truncateWithRanges(r.Diff, r.MatchedDiffRanges)
			wr.Preview, wr.MatchedPreviewRanges = truncateWithRanges(r.Preview, r.MatchedPreviewRanges)
			p.Results = append(p.Results, wr)
		}
	}
	return marshal(p)
}

func issuePayload(n Notification) ([]byte, error) {
	ev := n.Event
	p := issueEventPayload{
		EventSource:          ev.Source,
		EventSourceID:        ev.SourceID,
		EventSourceMonitorID: ev.MonitorID,
		EventName:            APIEventName(ev.Name),
		EventData:            ev.Data,
		ExtraPayload:         ev.Extra,
		MonitorDescription:   n.MonitorDescription,
		MonitorURL:           n.MonitorURL,
		Query:                n.Query,
		Test:                 n.Test,
	}
	if len(p.EventData) == 0 {
		p.EventData = json.RawMessage("{}")
		if a := ev.Alert; a != nil {
			d := alertData{
				ID: a.ID, URL: a.URL, State: a.State, Priority: a.Priority, PreviousPriority: a.PreviousPriority,
				Acknowledged: a.Acknowledged, Locked: a.Locked, ActiveIssues: a.ActiveIssues,
				OldestIssueAgeSeconds: int64(a.OldestIssueAge.Seconds()),
			}
			if n.IncludeResults {
				d.Issues = make([]issueData, 0, len(a.Issues))
				for _, is := range a.Issues {
					id := issueData{Key: is.Key, Repository: is.Repository, Path: is.Path, Commit: is.Commit, URL: is.URL, State: is.State}
					if !is.CreatedAt.IsZero() {
						id.CreatedAt = is.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")
					}
					d.Issues = append(d.Issues, id)
				}
			}
			b, err := json.Marshal(d)
			if err != nil {
				return nil, fmt.Errorf("encoding event data: %w", err)
			}
			p.EventData = b
		}
	}
	if len(p.ExtraPayload) == 0 {
		p.ExtraPayload = json.RawMessage("{}")
	}
	return marshal(p)
}

// marshal encodes v without HTML escaping: Slack links (<url|text>) and code stay as
// written, which receivers and people reading logs both prefer.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding payload: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// WebhookSender posts signed notifications through a SafeClient.
type WebhookSender struct {
	client *SafeClient
}

// NewWebhookSender returns a sender using client for every request.
func NewWebhookSender(client *SafeClient) *WebhookSender {
	return &WebhookSender{client: client}
}

// Send posts n to hook, signed with hook.Secret, with deliveryID in X-Lookout-Delivery
// (stable across retries of one delivery, so the receiver can drop repeats). A response
// outside 2xx is an error wrapping *StatusError; IsPermanent tells whether to retry.
func (s *WebhookSender) Send(ctx context.Context, hook Webhook, deliveryID string, n Notification) error {
	if err := checkDeliveryID(deliveryID); err != nil {
		return err
	}
	body, err := WebhookPayload(n)
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", WebhookUserAgent)
	h.Set(DeliveryHeader, deliveryID)
	h.Set(EventHeader, n.EventName())
	if hook.Secret != "" {
		h.Set(SignatureHeader, Sign(hook.Secret, body))
	}
	if _, err := s.client.Post(ctx, hook.URL, h, body); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}
