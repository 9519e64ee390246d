package issuemonitors

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/store"
)

func f(v float64) *float64 { return &v }

// levels builds thresholds from P5 (informational) to P1 (critical); nil is unset.
func levels(informational, low, moderate, high, critical *float64) store.IssueLevels {
	return store.IssueLevels{critical, high, moderate, low, informational}
}

func issuesAt(created ...time.Time) []*store.MonitorIssue {
	var out []*store.MonitorIssue
	for i, c := range created {
		out = append(out, &store.MonitorIssue{ID: int64(i + 1), CreatedAt: c, Data: []byte("{}")})
	}
	return out
}

func withValues(field string, values ...string) []*store.MonitorIssue {
	var out []*store.MonitorIssue
	for i, v := range values {
		out = append(out, &store.MonitorIssue{ID: int64(i + 1), Data: []byte(`{"` + field + `": ` + v + `}`)})
	}
	return out
}

func TestCountRule(t *testing.T) {
	r := Rule{Kind: RuleCount, Levels: levels(nil, f(0), f(2), nil, f(5))}
	now := time.Now()
	for n, want := range map[int]Priority{0: NoPriority, 1: Low, 2: Low, 3: Moderate, 5: Moderate, 6: Critical, 100: Critical} {
		issues := issuesAt(make([]time.Time, n)...)
		if got := r.Priority(issues, now); got != want {
			t.Errorf("%d issues: %s, want %s", n, got, want)
		}
	}
}

// TestAgeRule moves a controlled clock past each threshold: a level triggers only once
// the oldest issue is strictly older than it, and the high level, unset, never does.
func TestAgeRule(t *testing.T) {
	r := Rule{Kind: RuleAge, Levels: levels(f(60), nil, f(3600), nil, f(86400))}
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	issues := issuesAt(created.Add(30*time.Minute), created, created.Add(time.Hour))
	for _, c := range []struct {
		age  time.Duration
		want Priority
	}{
		{0, NoPriority},
		{59 * time.Second, NoPriority},
		{60 * time.Second, NoPriority}, // equal does not trigger
		{61 * time.Second, Informational},
		{time.Hour, Informational},
		{time.Hour + time.Second, Moderate},
		{23 * time.Hour, Moderate},
		{24 * time.Hour, Moderate},
		{24*time.Hour + time.Millisecond, Critical},
	} {
		if got := r.Priority(issues, created.Add(c.age)); got != c.want {
			t.Errorf("oldest issue %s old: %s, want %s", c.age, got, c.want)
		}
	}
	if got := r.Priority(nil, created.Add(48*time.Hour)); got != NoPriority {
		t.Errorf("no issues: %s", got)
	}
}

func TestValueRule(t *testing.T) {
	greater := Rule{Kind: RuleValue, ValueField: "matchCount", Operation: GreaterThan, Levels: levels(nil, f(1), f(5), f(10), nil)}
	lesser := Rule{Kind: RuleValue, ValueField: "size", Operation: LesserThan, Levels: levels(f(100), nil, f(10), nil, f(1))}
	now := time.Now()
	for _, c := range []struct {
		r      Rule
		field  string
		values []string
		want   Priority
	}{
		{greater, "matchCount", []string{"1"}, NoPriority}, // equal
		{greater, "matchCount", []string{"2"}, Low},
		{greater, "matchCount", []string{"1", "5", "3"}, Low},
		{greater, "matchCount", []string{"1", "6", "3"}, Moderate},
		{greater, "matchCount", []string{"11", "0"}, High}, // the highest issue wins; critical is unset
		{greater, "matchCount", []string{"1e9"}, High},
		{greater, "size", []string{"100"}, NoPriority}, // issues without the field do not count
		{greater, "matchCount", []string{`"12"`}, NoPriority},
		{lesser, "size", []string{"100"}, NoPriority},
		{lesser, "size", []string{"99"}, Informational},
		{lesser, "size", []string{"10"}, Informational},
		{lesser, "size", []string{"9.5"}, Moderate},
		{lesser, "size", []string{"1"}, Moderate},
		{lesser, "size", []string{"500", "0.5"}, Critical},
		{lesser, "size", []string{"-3"}, Critical},
	} {
		if got := c.r.Priority(withValues(c.field, c.values...), now); got != c.want {
			t.Errorf("%s %s over %s=%v: %s, want %s", c.r.Kind, c.r.Operation, c.field, c.values, got, c.want)
		}
	}
}

