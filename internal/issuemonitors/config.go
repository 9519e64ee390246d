package issuemonitors

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// Limits and defaults of the configuration.
const (
	DefaultMaxIssuesPerRun  = 100
	MaxIssuesPerRunLimit    = 10000
	DefaultExecutionTimeout = time.Minute
	MaxExecutionTimeout     = 10 * time.Minute
	// MinScheduleInterval is the shortest time between two runs a schedule may ask for.
	// Every run searches every repository in the query's scope, so a schedule of
	// seconds would keep a worker busy for one monitor; code monitors poll every five
	// minutes, and pushes run the affected monitors at once anyway.
	MinScheduleInterval = time.Minute
	// scheduleSamples is how many consecutive runs of a schedule are checked against
	// MinScheduleInterval: enough to cover every run of a seconds field within one
	// minute (0,30 * * * * *), wherever the first run falls.
	scheduleSamples = 16
)

// scheduleParser reads cron expressions: five fields (minute hour day month weekday),
// an optional leading seconds field, and descriptors (@hourly, @every 10m).
var scheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a cron expression, with an optional leading time zone
// (TZ=Europe/Paris 0 3 * * *).
func ParseSchedule(expr string) (s cron.Schedule, err error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, errors.New("empty cron expression")
	}
	// robfig/cron slices the zone up to the first space, and panics when there is none.
	if (strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=")) && !strings.Contains(expr, " ") {
		return nil, fmt.Errorf("invalid cron expression %q: a time zone must be followed by a schedule", expr)
	}
	defer func() {
		if p := recover(); p != nil { // any other parser bug is a bad expression, not a crash
			s, err = nil, fmt.Errorf("invalid cron expression %q", expr)
		}
	}()
	s, err = scheduleParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid cron expression %q: %w", expr, err)
	}
	// A schedule that never fires (31 February) would never run.
	if s.Next(time.Now()).IsZero() {
		return nil, fmt.Errorf("cron expression %q never fires", expr)
	}
	return s, nil
}

// shortestGap is the shortest time between two of a schedule's next runs.
func shortestGap(sched cron.Schedule, now time.Time) time.Duration {
	prev := sched.Next(now)
	gap := time.Duration(1<<63 - 1)
	for range scheduleSamples {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		gap = min(gap, next.Sub(prev))
		prev = next
	}
	return gap
}

// fmtInterval writes a whole number of minutes as "1 minute" or "5 minutes".
func fmtInterval(d time.Duration) string {
	if m := int(d / time.Minute); d%time.Minute == 0 && m == 1 {
		return "1 minute"
	} else if d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", m)
	}
	return d.String()
}

// NextRun returns when a schedule next fires after after; an invalid schedule (which
// validation keeps out of the store) fires in an hour, so it never spins.
func NextRun(expr string, after time.Time) time.Time {
	s, err := ParseSchedule(expr)
	if err != nil {
		return after.Add(time.Hour)
	}
	next := s.Next(after)
	if next.IsZero() {
		return after.Add(time.Hour)
	}
	return next
}

// ConfigError is a configuration a user must fix; Field names the setting.
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// QueryError is an invalid query (it wraps the parser's *query.Error).
type QueryError struct{ Err error }

func (e *QueryError) Error() string { return "invalid query: " + e.Err.Error() }
func (e *QueryError) Unwrap() error { return e.Err }

// ParseQuery parses a monitor's query as the executor will run it.
func ParseQuery(q string, now time.Time) (query.Plan, error) {
	if strings.TrimSpace(q) == "" {
		return nil, &QueryError{Err: errors.New("the query is empty")}
	}
	req := search.Request{Query: q, Now: now}
	plan, err := req.Parse()
	if err != nil {
		return nil, &QueryError{Err: err}
	}
	return plan, nil
}

// Validate checks and normalises a configuration: the query parses and its results can
// have the identity, the schedules are cron expressions, the per-run cap and timeout are
// within bounds, and the rule is valid. Empty Identity and ValueOperation take their
// defaults; zero MaxIssuesPerRun and ExecutionTimeout too.
func Validate(c *store.IssueMonitorConfig, now time.Time) error {
	bad := func(field string, format string, args ...any) error {
		return &ConfigError{Field: field, Err: fmt.Errorf(format, args...)}
	}
	c.Query = strings.TrimSpace(c.Query)
	plan, err := ParseQuery(c.Query, now)
	if err != nil {
		return err
	}
	if c.Identity == "" {
		c.Identity = IdentityDefault
	}
	if err := checkIdentity(plan, c.Identity); err != nil {
		return &ConfigError{Field: "identity", Err: err}
	}
	for _, s := range []struct {
		field string
		expr  *string
	}{{"searchSchedule", &c.SearchSchedule}, {"updateSchedule", &c.UpdateSchedule}} {
		*s.expr = strings.TrimSpace(*s.expr)
		sched, err := ParseSchedule(*s.expr)
		if err != nil {
			return &ConfigError{Field: s.field, Err: err}
		}
		if gap := shortestGap(sched, now); gap < MinScheduleInterval {
			return bad(s.field, "runs must be at least %s apart (%q runs %s apart)", fmtInterval(MinScheduleInterval), *s.expr, gap)
		}
	}
	if c.MaxIssuesPerRun == 0 {
		c.MaxIssuesPerRun = DefaultMaxIssuesPerRun
	}
	if c.MaxIssuesPerRun < 0 || c.MaxIssuesPerRun > MaxIssuesPerRunLimit {
		return bad("maxIssuesPerRun", "must be between 1 and %d", MaxIssuesPerRunLimit)
	}
	if c.ExecutionTimeout == 0 {
		c.ExecutionTimeout = DefaultExecutionTimeout
	}
	if c.ExecutionTimeout < time.Second || c.ExecutionTimeout > MaxExecutionTimeout {
		return bad("executionTimeout", "must be between 1 second and %s", MaxExecutionTimeout)
	}
	if c.ValueOperation == "" {
		c.ValueOperation = GreaterThan
	}
	if err := RuleOf(c).Validate(); err != nil {
		return &ConfigError{Field: "rule", Err: err}
	}
	return nil
}

// RuleOf returns a configuration's alert rule.
func RuleOf(c *store.IssueMonitorConfig) Rule {
	return Rule{Kind: c.RuleKind, ValueField: c.ValueField, Operation: c.ValueOperation, Levels: c.Levels}
}
