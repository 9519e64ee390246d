package notify

import (
	"fmt"
	"strings"
	"time"
)

// view is a Notification prepared for display (email and Slack): results chosen, cut and
// labelled, counts pluralised, so the templates only lay things out.
type view struct {
	Test           bool
	Critical       bool
	Header         string
	Description    string
	Owner          string
	Query          string
	MonitorURL     string
	SearchURL      string
	IncludeResults bool

	// Code monitors.
	ResultCount int
	ResultNoun  string // "result" or "results"
	Results     []resultView
	MoreResults int

	// Issue monitors.
	Alert            bool
	Event            string // readable event name, e.g. "alert priority increased"
	Priority         string
	PreviousPriority string
	State            string
	Acknowledged     bool
	Locked           bool
	ActiveIssues     int
	OldestAge        string
	AlertURL         string
	Issues           []issueView
	MoreIssues       int
}

type resultView struct {
	Kind     string // Diff match, Message match, Match
	Title    string // repo@short-sha, or repo and path
	URL      string
	Content  string // cut to the limits
	Segments []segment
}

type issueView struct {
	Title string
	URL   string
	Age   string
}

func newView(n Notification, now time.Time) view {
	v := view{
		Test:           n.Test,
		Critical:       n.Critical,
		Header:         strings.TrimSpace(n.Header),
		Description:    oneLine(n.MonitorDescription),
		Owner:          n.Owner,
		Query:          oneLine(n.Query),
		MonitorURL:     n.MonitorURL,
		SearchURL:      n.SearchURL,
		IncludeResults: n.IncludeResults,
		ResultCount:    n.resultCount(),
	}
	v.ResultNoun = plural(v.ResultCount, "result", "results")
	if n.IncludeResults {
		for i, r := range n.Results {
			if i == MaxShownResults {
				break
			}
			v.Results = append(v.Results, newResultView(r))
		}
		v.MoreResults = v.ResultCount - len(v.Results)
	}
	if n.Kind == IssueMonitorEvent && n.Event != nil {
		v.Alert = true
		v.Event = strings.ReplaceAll(strings.ToLower(oneLine(n.Event.Name)), "_", " ")
		if a := n.Event.Alert; a != nil {
			v.Priority, v.PreviousPriority = a.Priority, a.PreviousPriority
			v.State = a.State
			v.Acknowledged, v.Locked = a.Acknowledged, a.Locked
			v.ActiveIssues = a.ActiveIssues
			if a.ActiveIssues > 0 && a.OldestIssueAge > 0 {
				v.OldestAge = humanDuration(a.OldestIssueAge)
			}
			v.AlertURL = a.URL
			if n.IncludeResults {
				for i, is := range a.Issues {
					if i == MaxShownResults {
						break
					}
					v.Issues = append(v.Issues, newIssueView(is, now))
				}
				total := a.ActiveIssues
				if total < len(a.Issues) {
					total = len(a.Issues)
				}
				v.MoreIssues = total - len(v.Issues)
			}
		}
	}
	return v
}

func newResultView(r Result) resultView {
	rv := resultView{URL: r.URL, Title: r.Repository}
	if r.Commit != "" {
		rv.Title += "@" + shortSHA(r.Commit)
	}
	if r.Path != "" {
		rv.Title += " " + r.Path
	}
	var text string
	var ranges []Range
	switch {
	case r.Diff != "":
		rv.Kind, text, ranges = "Diff match", r.Diff, r.MatchedDiffRanges
	case r.Message != "":
		rv.Kind, text, ranges = "Message match", r.Message, r.MatchedMessageRanges
	default:
		rv.Kind, text, ranges = "Match", r.Preview, r.MatchedPreviewRanges
	}
	rv.Content, ranges = truncateWithRanges(text, ranges)
	rv.Segments = segments(rv.Content, ranges)
	return rv
}

func newIssueView(is Issue, now time.Time) issueView {
	iv := issueView{URL: is.URL, Title: is.Repository}
	if iv.Title == "" {
		iv.Title = is.Key
	}
	if is.Path != "" {
		iv.Title += " " + is.Path
	}
	if is.Commit != "" {
		iv.Title += "@" + shortSHA(is.Commit)
	}
	if !is.CreatedAt.IsZero() && now.After(is.CreatedAt) {
		iv.Age = humanDuration(now.Sub(is.CreatedAt))
	}
	iv.Title = oneLine(iv.Title)
	return iv
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// oneLine folds whitespace runs (newlines included) into single spaces, for subjects,
// titles and Slack lines where a newline would break the layout or a header.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// humanDuration says how long in the largest whole unit: "9 days", "1 hour".
func humanDuration(d time.Duration) string {
	units := []struct {
		d    time.Duration
		name string
	}{
		{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"},
	}
	for _, u := range units {
		if d >= u.d {
			n := int(d / u.d)
			return fmt.Sprintf("%d %s", n, plural(n, u.name, u.name+"s"))
		}
	}
	n := int(d / time.Second)
	return fmt.Sprintf("%d %s", n, plural(n, "second", "seconds"))
}
