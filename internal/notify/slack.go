package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalidSlackURL is returned for a Slack webhook URL that is not a Slack incoming
// webhook. It is permanent.
var ErrInvalidSlackURL = errors.New("invalid Slack webhook URL")

// SlackHost is the host of Slack incoming webhooks.
const SlackHost = "hooks.slack.com"

// ValidateSlackURL checks the reference rule for Slack actions: an https URL on
// hooks.slack.com whose path starts with /services/. It sends nothing.
func ValidateSlackURL(raw string) error {
	u, err := parseURL(raw)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSlackURL, err)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("%w: it must use https", ErrInvalidSlackURL)
	}
	if normalizeHost(u.Hostname()) != SlackHost || (u.Port() != "" && u.Port() != "443") {
		return fmt.Errorf("%w: the host must be %s (an incoming webhook URL from Slack's app settings)", ErrInvalidSlackURL, SlackHost)
	}
	if u.User != nil {
		return fmt.Errorf("%w: it must not contain credentials", ErrInvalidSlackURL)
	}
	rest, ok := strings.CutPrefix(u.EscapedPath(), "/services/")
	if !ok || strings.Trim(rest, "/") == "" {
		return fmt.Errorf("%w: the path must start with /services/", ErrInvalidSlackURL)
	}
	return nil
}

// RedactedSlackSegment replaces the secret of a Slack webhook URL the API shows.
const RedactedSlackSegment = "REDACTED"

// RedactSlackURL is how the API shows a stored Slack URL. An incoming webhook URL is its
// own credential (whoever holds it can post to the channel), so its last path segment,
// the secret, becomes "REDACTED"; the segments before it, which name the workspace and
// the channel's hook, stay so users can tell actions apart. Query and fragment are
// dropped. A mutation that sends the result back keeps the stored URL.
func RedactSlackURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return RedactedSlackSegment
	}
	segs := strings.Split(strings.TrimRight(u.EscapedPath(), "/"), "/")
	if len(segs) < 2 {
		segs = []string{"", RedactedSlackSegment}
	}
	segs[len(segs)-1] = RedactedSlackSegment
	return u.Scheme + "://" + u.Host + strings.Join(segs, "/")
}

// IsRedactedSlackURL reports whether raw is in the form RedactSlackURL shows.
func IsRedactedSlackURL(raw string) bool {
	raw = strings.TrimSpace(raw)
	return raw == RedactedSlackSegment || strings.HasSuffix(strings.TrimRight(raw, "/"), "/"+RedactedSlackSegment)
}

