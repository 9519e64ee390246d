package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Kind says what a notification reports.
type Kind string

const (
	// CodeMonitorResults reports the new results of a code monitor run.
	CodeMonitorResults Kind = "code_monitor_results"
	// IssueMonitorEvent reports an event of an issue monitor (alert created, priority
	// changed, alert solved, ...).
	IssueMonitorEvent Kind = "issue_monitor_event"
)

// Notification is what the monitor code hands to a sender: everything needed to render an
// email, a webhook body or a Slack message, already resolved (links absolute, permissions
// applied). Fields that a kind does not use are ignored.
type Notification struct {
	Kind Kind
	// Test marks a notification sent by a "test action" mutation: the subject says so and
	// the webhook body carries "test": true. AsTest fills in example content.
	Test bool

	MonitorDescription string
	MonitorURL         string // the monitor's page, where it is edited
	SearchURL          string // the full search (code monitors) or the alert's issues
	Query              string // the query as run
	Owner              string // the namespace name that owns the monitor
	// Critical is the email action's CRITICAL priority: "[Critical] " in the subject and
	// high-importance headers.
	Critical bool
	// Header is the email action's header text, shown above the body.
	Header string

	// ResultCount is the number of new results (code monitors); it may be larger than
	// len(Results) when the caller only loaded some.
	ResultCount int
	Results     []Result
	// IncludeResults is the action's include-results setting: without it only counts and
	// links are sent, never result content.
	IncludeResults bool

	// Event describes the issue monitor event; required for IssueMonitorEvent.
	Event *Event
}

// Result is one search result of a code monitor (a commit or diff match) or, for other
// searches, a file match (Path and Preview).
type Result struct {
	Repository string // e.g. github.com/acme/api
	Commit     string // full commit hash
	Revision   string // the ref the result was found on, if known
	Path       string // file path, for file matches
	URL        string // link to the commit (or file) in Lookout

	Message              string
	MatchedMessageRanges []Range
	Diff                 string
	MatchedDiffRanges    []Range
	// Preview is the matched content of a file match (its matching lines).
	Preview              string
	MatchedPreviewRanges []Range
}

// Range is a matched span of a result's text.
type Range struct {
	Start Location `json:"start"`
	End   Location `json:"end"`
}

// Location is a position in a text: Offset in bytes from its start, Line counted from 0,
// Column in bytes from the start of the line.
type Location struct {
	Offset int `json:"offset"`
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Event is an issue monitor event, with the payload fields of the followed platform
// (event_source, event_source_id, event_source_monitor_id, event_name, event_data,
// extra_payload) and the alert it concerns, for rendering.
type Event struct {
	Name      string // e.g. alert_priority_decreased
	Source    string // monitor, alert or issue
	SourceID  int64
	MonitorID int64
	// Data is event_data as stored with the event; when nil it is built from Alert.
	Data json.RawMessage
	// Extra is extra_payload; nil sends {}.
	Extra json.RawMessage
	// Alert is the alert the event concerns, if any.
	Alert *Alert
}

// Alert summarises an issue monitor alert at the time of the event.
type Alert struct {
	ID               int64
	URL              string
	State            string // active or solved
	Priority         string // P1 (critical) .. P5 (informational), or "" when no level applies
	PreviousPriority string // for priority changes
	Acknowledged     bool
	Locked           bool
	ActiveIssues     int
	OldestIssueAge   time.Duration
	// Issues lists (some of) the active issues; email and Slack show at most
	// MaxShownResults of them when IncludeResults is set.
	Issues []Issue
}

// Issue is one tracked problem of an issue monitor.
type Issue struct {
	Key        string
	Repository string
	Path       string
	Commit     string
	URL        string
	State      string
	CreatedAt  time.Time
}

// Errors that no retry can fix; IsPermanent reports true for errors wrapping them.
var (
	ErrInvalidNotification = errors.New("invalid notification")
	ErrInvalidDeliveryID   = errors.New("invalid delivery ID")
)

// Validate reports what makes n impossible to send.
func (n Notification) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidNotification, fmt.Sprintf(format, args...))
	}
	switch n.Kind {
	case CodeMonitorResults:
	case IssueMonitorEvent:
		if n.Event == nil {
			return bad("an issue monitor event needs Event")
		}
		if n.Event.Name == "" {
			return bad("the event has no name")
		}
		if len(n.Event.Data) > 0 && !json.Valid(n.Event.Data) {
			return bad("event data is not valid JSON")
		}
		if len(n.Event.Extra) > 0 && !json.Valid(n.Event.Extra) {
			return bad("event extra payload is not valid JSON")
		}
	default:
		return bad("unknown kind %q", n.Kind)
	}
	if strings.TrimSpace(n.MonitorDescription) == "" {
		return bad("the monitor has no description")
	}
	if n.ResultCount < 0 {
		return bad("negative result count")
	}
	return nil
}

// APIEventName is an issue monitor event's name as deliveries carry it: the spelling of
// the API's IssueMonitorEventName enum (ALERT_CREATED), whatever the stored one.
func APIEventName(name string) string { return strings.ToUpper(name) }

// EventName is the name sent in the X-Lookout-Event header.
func (n Notification) EventName() string {
	switch {
	case n.Kind == IssueMonitorEvent && n.Event != nil:
		return APIEventName(n.Event.Name)
	case n.Test:
		return "test"
	default:
		return string(CodeMonitorResults)
	}
}

// resultCount is the count to report: never less than the results at hand.
func (n Notification) resultCount() int {
	if n.ResultCount < len(n.Results) {
		return len(n.Results)
	}
	return n.ResultCount
}

// AsTest returns n marked as a test, with one example result when it has none, so a test
// action shows what a real notification looks like.
func (n Notification) AsTest() Notification {
	n.Test = true
	if n.Kind == "" {
		n.Kind = CodeMonitorResults
	}
	if n.Kind == CodeMonitorResults && len(n.Results) == 0 {
		n.Results = []Result{exampleResult()}
		if n.ResultCount == 0 {
			n.ResultCount = 1
		}
	}
	return n
}

// exampleResult is the result a test notification shows.
func exampleResult() Result {
	diff := "example.go example.go\n" +
		"@@ -1,3 +1,3 @@\n" +
		" package example\n" +
		"-const greeting = \"hello\"\n" +
		"+const greeting = \"hello, world\"\n"
	match := "hello, world"
	start := strings.Index(diff, match)
	lineStart := strings.LastIndexByte(diff[:start], '\n') + 1
	line := strings.Count(diff[:start], "\n")
	return Result{
		Repository: "example.com/lookout/test-repository",
		Commit:     "0123456789abcdef0123456789abcdef01234567",
		Message:    "Example commit: this is a test notification",
		Diff:       diff,
		MatchedDiffRanges: []Range{{
			Start: Location{Offset: start, Line: line, Column: start - lineStart},
			End:   Location{Offset: start + len(match), Line: line, Column: start - lineStart + len(match)},
		}},
	}
}

// deliveryIDPattern keeps delivery IDs usable as the local part of a Message-ID and as a
// header value without quoting.
var deliveryIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_+=-]*(\.[A-Za-z0-9_+=-]+)*$`)

func checkDeliveryID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty (pass a stable key per action job, e.g. cm-action-42)", ErrInvalidDeliveryID)
	}
	if len(id) > 200 || !deliveryIDPattern.MatchString(id) {
		return fmt.Errorf("%w: %q (use letters, digits, '.', '_', '-', '+', '=', at most 200)", ErrInvalidDeliveryID, id)
	}
	return nil
}
