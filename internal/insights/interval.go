package insights

import (
	"fmt"
	"time"
)

// Interval units of a series' time scope.
const (
	Hour  = "HOUR"
	Day   = "DAY"
	Week  = "WEEK"
	Month = "MONTH"
	Year  = "YEAR"
)

// Interval is a series' step: every Value Units.
type Interval struct {
	Unit  string
	Value int
}

// Validate checks the unit and value.
func (iv Interval) Validate() error {
	switch iv.Unit {
	case Hour, Day, Week, Month, Year:
	default:
		return fmt.Errorf("invalid time interval unit %q (want HOUR, DAY, WEEK, MONTH or YEAR)", iv.Unit)
	}
	if iv.Value < 1 || iv.Value > 1000 {
		return fmt.Errorf("invalid time interval value %d (want 1 to 1000)", iv.Value)
	}
	return nil
}

// Step moves t by n intervals (back when n is negative). Months and years keep the
// day of the month as time.AddDate does.
func (iv Interval) Step(t time.Time, n int) time.Time {
	v := iv.Value * n
	switch iv.Unit {
	case Hour:
		return t.Add(time.Duration(v) * time.Hour)
	case Day:
		return t.AddDate(0, 0, v)
	case Week:
		return t.AddDate(0, 0, 7*v)
	case Month:
		return t.AddDate(0, v, 0)
	case Year:
		return t.AddDate(v, 0, 0)
	}
	return t
}

// String is "1 MONTH".
func (iv Interval) String() string { return fmt.Sprintf("%d %s", iv.Value, iv.Unit) }

// DefaultSamples is the number of points a backfill computes.
const DefaultSamples = 12

// SampleTimes returns n times ending at anchor, one interval apart, oldest first. The
// anchor is truncated to the minute so the times of one series are stable.
func SampleTimes(anchor time.Time, iv Interval, n int) []time.Time {
	anchor = anchor.UTC().Truncate(time.Minute)
	out := make([]time.Time, n)
	for i := 0; i < n; i++ {
		out[n-1-i] = iv.Step(anchor, -i)
	}
	return out
}

// NextAfter returns the first time anchor + k intervals (k ≥ 1) that is after now: when
// a series is next due, keeping its times on the grid of its anchor.
func NextAfter(anchor, now time.Time, iv Interval) time.Time {
	anchor = anchor.UTC().Truncate(time.Minute)
	// Jump close to now, then step: months have no fixed length.
	k := 1
	if approx := approxLength(iv); approx > 0 && now.After(anchor) {
		k = max(1, int(now.Sub(anchor)/approx)-1)
	}
	t := iv.Step(anchor, k)
	for !t.After(now) {
		k++
		t = iv.Step(anchor, k)
	}
	return t
}

func approxLength(iv Interval) time.Duration {
	d := map[string]time.Duration{Hour: time.Hour, Day: 24 * time.Hour, Week: 7 * 24 * time.Hour, Month: 28 * 24 * time.Hour, Year: 365 * 24 * time.Hour}[iv.Unit]
	return d * time.Duration(iv.Value)
}
