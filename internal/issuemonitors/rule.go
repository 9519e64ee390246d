package issuemonitors

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/lookout/lookout/internal/store"
)

// Priority is an alert priority: 1 (P1, critical) to 5 (P5, informational); 0 is none.
// A smaller number is more severe.
type Priority int

// The priorities, most severe first.
const (
	NoPriority    Priority = 0
	Critical      Priority = 1
	High          Priority = 2
	Moderate      Priority = 3
	Low           Priority = 4
	Informational Priority = 5
)

// String is "P1".."P5", or "" for none.
func (p Priority) String() string {
	if p < Critical || p > Informational {
		return ""
	}
	return "P" + strconv.Itoa(int(p))
}

// ParsePriority reads "P1".."P5"; "" is NoPriority.
func ParsePriority(s string) (Priority, error) {
	if s == "" {
		return NoPriority, nil
	}
	if len(s) == 2 && s[0] == 'P' && s[1] >= '1' && s[1] <= '5' {
		return Priority(s[1] - '0'), nil
	}
	return NoPriority, fmt.Errorf("invalid priority %q: want P1 (critical) to P5 (informational)", s)
}

// Above reports whether p is more severe than q (any priority is above none).
func (p Priority) Above(q Priority) bool {
	return p != NoPriority && (q == NoPriority || p < q)
}

// AtLeast reports whether p is as severe as min or more; a min of none accepts anything.
func (p Priority) AtLeast(min Priority) bool {
	return min == NoPriority || (p != NoPriority && p <= min)
}

// Highest returns the more severe of p and q.
func Highest(p, q Priority) Priority {
	if q.Above(p) {
		return q
	}
	return p
}

// Rule kinds and value operations.
const (
	RuleCount = "COUNT"
	RuleAge   = "AGE"
	RuleValue = "VALUE"

	GreaterThan = "GREATER_THAN"
	LesserThan  = "LESSER_THAN"
)

// Rule computes an alert's priority from its active issues.
//
//   - COUNT: the number of active issues is greater than a level's threshold;
//   - AGE: the age in seconds of the oldest active issue is greater than the threshold;
//   - VALUE: the number in each issue's data at ValueField is greater than (GREATER_THAN)
//     or lesser than (LESSER_THAN) the threshold; the highest level any issue reaches wins.
//
// A value equal to a threshold does not reach it, and a level without a threshold never
// triggers: the priority is the most severe level reached, or none.
type Rule struct {
	Kind       string
	ValueField string
	Operation  string
	Levels     store.IssueLevels
}

// ValueFields are the numbers of issue data a VALUE rule may read.
var ValueFields = []string{"matchCount", "lineCount", "size"}

// Validate checks a rule: a known kind, a known value field and operation for VALUE,
// at least one level, finite thresholds (non-negative for COUNT and AGE), and thresholds
// monotonic by level: each set level must be strictly beyond the less severe set levels
// in the direction of the comparison, or it could never be reached.
func (r Rule) Validate() error {
	switch r.Kind {
	case RuleCount, RuleAge:
		if r.ValueField != "" {
			return fmt.Errorf("valueField applies to the VALUE rule only")
		}
		if r.Operation != "" && r.Operation != GreaterThan {
			return fmt.Errorf("the %s rule compares with GREATER_THAN only", r.Kind)
		}
	case RuleValue:
		if r.ValueField == "" {
			return fmt.Errorf("the VALUE rule needs a valueField (one of %v)", ValueFields)
		}
		known := false
		for _, f := range ValueFields {
			known = known || f == r.ValueField
		}
		if !known {
			return fmt.Errorf("unknown valueField %q: issue data holds the numbers %v", r.ValueField, ValueFields)
		}
		if r.Operation != GreaterThan && r.Operation != LesserThan {
			return fmt.Errorf("the VALUE rule's operation must be GREATER_THAN or LESSER_THAN")
		}
	default:
		return fmt.Errorf("unknown rule kind %q: want COUNT, AGE or VALUE", r.Kind)
	}
	set := 0
	var prev *float64
	var prevName string
	// From the least severe level (P5) to the most severe (P1).
	for p := Informational; p >= Critical; p-- {
		t := r.Levels[p-1]
		if t == nil {
			continue
		}
		set++
		name := levelName(p)
		if math.IsNaN(*t) || math.IsInf(*t, 0) {
			return fmt.Errorf("the %s threshold must be a finite number", name)
		}
		if r.Kind != RuleValue && *t < 0 {
			return fmt.Errorf("the %s threshold must not be negative", name)
		}
		if prev != nil {
			if r.lesser() && !(*t < *prev) {
				return fmt.Errorf("thresholds must decrease with severity for LESSER_THAN: %s (%g) must be lower than %s (%g)", name, *t, prevName, *prev)
			}
			if !r.lesser() && !(*t > *prev) {
				return fmt.Errorf("thresholds must increase with severity: %s (%g) must be greater than %s (%g)", name, *t, prevName, *prev)
			}
		}
		prev, prevName = t, name
	}
	if set == 0 {
		return fmt.Errorf("the rule needs at least one level with a threshold")
	}
	return nil
}

func (r Rule) lesser() bool { return r.Kind == RuleValue && r.Operation == LesserThan }

func levelName(p Priority) string {
	return [...]string{"", "critical", "high", "moderate", "low", "informational"}[p]
}

// reached returns the most severe level whose threshold v is strictly beyond.
func (r Rule) reached(v float64) Priority {
	for p := Critical; p <= Informational; p++ {
		t := r.Levels[p-1]
		if t == nil {
			continue
		}
		if (r.lesser() && v < *t) || (!r.lesser() && v > *t) {
			return p
		}
	}
	return NoPriority
}

// Priority computes the priority of a set of active issues at now.
func (r Rule) Priority(issues []*store.MonitorIssue, now time.Time) Priority {
	switch r.Kind {
	case RuleCount:
		return r.reached(float64(len(issues)))
	case RuleAge:
		if len(issues) == 0 {
			return NoPriority
		}
		oldest := issues[0].CreatedAt
		for _, is := range issues[1:] {
			if is.CreatedAt.Before(oldest) {
				oldest = is.CreatedAt
			}
		}
		return r.reached(now.Sub(oldest).Seconds())
	case RuleValue:
		best := NoPriority
		for _, is := range issues {
			v, ok := DataNumber(is.Data, r.ValueField)
			if !ok {
				continue // an issue without the number does not count
			}
			best = Highest(best, r.reached(v))
		}
		return best
	}
	return NoPriority
}

// DataNumber reads a number at a top-level field of issue data.
func DataNumber(data []byte, field string) (float64, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(data, &m) != nil {
		return 0, false
	}
	raw, ok := m[field]
	if !ok {
		return 0, false
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
