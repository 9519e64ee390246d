package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var fixedNow = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

func diffResult(repo, sha, file string, lines int) Result {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n@@ -1,%d +1,%d @@\n", file, file, lines, lines)
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&b, "+token := \"secret-%d\"\n", i)
	}
	diff := b.String()
	start := strings.Index(diff, "secret-0")
	return Result{
		Repository: repo,
		Commit:     sha,
		URL:        "https://lookout.example.com/" + repo + "/-/commit/" + sha,
		Message:    "Add configuration for " + file,
		Diff:       diff,
		MatchedDiffRanges: []Range{{
			Start: locationAt(diff, start),
			End:   locationAt(diff, start+len("secret-0")),
		}},
	}
}

// codeMonitorFixture has 7 results: more than an email shows, one of them longer than
// the line limit, one a message match with characters that need escaping.
func codeMonitorFixture() Notification {
	n := Notification{
		Kind:               CodeMonitorResults,
		MonitorDescription: "Secrets committed to main",
		MonitorURL:         "https://lookout.example.com/code-monitoring/Q29kZU1vbml0b3I6MQ==",
		SearchURL:          "https://lookout.example.com/search?q=type%3Adiff+secret",
		Query:              "type:diff secret",
		Owner:              "alice",
		ResultCount:        7,
		IncludeResults:     true,
	}
	n.Results = append(n.Results, diffResult("github.com/acme/api", "3f2a9c1d0b8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a", "config.go", 2))
	n.Results = append(n.Results, diffResult("github.com/acme/web", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0", "long.go", 14))
	msg := "Fix <script> & \"quotes\" in secret handling"
	n.Results = append(n.Results, Result{
		Repository: "github.com/acme/docs",
		Commit:     "0badc0de0badc0de0badc0de0badc0de0badc0de",
		URL:        "https://lookout.example.com/github.com/acme/docs/-/commit/0badc0de0badc0de0badc0de0badc0de0badc0de",
		Message:    msg,
		MatchedMessageRanges: []Range{{
			Start: locationAt(msg, strings.Index(msg, "secret")),
			End:   locationAt(msg, strings.Index(msg, "secret")+6),
		}},
	})
	for i := 3; i < 7; i++ {
		n.Results = append(n.Results, diffResult("github.com/acme/svc"+fmt.Sprint(i), strings.Repeat(fmt.Sprint(i), 40), "main.go", 1))
	}
	return n
}

func alertFixture() Notification {
	return Notification{
		Kind:               IssueMonitorEvent,
		MonitorDescription: "Insecure exec calls",
		MonitorURL:         "https://lookout.example.com/code-monitoring/Q29kZU1vbml0b3I6Mg==",
		Query:              "lang:go exec.Command(",
		Owner:              "platform-team",
		IncludeResults:     true,
		Event: &Event{
			Name:      "alert_priority_increased",
			Source:    "alert",
			SourceID:  12,
			MonitorID: 2,
			Extra:     json.RawMessage(`{"triggeredBy":"search"}`),
			Alert: &Alert{
				ID:               12,
				URL:              "https://lookout.example.com/code-monitoring/Q29kZU1vbml0b3I6Mg==/alerts/12",
				State:            "active",
				Priority:         "P2",
				PreviousPriority: "P3",
				ActiveIssues:     6,
				OldestIssueAge:   9*24*time.Hour + 3*time.Hour,
				Issues: []Issue{
					{Key: "github.com/acme/api:cmd/run.go", Repository: "github.com/acme/api", Path: "cmd/run.go", URL: "https://lookout.example.com/github.com/acme/api/-/blob/cmd/run.go", State: "active", CreatedAt: fixedNow.Add(-9*24*time.Hour - 3*time.Hour)},
					{Key: "github.com/acme/api:tools/gen.go", Repository: "github.com/acme/api", Path: "tools/gen.go", State: "active", CreatedAt: fixedNow.Add(-2 * time.Hour)},
					{Key: "github.com/acme/web:build.go", Repository: "github.com/acme/web", Path: "build.go", State: "active", CreatedAt: fixedNow.Add(-90 * time.Second)},
					{Key: "a", Repository: "github.com/acme/a", Path: "a.go", State: "active", CreatedAt: fixedNow.Add(-time.Hour)},
					{Key: "b", Repository: "github.com/acme/b", Path: "b.go", State: "active", CreatedAt: fixedNow.Add(-time.Hour)},
					{Key: "c", Repository: "github.com/acme/c", Path: "c.go", State: "active", CreatedAt: fixedNow.Add(-time.Hour)},
				},
			},
		},
	}
}

func renderCases() map[string]Notification {
	withoutResults := codeMonitorFixture()
	withoutResults.IncludeResults = false
	critical := Notification{
		Kind:               CodeMonitorResults,
		MonitorDescription: "Déploiement: clés exposées",
		MonitorURL:         "https://lookout.example.com/code-monitoring/Q29kZU1vbml0b3I6Mw==",
		SearchURL:          "https://lookout.example.com/search?q=key",
		Query:              "type:commit key",
		Owner:              "bob",
		Critical:           true,
		Header:             "Security team: act on this within the day.",
		IncludeResults:     true,
	}.AsTest()
	return map[string]Notification{
		"code_monitor":            codeMonitorFixture(),
		"code_monitor_no_results": withoutResults,
		"code_monitor_test":       critical,
		"issue_alert":             alertFixture(),
	}
}

func TestEmailGolden(t *testing.T) {
	for name, n := range renderCases() {
		t.Run(name, func(t *testing.T) {
			e, err := renderEmail(n, fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".subject.txt", []byte(e.Subject+"\n"))
			golden(t, name+".email.txt", []byte(e.Text))
			golden(t, name+".email.html", []byte(e.HTML))
		})
	}
}

func TestSlackGolden(t *testing.T) {
	for name, n := range renderCases() {
		t.Run(name, func(t *testing.T) {
			b, err := slackPayload(n, fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".slack.json", indentJSON(t, b))
		})
	}
}

func TestWebhookGolden(t *testing.T) {
	for name, n := range renderCases() {
		t.Run(name, func(t *testing.T) {
			b, err := WebhookPayload(n)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".webhook.json", indentJSON(t, b))
		})
	}
}

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func TestEmailContent(t *testing.T) {
	e, err := renderEmail(codeMonitorFixture(), fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Secrets committed to main detected 7 new results"; e.Subject != want {
		t.Errorf("subject = %q, want %q", e.Subject, want)
	}
	// At most five results, the rest counted.
	if got := strings.Count(e.Text, "Diff match in ") + strings.Count(e.Text, "Message match in "); got != MaxShownResults {
		t.Errorf("text shows %d results, want %d", got, MaxShownResults)
	}
	if !strings.Contains(e.Text, "...and 2 more results.") {
		t.Errorf("text does not count the results not shown:\n%s", e.Text)
	}
	if !strings.Contains(e.Text, "github.com/acme/api@3f2a9c1") {
		t.Errorf("text lacks repo@short-sha:\n%s", e.Text)
	}
	// The 14-line diff is cut to 10 lines and marked.
	if strings.Contains(e.Text, "secret-8") || !strings.Contains(e.Text, "secret-7\"\n    ...") {
		t.Errorf("long diff not cut at 10 lines:\n%s", e.Text)
	}
	// HTML escapes result content and highlights matches.
	if strings.Contains(e.HTML, "<script>") || !strings.Contains(e.HTML, "&lt;script&gt;") {
		t.Errorf("HTML does not escape content")
	}
	if !strings.Contains(e.HTML, `<mark style="background:#ffe8a3">secret</mark>`) {
		t.Errorf("HTML does not highlight the matched range")
	}
	for _, s := range []string{e.Text, e.HTML} {
		for _, want := range []string{"confidential", "https://lookout.example.com/search?q=", "https://lookout.example.com/code-monitoring/"} {
			if !strings.Contains(s, want) {
				t.Errorf("body lacks %q", want)
			}
		}
	}

	n := codeMonitorFixture()
	n.IncludeResults = false
	e, err = renderEmail(n, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.Text, "secret-0") || strings.Contains(e.HTML, "secret-0") {
		t.Error("email without include-results shows result content")
	}
}

func TestSubjects(t *testing.T) {
	one := codeMonitorFixture()
	one.ResultCount, one.Results = 1, one.Results[:1]
	crit := one
	crit.Critical = true
	test := crit.AsTest()
	multiline := one
	multiline.MonitorDescription = "evil\r\nBcc: victim@example.com"
	alert := alertFixture()
	alert.Event.Alert.Priority = ""
	alert.Event.Name = "alert_created"
	for _, tc := range []struct {
		n    Notification
		want string
	}{
		{one, "Secrets committed to main detected 1 new result"},
		{crit, "[Critical] Secrets committed to main detected 1 new result"},
		{test, "Test: [Critical] Secrets committed to main detected 1 new result"},
		{multiline, "evil Bcc: victim@example.com detected 1 new result"},
		{alertFixture(), "[P2] Insecure exec calls: alert priority increased (6 active issues)"},
		{alert, "Insecure exec calls: alert created (6 active issues)"},
	} {
		e, err := renderEmail(tc.n, fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		if e.Subject != tc.want {
			t.Errorf("subject = %q, want %q", e.Subject, tc.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for name, n := range map[string]Notification{
		"no kind":        {MonitorDescription: "x"},
		"no description": {Kind: CodeMonitorResults},
		"no event":       {Kind: IssueMonitorEvent, MonitorDescription: "x"},
		"bad event data": {Kind: IssueMonitorEvent, MonitorDescription: "x", Event: &Event{Name: "alert_created", Data: json.RawMessage("{")}},
		"negative count": {Kind: CodeMonitorResults, MonitorDescription: "x", ResultCount: -1},
	} {
		if err := n.Validate(); err == nil || !IsPermanent(err) {
			t.Errorf("%s: Validate() = %v, want a permanent error", name, err)
		}
		if _, err := RenderEmail(n); err == nil {
			t.Errorf("%s: RenderEmail accepted an invalid notification", name)
		}
		if _, err := WebhookPayload(n); err == nil {
			t.Errorf("%s: WebhookPayload accepted an invalid notification", name)
		}
		if _, err := SlackPayload(n); err == nil {
			t.Errorf("%s: SlackPayload accepted an invalid notification", name)
		}
	}
}

func TestAsTestExampleRange(t *testing.T) {
	n := Notification{Kind: CodeMonitorResults, MonitorDescription: "x", IncludeResults: true}.AsTest()
	r := n.Results[0]
	rg := r.MatchedDiffRanges[0]
	if got := r.Diff[rg.Start.Offset:rg.End.Offset]; got != "hello, world" {
		t.Errorf("example range covers %q", got)
	}
	if n.ResultCount != 1 || !n.Test || n.EventName() != "test" {
		t.Errorf("AsTest = %+v", n)
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                    "0 seconds",
		time.Second:          "1 second",
		90 * time.Second:     "1 minute",
		2 * time.Hour:        "2 hours",
		49 * time.Hour:       "2 days",
		24*time.Hour - 1:     "23 hours",
		30 * 24 * time.Hour:  "30 days",
		61 * time.Minute:     "1 hour",
		59*time.Second + 999: "59 seconds",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
