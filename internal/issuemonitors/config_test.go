package issuemonitors

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/store"
)

func validConfig() store.IssueMonitorConfig {
	return store.IssueMonitorConfig{Query: "lang:go exec.Command(", SearchSchedule: "*/15 * * * *", UpdateSchedule: "@every 5m",
		RuleKind: RuleCount, Levels: levels(nil, f(0), f(10), nil, nil)}
}

func TestValidate(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	c := validConfig()
	if err := Validate(&c, now); err != nil {
		t.Fatal(err)
	}
	if c.Identity != IdentityDefault || c.MaxIssuesPerRun != DefaultMaxIssuesPerRun || c.ExecutionTimeout != DefaultExecutionTimeout || c.ValueOperation != GreaterThan {
		t.Fatalf("defaults: %+v", c)
	}
	for _, tc := range []struct {
		name   string
		change func(*store.IssueMonitorConfig)
		field  string // "" for a query error
		want   string
	}{
		{"empty query", func(c *store.IssueMonitorConfig) { c.Query = " " }, "", "empty"},
		{"bad query", func(c *store.IssueMonitorConfig) { c.Query = "repo:(" }, "", ""},
		{"symbol search", func(c *store.IssueMonitorConfig) { c.Query = "type:symbol foo" }, "", "symbol"},
		{"bad cron", func(c *store.IssueMonitorConfig) { c.SearchSchedule = "every day" }, "searchSchedule", "invalid cron"},
		{"six fields with seconds", func(c *store.IssueMonitorConfig) { c.UpdateSchedule = "0 */5 * * * *" }, "", ""},
		{"every second", func(c *store.IssueMonitorConfig) { c.SearchSchedule = "@every 1s" }, "searchSchedule", `at least 1 minute apart ("@every 1s" runs 1s apart)`},
		{"every 59 seconds", func(c *store.IssueMonitorConfig) { c.UpdateSchedule = "@every 59s" }, "updateSchedule", "at least 1 minute apart"},
		{"every 30 seconds by cron", func(c *store.IssueMonitorConfig) { c.UpdateSchedule = "*/30 * * * * *" }, "updateSchedule", "at least 1 minute apart"},
		{"two runs a second apart each minute", func(c *store.IssueMonitorConfig) { c.SearchSchedule = "0,1 * * * * *" }, "searchSchedule", "1s apart"},
		{"two runs in one minute each hour", func(c *store.IssueMonitorConfig) { c.SearchSchedule = "0,30 0 * * * *" }, "searchSchedule", "30s apart"},
		{"every minute", func(c *store.IssueMonitorConfig) { c.SearchSchedule = "@every 1m" }, "", ""},
		{"never fires", func(c *store.IssueMonitorConfig) { c.UpdateSchedule = "0 0 31 2 *" }, "updateSchedule", "never fires"},
		{"time zone alone", func(c *store.IssueMonitorConfig) { c.SearchSchedule = "TZ=UTC" }, "searchSchedule", "time zone"},
		{"cron time zone alone", func(c *store.IssueMonitorConfig) { c.UpdateSchedule = "CRON_TZ=Europe/Paris" }, "updateSchedule", "time zone"},
		{"unknown time zone", func(c *store.IssueMonitorConfig) { c.SearchSchedule = "TZ=Nowhere/Land 0 3 * * *" }, "searchSchedule", "location"},
		{"cap", func(c *store.IssueMonitorConfig) { c.MaxIssuesPerRun = MaxIssuesPerRunLimit + 1 }, "maxIssuesPerRun", "between"},
		{"timeout", func(c *store.IssueMonitorConfig) { c.ExecutionTimeout = time.Hour }, "executionTimeout", "between"},
		{"value rule without field", func(c *store.IssueMonitorConfig) { c.RuleKind = RuleValue }, "rule", "valueField"},
		{"thresholds not monotonic", func(c *store.IssueMonitorConfig) { c.Levels = levels(nil, f(10), f(10), nil, nil) }, "rule", "greater than"},
		{"commit identity on files", func(c *store.IssueMonitorConfig) { c.Identity = IdentityCommit }, "identity", "COMMIT"},
		{"line identity with select:file", func(c *store.IssueMonitorConfig) { c.Query = "foo select:file"; c.Identity = IdentityLine }, "identity", "LINE"},
		{"file identity with select:repo", func(c *store.IssueMonitorConfig) { c.Query = "foo select:repo"; c.Identity = IdentityFile }, "identity", "FILE"},
		{"commit identity on diffs", func(c *store.IssueMonitorConfig) {
			c.Query = "type:diff select:commit secret"
			c.Identity = IdentityCommit
		}, "", ""},
	} {
		c := validConfig()
		tc.change(&c)
		err := Validate(&c, now)
		var ce *ConfigError
		var qe *QueryError
		switch {
		case tc.name == "six fields with seconds" || tc.name == "every minute" || tc.name == "commit identity on diffs":
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		case tc.field == "":
			if !errors.As(err, &qe) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: got %v, want a query error with %q", tc.name, err, tc.want)
			}
		default:
			if !errors.As(err, &ce) || ce.Field != tc.field || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: got %v, want a %s error with %q", tc.name, err, tc.field, tc.want)
			}
		}
	}
}

func TestNextRun(t *testing.T) {
	at := time.Date(2025, 1, 1, 10, 7, 30, 0, time.UTC)
	for expr, want := range map[string]time.Time{
		"*/15 * * * *":             time.Date(2025, 1, 1, 10, 15, 0, 0, time.UTC),
		"@hourly":                  time.Date(2025, 1, 1, 11, 0, 0, 0, time.UTC),
		"@every 10s":               at.Add(10 * time.Second),
		"*/20 * * * * *":           time.Date(2025, 1, 1, 10, 7, 40, 0, time.UTC),
		"nonsense":                 at.Add(time.Hour),
		"TZ=UTC":                   at.Add(time.Hour),
		"TZ=Asia/Tokyo 0 20 * * *": time.Date(2025, 1, 1, 11, 0, 0, 0, time.UTC), // 20:00 in Tokyo
	} {
		if got := NextRun(expr, at); !got.Equal(want) {
			t.Errorf("NextRun(%q) = %s, want %s", expr, got, want)
		}
	}
}
