package campaigns

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/store"
)

func TestPlanOperations(t *testing.T) {
	published := Desired{Owned: true, Publication: store.PublicationPublished, DiffSHA: "d1", Title: "T", Body: "B", BaseRef: "main"}
	open := Current{Published: true, Loaded: true, ExternalState: "OPEN", PushedDiffSHA: "d1", Title: "T", Body: "B", BaseRef: "main"}
	with := func(c Current, f func(*Current)) Current { f(&c); return c }
	withD := func(d Desired, f func(*Desired)) Desired { f(&d); return d }
	for name, tc := range map[string]struct {
		cur  Current
		des  Desired
		want []Operation
	}{
		"new, published":           {Current{}, published, []Operation{OpPush, OpPublish}},
		"new, draft":               {Current{}, withD(published, func(d *Desired) { d.Publication = store.PublicationDraft }), []Operation{OpPush, OpPublishDraft}},
		"new, unpublished":         {Current{}, withD(published, func(d *Desired) { d.Publication = store.PublicationUnpublished }), nil},
		"new, no diff":             {Current{}, withD(published, func(d *Desired) { d.DiffSHA = "" }), nil},
		"up to date":               {open, published, nil},
		"diff changed":             {open, withD(published, func(d *Desired) { d.DiffSHA = "d2" }), []Operation{OpPush, OpSync}},
		"title changed":            {open, withD(published, func(d *Desired) { d.Title = "T2" }), []Operation{OpUpdate, OpSync}},
		"host normalised body":     {with(open, func(c *Current) { c.Body = "B\r\n" }), published, nil},
		"base changed":             {open, withD(published, func(d *Desired) { d.BaseRef = "refs/heads/dev" }), []Operation{OpUpdate, OpSync}},
		"undraft":                  {with(open, func(c *Current) { c.ExternalState = "DRAFT" }), published, []Operation{OpUndraft, OpSync}},
		"draft title prefix":       {with(open, func(c *Current) { c.ExternalState = "DRAFT"; c.Title = "Draft: T" }), withD(published, func(d *Desired) { d.Publication = store.PublicationDraft }), nil},
		"draft stays draft":        {with(open, func(c *Current) { c.ExternalState = "DRAFT" }), withD(published, func(d *Desired) { d.Publication = store.PublicationDraft }), nil},
		"close open":               {open, withD(published, func(d *Desired) { d.Closing = true }), []Operation{OpClose}},
		"close unpublished":        {Current{}, withD(published, func(d *Desired) { d.Closing = true }), nil},
		"merged left alone":        {with(open, func(c *Current) { c.ExternalState = "MERGED" }), withD(published, func(d *Desired) { d.DiffSHA = "d2"; d.Closing = true }), nil},
		"closed left alone":        {with(open, func(c *Current) { c.ExternalState = "CLOSED" }), withD(published, func(d *Desired) { d.Title = "new" }), nil},
		"pushed branch re-pushed":  {with(open, func(c *Current) { c.ExternalState = "PUSHED" }), withD(published, func(d *Desired) { d.DiffSHA = "d2" }), []Operation{OpPush, OpPublish}},
		"pushed branch up to date": {with(open, func(c *Current) { c.ExternalState = "PUSHED"; c.Title = "" }), published, nil},
		"tracked, not loaded":      {Current{Published: true}, Desired{}, []Operation{OpImport}},
		"tracked, loaded":          {open, Desired{}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, PlanOperations(tc.cur, tc.des)); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestChooseBranch(t *testing.T) {
	taken := map[string]bool{"b": true, "b-1": true}
	got, err := ChooseBranch(context.Background(), "b", func(_ context.Context, name string) (bool, error) { return taken[name], nil })
	if err != nil || got != "b-2" {
		t.Fatalf("ChooseBranch = %q, %v; want b-2", got, err)
	}
	if got, _ := ChooseBranch(context.Background(), "free", func(context.Context, string) (bool, error) { return false, nil }); got != "free" {
		t.Fatalf("a free name got %q", got)
	}
	if _, err := ChooseBranch(context.Background(), "x", func(context.Context, string) (bool, error) { return false, fmt.Errorf("remote down") }); err == nil {
		t.Fatal("a failing check chose a branch")
	}
	if _, err := ChooseBranch(context.Background(), "x", func(context.Context, string) (bool, error) { return true, nil }); err == nil {
		t.Fatal("all names taken, yet one was chosen")
	}
}

func TestParseRates(t *testing.T) {
	r, err := ParseRates("30/hour, github.example.com=1/second, gitlab.example.com=unlimited")
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]time.Duration{"other.example.com": 2 * time.Minute, "GitHub.example.com": time.Second} {
		if got, limited := r.For(host); !limited || got != want {
			t.Errorf("For(%s) = %s, %v; want %s", host, got, limited, want)
		}
	}
	if _, limited := r.For("gitlab.example.com"); limited {
		t.Error("an unlimited host is limited")
	}
	def, _ := ParseRates("")
	if got, limited := def.For("x"); !limited || got != time.Minute/8 {
		t.Errorf("default rate: %s %v", got, limited)
	}
	for _, bad := range []string{"fast", "0/minute", "3/fortnight", "h=x/y"} {
		if _, err := ParseRates(bad); err == nil {
			t.Errorf("ParseRates(%q) succeeded", bad)
		}
	}
}

func TestNextSync(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		sinceChange time.Duration
		want        time.Duration
	}{
		{0, MinSyncDelay}, {time.Minute, MinSyncDelay}, {time.Hour, time.Hour}, {3 * time.Hour, 3 * time.Hour}, {72 * time.Hour, MaxSyncDelay},
	} {
		if got := NextSync(now, now.Add(-tc.sinceChange)).Sub(now); got != tc.want {
			t.Errorf("%s since the last change: next sync in %s, want %s", tc.sinceChange, got, tc.want)
		}
	}
	if got := NextSync(now, time.Time{}).Sub(now); got != MinSyncDelay {
		t.Errorf("never changed: %s", got)
	}
}