type slackMessage struct {
	Text   string       `json:"text"` // shown in notifications and where blocks are not
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type string     `json:"type"`
	Text *slackText `json:"text,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// maxSlackSection is Slack's limit on a section's text, in characters.
const maxSlackSection = 3000

func section(text string) slackBlock {
	return slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: text}}
}

// SlackPayload renders n as a Slack incoming webhook message with mrkdwn blocks.
func SlackPayload(n Notification) ([]byte, error) {
	return slackPayload(n, time.Now())
}

func slackPayload(n Notification, now time.Time) ([]byte, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	v := newView(n, now)
	var subject bytes.Buffer
	if err := subjectTemplate.Execute(&subject, v); err != nil {
		return nil, fmt.Errorf("rendering Slack text: %w", err)
	}
	msg := slackMessage{Text: slackEscape(oneLine(subject.String()))}
	prefix := ""
	if v.Test {
		prefix = "_Test notification_ · "
	}
	if v.Critical {
		prefix += "*[Critical]* "
	}
	name := "*" + slackEscape(v.Description) + "*"
	if v.MonitorURL != "" {
		name = slackLink(v.MonitorURL, v.Description)
	}
	if v.Alert {
		msg.Blocks = append(msg.Blocks, slackAlertBlocks(v, prefix, name)...)
	} else {
		msg.Blocks = append(msg.Blocks, slackCodeMonitorBlocks(v, prefix, name)...)
	}
	return marshal(msg)
}

func slackCodeMonitorBlocks(v view, prefix, name string) []slackBlock {
	owner := "Code monitor "
	if v.Owner != "" {
		owner = "*" + slackEscape(oneLine(v.Owner)) + "*'s code monitor "
	}
	blocks := []slackBlock{section(prefix + owner + name + fmt.Sprintf(" detected *%d* new %s.", v.ResultCount, v.ResultNoun))}
	for _, r := range v.Results {
		title := slackEscape(r.Title)
		if r.URL != "" {
			title = slackLink(r.URL, r.Title)
		}
		head := "*" + r.Kind + "* in " + title + "\n"
		blocks = append(blocks, section(head+slackCode(r.Content, maxSlackSection-utf8.RuneCountInString(head))))
	}
	var links []string
	if v.SearchURL != "" {
		label := "View results"
		if len(v.Results) > 0 && v.MoreResults > 0 {
			label = fmt.Sprintf("View %d more %s", v.MoreResults, plural(v.MoreResults, "result", "results"))
		}
		links = append(links, slackLink(v.SearchURL, label))
	} else if len(v.Results) > 0 && v.MoreResults > 0 {
		links = append(links, fmt.Sprintf("...and %d more %s", v.MoreResults, plural(v.MoreResults, "result", "results")))
	}
	if v.MonitorURL != "" {
		links = append(links, slackLink(v.MonitorURL, "Edit code monitor"))
	}
	if len(links) > 0 {
		blocks = append(blocks, section(strings.Join(links, " · ")))
	}
	return blocks
}

func slackAlertBlocks(v view, prefix, name string) []slackBlock {
	head := prefix
	if v.Priority != "" {
		head += "*[" + slackEscape(v.Priority) + "]* "
	}
	head += "Issue monitor " + name
	if v.Owner != "" {
		head += " (" + slackEscape(oneLine(v.Owner)) + ")"
	}
	head += ": " + slackEscape(v.Event) + "."
	var facts []string
	if v.Priority != "" && v.PreviousPriority != "" {
		facts = append(facts, "priority "+slackEscape(v.PreviousPriority)+" → "+slackEscape(v.Priority))
	}
	facts = append(facts, fmt.Sprintf("*%d* active %s", v.ActiveIssues, plural(v.ActiveIssues, "issue", "issues")))
	if v.OldestAge != "" {
		facts = append(facts, "oldest open for "+v.OldestAge)
	}
	if v.State != "" {
		state := slackEscape(v.State)
		if v.Acknowledged {
			state += ", acknowledged"
		}
		if v.Locked {
			state += ", locked"
		}
		facts = append(facts, "alert "+state)
	}
	blocks := []slackBlock{section(head + "\n" + strings.Join(facts, " · "))}
	if len(v.Issues) > 0 {
		var b strings.Builder
		for _, is := range v.Issues {
			line := "• " + slackEscape(is.Title)
			if is.URL != "" {
				line = "• " + slackLink(is.URL, is.Title)
			}
			if is.Age != "" {
				line += " (open for " + is.Age + ")"
			}
			if b.Len()+len(line)+1 > maxSlackSection-64 {
				break
			}
			b.WriteString(line + "\n")
		}
		if v.MoreIssues > 0 {
			fmt.Fprintf(&b, "...and %d more %s", v.MoreIssues, plural(v.MoreIssues, "issue", "issues"))
		}
		blocks = append(blocks, section(strings.TrimSuffix(b.String(), "\n")))
	}
	var links []string
	if v.AlertURL != "" {
		links = append(links, slackLink(v.AlertURL, "View alert"))
	}
	if v.MonitorURL != "" {
		links = append(links, slackLink(v.MonitorURL, "Edit issue monitor"))
	}
	if len(links) > 0 {
		blocks = append(blocks, section(strings.Join(links, " · ")))
	}
	return blocks
}

// slackEscape escapes the three characters Slack's mrkdwn treats as control characters.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func slackLink(url, text string) string {
	url = strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(url)
	return "<" + strings.ReplaceAll(url, "&", "&amp;") + "|" + slackEscape(oneLine(text)) + ">"
}

// slackCode puts content in a code block of at most limit characters: content is cut
// further when escaping made it too long, and triple backticks inside it are broken up so
// they cannot end the block.
func slackCode(content string, limit int) string {
	content = strings.ReplaceAll(strings.TrimSuffix(content, "\n"), "```", "`\u200b`\u200b`")
	const fence = "```"
	budget := limit - 2*len(fence) - len("\n"+strings.TrimSuffix(TruncationMarker, "\n"))
	var b strings.Builder
	n := 0
	cut := false
	for _, r := range content {
		esc := slackEscape(string(r))
		w := utf8.RuneCountInString(esc)
		if n+w > budget {
			cut = true
			break
		}
		b.WriteString(esc)
		n += w
	}
	out := b.String()
	if cut {
		out += "\n" + strings.TrimSuffix(TruncationMarker, "\n")
	}
	if out == "" {
		out = " "
	}
	return fence + out + fence
}

// SlackSender posts notifications to Slack incoming webhooks through a SafeClient.
type SlackSender struct {
	client *SafeClient
}

// NewSlackSender returns a sender using client for every request.
func NewSlackSender(client *SafeClient) *SlackSender {
	return &SlackSender{client: client}
}

// Send posts n to the Slack incoming webhook url. url must pass ValidateSlackURL unless
// its host is listed in WEBHOOK_ALLOWED_HOSTS (tests, staging relays).
func (s *SlackSender) Send(ctx context.Context, url, deliveryID string, n Notification) error {
	if err := checkDeliveryID(deliveryID); err != nil {
		return err
	}
	if err := s.check(url); err != nil {
		return err
	}
	body, err := SlackPayload(n)
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", WebhookUserAgent)
	h.Set(DeliveryHeader, deliveryID)
	if _, err := s.client.Post(ctx, url, h, body); err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	return nil
}

func (s *SlackSender) check(raw string) error {
	err := ValidateSlackURL(raw)
	if err == nil {
		return nil
	}
	if u, perr := parseURL(raw); perr == nil && s.client.explicitlyAllowed(u) {
		return nil
	}
	return err
}
