// Package rounds is how Lookout's benchmarks compare two ways of doing one thing so that
// a reader can trust the figure: the sides run in alternating order, round after round
// (at least MinRounds), so that load from other processes on a shared machine falls on
// every side alike; each side is reported as min / median / max over its rounds, and the
// comparison as the ratio of the medians. Every ratio is also appended, one JSON line
// each, to the file named by BENCH_SUMMARY, from which `go run ./dev/bench/summary` prints
// the one table that ends `make bench`.
//
// The benchmarks under dev/bench call Compare (timed sides) or Record (sides that measure
// themselves: rates, latencies, counts per round) and then Report.
package rounds

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// MinRounds is the fewest rounds a comparison reports.
const MinRounds = 5

// Side is one way of doing the thing measured.
type Side struct {
	Name string
	// Run does it once. Its time is the side's sample (Compare).
	Run func() error
}

// Comparison is the samples of each side of one comparison, in one unit.
type Comparison struct {
	// Bench and Name identify the comparison in the summary ("search", "literal").
	Bench, Name string
	// Unit of the samples ("ms", "jobs/s"); HigherIsBetter for rates.
	Unit           string
	HigherIsBetter bool
	Sides          []string
	Samples        [][]float64 // per side, one per round
	// Note is printed after the figures (counts that must agree, targets).
	Note string
}

// Compare runs the sides n times each (at least MinRounds), alternating, and returns
// their wall times in milliseconds. The first side is "ours", the others baselines.
func Compare(bench, name string, n int, sides ...Side) (*Comparison, error) {
	c := &Comparison{Bench: bench, Name: name, Unit: "ms", Samples: make([][]float64, len(sides))}
	for _, s := range sides {
		c.Sides = append(c.Sides, s.Name)
	}
	for round := range max(n, MinRounds) {
		// Alternate which side goes first, so no side always runs on a warmer cache.
		for k := range sides {
			i := (k + round) % len(sides)
			start := time.Now()
			if err := sides[i].Run(); err != nil {
				return nil, fmt.Errorf("%s, %s, round %d: %w", name, sides[i].Name, round+1, err)
			}
			c.Samples[i] = append(c.Samples[i], float64(time.Since(start).Microseconds())/1000)
		}
	}
	return c, nil
}

// Record makes a comparison of samples the sides measured themselves (one per round,
// taken in alternating order by the caller).
func Record(bench, name, unit string, higherIsBetter bool, sides []string, samples [][]float64) *Comparison {
	return &Comparison{Bench: bench, Name: name, Unit: unit, HigherIsBetter: higherIsBetter, Sides: sides, Samples: samples}
}

// Stats are a side's figures.
type Stats struct{ Min, Median, Max float64 }

// StatsOf summarises samples (the median of an even count is the mean of the middle two).
func StatsOf(samples []float64) Stats {
	if len(samples) == 0 {
		return Stats{}
	}
	s := slices.Sorted(slices.Values(samples))
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stats{Min: s[0], Median: med, Max: s[len(s)-1]}
}

// Ratio is the first side's median over the i-th side's: below 1 is faster for times,
// above 1 is more for rates.
func (c *Comparison) Ratio(i int) float64 {
	base := StatsOf(c.Samples[i]).Median
	if base == 0 {
		return 0
	}
	return StatsOf(c.Samples[0]).Median / base
}

// Report prints the comparison to w and appends its ratios to the summary file.
func (c *Comparison) Report(w io.Writer) {
	fmt.Fprintf(w, "%s (%d rounds, alternating; min / median / max %s)\n", c.Name, len(c.Samples[0]), c.Unit)
	for i, side := range c.Sides {
		st := StatsOf(c.Samples[i])
		line := fmt.Sprintf("    %-28s %10s / %10s / %10s", side, num(st.Min), num(st.Median), num(st.Max))
		if i > 0 {
			line += fmt.Sprintf("   %s ÷ this: %s", c.Sides[0], ratio(c.Ratio(i)))
		}
		fmt.Fprintln(w, line)
	}
	if c.Note != "" {
		fmt.Fprintf(w, "    %s\n", c.Note)
	}
	for i := 1; i < len(c.Sides); i++ {
		appendSummary(Entry{Bench: c.Bench, Name: c.Name, Ours: c.Sides[0], Baseline: c.Sides[i], Unit: c.Unit,
			Ratio: c.Ratio(i), HigherIsBetter: c.HigherIsBetter, OursMedian: StatsOf(c.Samples[0]).Median, BaselineMedian: StatsOf(c.Samples[i]).Median})
	}
}

// Anchor reports a figure measured against a stated constant (a reference system's
// documented setting, not something this machine can run) and records its ratio.
func Anchor(w io.Writer, bench, name, unit string, samples []float64, anchorName string, anchor float64) {
	st := StatsOf(samples)
	fmt.Fprintf(w, "%s (%d rounds; min / median / max %s)\n    %-28s %10s / %10s / %10s   ÷ %s (%s %s): %s\n", name, len(samples), unit,
		"lookout", num(st.Min), num(st.Median), num(st.Max), anchorName, num(anchor), unit, ratio(st.Median/anchor))
	appendSummary(Entry{Bench: bench, Name: name, Ours: "lookout", Baseline: anchorName + " (stated)", Unit: unit, Ratio: st.Median / anchor,
		OursMedian: st.Median, BaselineMedian: anchor})
}

func num(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

func ratio(r float64) string {
	switch {
	case r >= 10 || r == 0:
		return fmt.Sprintf("%.1f×", r)
	case r < 0.01:
		return fmt.Sprintf("%.2g×", r)
	}
	return fmt.Sprintf("%.3f×", r)
}

// Entry is one line of the summary file.
type Entry struct {
	Bench, Name, Ours, Baseline, Unit string
	Ratio                             float64
	HigherIsBetter                    bool
	OursMedian, BaselineMedian        float64
}

// SummaryEnv names the summary file.
const SummaryEnv = "BENCH_SUMMARY"

func appendSummary(e Entry) {
	path := os.Getenv(SummaryEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench summary: %v\n", err)
		return
	}
	defer f.Close()
	_ = json.NewEncoder(f).Encode(e)
}

// ReadSummary reads a summary file.
func ReadSummary(r io.Reader) ([]Entry, error) {
	var out []Entry
	dec := json.NewDecoder(r)
	for {
		var e Entry
		if err := dec.Decode(&e); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}

// PrintSummary writes the entries as one table.
func PrintSummary(w io.Writer, entries []Entry) {
	fmt.Fprintf(w, "%-10s %-52s %-16s %-30s %12s %12s %10s\n", "bench", "comparison", "lookout", "baseline", "lookout", "baseline", "ratio")
	fmt.Fprintln(w, strings.Repeat("-", 148))
	for _, e := range entries {
		better := "lower is better"
		if e.HigherIsBetter {
			better = "higher is better"
		}
		fmt.Fprintf(w, "%-10s %-52s %-16s %-30s %12s %12s %10s  (%s, %s)\n", e.Bench, cut(e.Name, 52), cut(e.Ours, 16), cut(e.Baseline, 30),
			num(e.OursMedian), num(e.BaselineMedian), ratio(e.Ratio), e.Unit, better)
	}
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