func TestTransitionAndCounts(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 1, d, 12, 0, 0, 0, time.UTC) }
	var events []*store.ChangesetEvent
	cur := &store.Changeset{}
	apply := func(next store.ExternalState, at time.Time) {
		for _, e := range Transition(1, cur, next, at) {
			e := e
			events = append(events, &e)
		}
		cur.ExternalState, cur.ReviewState, cur.CheckState = next.State, next.ReviewState, next.CheckState
	}
	created := day(1)
	apply(store.ExternalState{State: "OPEN", ReviewState: "PENDING", CheckState: "UNKNOWN", CreatedAt: &created}, day(1))
	apply(store.ExternalState{State: "OPEN", ReviewState: "APPROVED", CheckState: "PASSED"}, day(2))
	apply(store.ExternalState{State: "OPEN", ReviewState: "APPROVED", CheckState: "PASSED"}, day(2)) // seen again: nothing new
	apply(store.ExternalState{State: "MERGED", ReviewState: "APPROVED", CheckState: "PASSED"}, day(4))
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	if diff := cmp.Diff([]string{EventOpened, EventReviewApproved, EventChecksPassed, EventMerged}, kinds); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	// A second changeset opened on day 3 and closed on day 5.
	other := []*store.ChangesetEvent{{Kind: EventOpened, CreatedAt: day(3)}, {Kind: EventReviewChangesRequested, CreatedAt: day(3).Add(time.Hour)}, {Kind: EventClosed, CreatedAt: day(5)}}
	counts, err := CountsOverTime([]History{{Events: events}, {Events: other}}, day(1).Add(-time.Hour), day(6))
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Total, Merged, Closed, Open, Approved, Changes, Pending int }
	var got []row
	for _, c := range counts {
		got = append(got, row{c.Total, c.Merged, c.Closed, c.Open, c.OpenApproved, c.OpenChangesRequested, c.OpenPending})
	}
	want := []row{
		{0, 0, 0, 0, 0, 0, 0}, // day 1, 11:00
		{1, 0, 0, 1, 0, 0, 1}, // end of day 1
		{1, 0, 0, 1, 1, 0, 0}, // end of day 2
		{2, 0, 0, 2, 1, 1, 0}, // end of day 3
		{2, 1, 0, 1, 0, 1, 0}, // end of day 4
		{2, 1, 1, 0, 0, 0, 0}, // end of day 5
		{2, 1, 1, 0, 0, 0, 0}, // day 6, 12:00
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("counts (-want +got):\n%s", diff)
	}
	if _, err := CountsOverTime(nil, day(5), day(1)); err == nil {
		t.Fatal("to before from was accepted")
	}
	if _, err := CountsOverTime(nil, day(1), day(1).AddDate(10, 0, 0)); err == nil {
		t.Fatal("ten years of daily counts were accepted")
	}
}

