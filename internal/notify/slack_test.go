package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidateSlackURL(t *testing.T) {
	for _, ok := range []string{
		"https://hooks.slack.com/services/T000/B000/XXXX",
		"https://HOOKS.SLACK.COM/services/T000/B000/XXXX",
		"https://hooks.slack.com:443/services/T0/B0/x",
	} {
		if err := ValidateSlackURL(ok); err != nil {
			t.Errorf("ValidateSlackURL(%q) = %v", ok, err)
		}
	}
	for bad, why := range map[string]string{
		"http://hooks.slack.com/services/T/B/X":         "https",
		"https://hooks.slack.com.evil.com/services/T/B": "host must be hooks.slack.com",
		"https://evil.com/hooks.slack.com/services/T/B": "host must be hooks.slack.com",
		"https://slack.com/services/T/B/X":              "host must be hooks.slack.com",
		"https://hooks.slack.com:8443/services/T/B/X":   "host must be hooks.slack.com",
		"https://hooks.slack.com/api/T/B/X":             "path must start with /services/",
		"https://hooks.slack.com/services/":             "path must start with /services/",
		"https://user:pw@hooks.slack.com/services/T/B":  "credentials",
		"hooks.slack.com/services/T/B/X":                "no scheme",
		"":                                              "empty",
	} {
		err := ValidateSlackURL(bad)
		if !errors.Is(err, ErrInvalidSlackURL) || !IsPermanent(err) {
			t.Errorf("ValidateSlackURL(%q) = %v", bad, err)
			continue
		}
		if !strings.Contains(err.Error(), why) {
			t.Errorf("ValidateSlackURL(%q) = %q, want it to mention %q", bad, err, why)
		}
	}
}

func TestSlackSend(t *testing.T) {
	rcv := newReceiver(t, http.StatusOK, "ok")
	n := localNotifier(t)
	ctx := context.Background()
	// A host listed in WEBHOOK_ALLOWED_HOSTS is exempt from the Slack host rule.
	if err := n.ValidateSlackURL(ctx, rcv.URL+"/services/T/B/X"); err != nil {
		t.Fatalf("ValidateSlackURL with allowed host = %v", err)
	}
	if err := n.SendSlack(ctx, rcv.URL+"/services/T/B/X", "cm-action-9", codeMonitorFixture()); err != nil {
		t.Fatal(err)
	}
	req := rcv.requests()[0]
	var msg struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(req.body, &msg); err != nil {
		t.Fatal(err)
	}
	// Head, five results, links.
	if len(msg.Blocks) != 1+MaxShownResults+1 {
		t.Fatalf("%d blocks", len(msg.Blocks))
	}
	if !strings.Contains(msg.Blocks[0].Text.Text, "*alice*'s code monitor") || !strings.Contains(msg.Blocks[0].Text.Text, "detected *7* new results") {
		t.Errorf("head = %q", msg.Blocks[0].Text.Text)
	}
	for _, b := range msg.Blocks[1 : 1+MaxShownResults] {
		if b.Text.Type != "mrkdwn" || strings.Count(b.Text.Text, "```") != 2 {
			t.Errorf("result block = %q", b.Text.Text)
		}
	}
	links := msg.Blocks[len(msg.Blocks)-1].Text.Text
	if !strings.Contains(links, "|View 2 more results>") || !strings.Contains(links, "|Edit code monitor>") {
		t.Errorf("links = %q", links)
	}
	if strings.Contains(msg.Blocks[3].Text.Text, "<script>") {
		t.Errorf("content not escaped: %q", msg.Blocks[3].Text.Text)
	}

	// Without the allow list, only Slack's host is accepted, and nothing is sent.
	strict, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	err = strict.SendSlack(ctx, rcv.URL+"/services/T/B/X", "d", codeMonitorFixture())
	if !errors.Is(err, ErrInvalidSlackURL) || !IsPermanent(err) {
		t.Errorf("SendSlack to a non-Slack URL = %v", err)
	}
	if err := strict.ValidateSlackURL(ctx, rcv.URL+"/services/T/B/X"); !errors.Is(err, ErrInvalidSlackURL) {
		t.Errorf("ValidateSlackURL = %v", err)
	}
	if rcv.hits.Load() != 1 {
		t.Errorf("receiver hits = %d", rcv.hits.Load())
	}

	// Slack's error answers come back with their text.
	bad := newReceiver(t, http.StatusNotFound, "channel_not_found")
	err = n.SendSlack(ctx, bad.URL+"/services/T/B/X", "d", codeMonitorFixture())
	if err == nil || !strings.Contains(err.Error(), "channel_not_found") || !IsPermanent(err) {
		t.Errorf("err = %v", err)
	}
}

func TestSlackCodeBlockLimits(t *testing.T) {
	// 2,500 bytes of '<' escape to 10,000 characters: the block must still fit Slack's
	// 3,000-character section limit, and backticks must not close the block early.
	r := Result{Repository: "r", Commit: "c", Diff: strings.Repeat("<", 2400) + "```"}
	n := Notification{Kind: CodeMonitorResults, MonitorDescription: "d", IncludeResults: true, Results: []Result{r}}
	b, err := SlackPayload(n)
	if err != nil {
		t.Fatal(err)
	}
	var msg slackMessage
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	text := msg.Blocks[1].Text.Text
	if n := utf8.RuneCountInString(text); n > maxSlackSection {
		t.Errorf("section has %d characters", n)
	}
	if strings.Count(text, "```") != 2 || !strings.HasSuffix(text, "...```") {
		t.Errorf("code block = %q...", text[:80])
	}
	if strings.Contains(text, "&lt;&l\n") || strings.Contains(text, "&l```") {
		t.Error("an escape sequence was cut")
	}

	got := slackCode("a```b", 100)
	if strings.Count(got, "```") != 2 {
		t.Errorf("slackCode = %q", got)
	}
}

func TestRedactSlackURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T0123/B0456/xoxsecret":        "https://hooks.slack.com/services/T0123/B0456/REDACTED",
		"https://hooks.slack.com/services/T0123/B0456/xoxsecret/?a=b#c": "https://hooks.slack.com/services/T0123/B0456/REDACTED",
		"https://127.0.0.1:8443/slack":                                  "https://127.0.0.1:8443/REDACTED",
		"https://hooks.slack.com":                                       "https://hooks.slack.com/REDACTED",
		"not a url":                                                     "REDACTED",
	} {
		got := RedactSlackURL(in)
		if got != want {
			t.Errorf("RedactSlackURL(%q) = %q, want %q", in, got, want)
		}
		if !IsRedactedSlackURL(got) {
			t.Errorf("IsRedactedSlackURL(%q) = false", got)
		}
		if IsRedactedSlackURL(in) {
			t.Errorf("IsRedactedSlackURL(%q) = true for a real URL", in)
		}
	}
}
