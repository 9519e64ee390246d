package query

import (
	"strconv"
	"strings"
	"time"
)

// maxRelativeAmount bounds "N units ago", far beyond any useful value, so that the
// arithmetic cannot overflow.
const maxRelativeAmount = 1_000_000

// absoluteLayouts are the absolute forms of before:/after:. Times without a zone are
// UTC, so a query means the same thing on every machine.
var absoluteLayouts = []string{
	"2006-01-02",
	time.RFC3339, // also accepts fractional seconds
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
}

var relativeUnits = map[string]struct {
	d            time.Duration
	days, months int
}{
	"second": {d: time.Second}, "seconds": {d: time.Second}, "sec": {d: time.Second}, "secs": {d: time.Second},
	"minute": {d: time.Minute}, "minutes": {d: time.Minute}, "min": {d: time.Minute}, "mins": {d: time.Minute},
	"hour": {d: time.Hour}, "hours": {d: time.Hour}, "hr": {d: time.Hour}, "hrs": {d: time.Hour},
	"day": {days: 1}, "days": {days: 1},
	"week": {days: 7}, "weeks": {days: 7},
	"month": {months: 1}, "months": {months: 1},
	"year": {months: 12}, "years": {months: 12},
}

// parseDate reads the value of before:/after:: 2024-01-31, an RFC 3339 time, or a
// relative date ("3 weeks ago", "1 day ago", "yesterday", "last month", and git's
// "3.weeks.ago"), relative to now. It returns an error message on failure.
func parseDate(v string, now time.Time) (time.Time, string) {
	for _, layout := range absoluteLayouts {
		if t, err := time.Parse(layout, v); err == nil {
			return t, ""
		}
	}
	bad := "invalid date " + quote(v) + `: want 2024-01-31, an RFC 3339 time or a relative date such as "3 weeks ago"`
	words := strings.Fields(strings.NewReplacer(".", " ", "_", " ").Replace(strings.ToLower(v)))
	switch {
	case len(words) == 1 && words[0] == "now":
		return now, ""
	case len(words) == 1 && words[0] == "today":
		y, m, d := now.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location()), ""
	case len(words) == 1 && words[0] == "yesterday":
		return now.AddDate(0, 0, -1), ""
	case len(words) == 2 && words[0] == "last":
		words = []string{"1", words[1], "ago"}
	}
	if len(words) == 3 && words[2] == "ago" {
		words = words[:2]
	}
	if len(words) != 2 {
		return time.Time{}, bad
	}
	unit, ok := relativeUnits[words[1]]
	if !ok {
		return time.Time{}, bad
	}
	var n int
	switch words[0] {
	case "a", "an", "one":
		n = 1
	default:
		if !isDigits(words[0]) || len(words[0]) > 7 {
			return time.Time{}, bad
		}
		n, _ = strconv.Atoi(words[0])
		if n > maxRelativeAmount {
			return time.Time{}, "invalid date " + quote(v) + ": too far in the past"
		}
	}
	return now.Add(-time.Duration(n)*unit.d).AddDate(0, -n*unit.months, -n*unit.days), ""
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