// TestCountsOfDrafts: a pull request opened as a draft has only an OPENED event; it
// counts as a draft until it is marked ready, and stays one when closed and reopened.
func TestCountsOfDrafts(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 2, d, 12, 0, 0, 0, time.UTC) }
	record := func(states ...string) History { return recordStates(day, 1, states...) }
	for name, tc := range map[string]struct {
		h     History
		draft []int // drafts counted at the end of days 1 to 4
		open  []int
	}{
		"draft, then ready":         {record("DRAFT", "DRAFT", "OPEN"), []int{1, 1, 0, 0}, []int{1, 1, 1, 1}},
		"still a draft":             {record("DRAFT"), []int{1, 1, 1, 1}, []int{1, 1, 1, 1}},
		"opened, converted":         {record("OPEN", "DRAFT"), []int{0, 1, 1, 1}, []int{1, 1, 1, 1}},
		"draft closed and reopened": {record("DRAFT", "CLOSED", "DRAFT"), []int{1, 0, 1, 1}, []int{1, 0, 1, 1}},
		"draft merged":              {record("DRAFT", "OPEN", "MERGED"), []int{1, 0, 0, 0}, []int{1, 1, 0, 0}},
	} {
		t.Run(name, func(t *testing.T) {
			counts, err := CountsOverTime([]History{tc.h}, day(1), day(4).Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			var draft, open []int
			for _, c := range counts[1:] { // the end of days 1, 2, 3, then day 4 13:00
				draft, open = append(draft, c.Draft), append(open, c.Open)
			}
			if diff := cmp.Diff(tc.draft, draft); diff != "" {
				t.Errorf("drafts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.open, open); diff != "" {
				t.Errorf("open (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCountsOfPushedBranches: a branch pushed to a plain git remote counts as Pushed
// (and in Total) from its first push, pushed again it stays one changeset, deleted it
// counts as closed; a pull request next to it is counted as before.
func TestCountsOfPushedBranches(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2025, 3, d, 12, 0, 0, 0, time.UTC) }
	branch := recordStates(day, 2, "PUSHED", "PUSHED", "DELETED")
	pr := History{Events: []*store.ChangesetEvent{{Kind: EventOpened, CreatedAt: day(1)}}}
	counts, err := CountsOverTime([]History{branch, pr}, day(1).Add(-time.Hour), day(5))
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Total, Pushed, Open, Closed int }
	var got []row
	for _, c := range counts {
		got = append(got, row{c.Total, c.Pushed, c.Open, c.Closed})
	}
	want := []row{
		{0, 0, 0, 0}, // day 1, 11:00
		{1, 0, 1, 0}, // end of day 1: the pull request
		{2, 1, 1, 0}, // end of day 2: the branch pushed
		{2, 1, 1, 0}, // end of day 3: pushed again, still one
		{2, 0, 1, 1}, // end of day 4: the branch deleted
		{2, 0, 1, 1}, // day 5, 12:00
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("counts (-want +got):\n%s", diff)
	}
}

// recordStates is the history of a changeset created on day first and seen in each of
// states on the days after, one a day, as the syncer records it.
func recordStates(day func(int) time.Time, first int, states ...string) History {
	var h History
	cur := &store.Changeset{}
	for i, s := range states {
		created := day(first)
		for _, e := range Transition(1, cur, store.ExternalState{State: s, ReviewState: "PENDING", CheckState: "UNKNOWN", CreatedAt: &created}, day(first+i)) {
			e := e
			h.Events = append(h.Events, &e)
		}
		cur.ExternalState = s
	}
	h.State = cur.ExternalState
	return h
}