func TestRuleValidate(t *testing.T) {
	for _, c := range []struct {
		r    Rule
		want string // "" valid
	}{
		{Rule{Kind: RuleCount, Levels: levels(f(0), f(1), f(2), f(3), f(4))}, ""},
		{Rule{Kind: RuleCount, Levels: levels(nil, f(3), nil, f(5), nil)}, ""},
		{Rule{Kind: RuleCount, Levels: levels(f(3), f(3), nil, nil, nil)}, "must be greater than"},
		{Rule{Kind: RuleCount, Levels: levels(nil, f(5), nil, f(2), nil)}, "must be greater than"},
		{Rule{Kind: RuleCount, Levels: levels(nil, nil, nil, nil, nil)}, "at least one level"},
		{Rule{Kind: RuleCount, Levels: levels(f(-1), nil, nil, nil, nil)}, "must not be negative"},
		{Rule{Kind: RuleAge, Operation: LesserThan, Levels: levels(f(1), nil, nil, nil, nil)}, "GREATER_THAN only"},
		{Rule{Kind: RuleCount, ValueField: "matchCount", Levels: levels(f(1), nil, nil, nil, nil)}, "VALUE rule only"},
		{Rule{Kind: RuleValue, Operation: GreaterThan, Levels: levels(f(1), nil, nil, nil, nil)}, "needs a valueField"},
		{Rule{Kind: RuleValue, ValueField: "nope", Operation: GreaterThan, Levels: levels(f(1), nil, nil, nil, nil)}, "unknown valueField"},
		{Rule{Kind: RuleValue, ValueField: "size", Operation: "", Levels: levels(f(1), nil, nil, nil, nil)}, "GREATER_THAN or LESSER_THAN"},
		{Rule{Kind: RuleValue, ValueField: "size", Operation: LesserThan, Levels: levels(f(10), f(5), nil, nil, f(-1))}, ""},
		{Rule{Kind: RuleValue, ValueField: "size", Operation: LesserThan, Levels: levels(f(1), f(5), nil, nil, nil)}, "must be lower than"},
		{Rule{Kind: RuleValue, ValueField: "size", Operation: GreaterThan, Levels: levels(f(-5), f(-1), nil, nil, nil)}, ""},
		{Rule{Kind: "MAX", Levels: levels(f(1), nil, nil, nil, nil)}, "unknown rule kind"},
	} {
		err := c.r.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.r, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: got %v, want an error with %q", c.r, err, c.want)
		}
	}
}

func TestPriorityOrder(t *testing.T) {
	if !Critical.Above(High) || High.Above(Critical) || !Informational.Above(NoPriority) || NoPriority.Above(Informational) {
		t.Fatal("Above")
	}
	if !High.AtLeast(Moderate) || !High.AtLeast(High) || Low.AtLeast(Moderate) || NoPriority.AtLeast(Low) || !NoPriority.AtLeast(NoPriority) {
		t.Fatal("AtLeast")
	}
	for _, s := range []string{"P1", "P5", ""} {
		p, err := ParsePriority(s)
		if err != nil || p.String() != s {
			t.Fatalf("ParsePriority(%q) = %v, %v", s, p, err)
		}
	}
	if _, err := ParsePriority("P6"); err == nil {
		t.Fatal("P6 parsed")
	}
}
