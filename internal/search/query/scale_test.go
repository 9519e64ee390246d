package query

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// longQuery is the query that took the parser 47 s at 80k terms: a filter and n
// one-letter patterns.
func longQuery(n int) string { return "repo:^nomatch$ " + strings.Repeat("a ", n) }

func TestMaxQueryLength(t *testing.T) {
	atLimit := "repo:x " + strings.Repeat("ab ", (MaxQueryLength-7)/3)
	atLimit += strings.Repeat("c", MaxQueryLength-len(atLimit))
	if len(atLimit) != MaxQueryLength {
		t.Fatalf("test query is %d bytes", len(atLimit))
	}
	if _, err := Parse(atLimit); err != nil {
		t.Fatalf("a query of exactly MaxQueryLength bytes: %v", err)
	}
	_, err := Parse(atLimit + "d")
	var qe *Error
	if !errors.As(err, &qe) {
		t.Fatalf("a query one byte over the limit: got %v, want a *query.Error", err)
	}
	want := fmt.Sprintf("query is too long: %d bytes, the limit is %d bytes (16 KiB)", MaxQueryLength+1, MaxQueryLength)
	if qe.Msg != want || qe.Pos != MaxQueryLength {
		t.Fatalf("error = %+v, want Msg %q at %d", qe, want, MaxQueryLength)
	}
	// Every entry point goes through ParseAST.
	if err := OnlyRepoFilters("repo:" + strings.Repeat("x", MaxQueryLength)); !errors.As(err, &qe) || !strings.Contains(qe.Msg, "too long") {
		t.Fatalf("OnlyRepoFilters over the limit: %v", err)
	}
}

func TestPlanStopsWhenContextIsDone(t *testing.T) {
	ast, err := ParseAST(longQuery(5000), PatternTypeStandard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ast.PlanContext(ctx, Options{Now: testNow}); !errors.Is(err, context.Canceled) {
		t.Fatalf("PlanContext with a cancelled context = %v, want context.Canceled", err)
	}
	if _, err := ParseContext(ctx, longQuery(5000), Options{Now: testNow}); !errors.Is(err, context.Canceled) {
		t.Fatalf("ParseContext with a cancelled context = %v, want context.Canceled", err)
	}
}

// TestParseAllocatesLinearly pins the fix of the quadratic plan step without timing
// anything: the bytes allocated to parse four times the terms must be about four
// times as many (the quadratic version allocated sixteen times as many).
func TestParseAllocatesLinearly(t *testing.T) {
	shapes := map[string]func(n int) string{
		"filter and terms": longQuery,
		"repeated filters": func(n int) string { return strings.Repeat("repo:a ", n) + "x" },
		"terms only":       func(n int) string { return strings.Repeat("a ", n) },
		"or of filters":    func(n int) string { return "(repo:a OR repo:b) " + strings.Repeat("a ", n) },
	}
	for name, q := range shapes {
		t.Run(name, func(t *testing.T) {
			small, large := allocated(t, q(5000)), allocated(t, q(20000))
			if ratio := float64(large) / float64(small); ratio > 6 {
				t.Fatalf("4x the terms allocated %.1fx the bytes (%d vs %d): parsing is not linear", ratio, large, small)
			}
		})
	}
}

func allocated(t *testing.T, q string) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ast, err := parseAST(q, PatternTypeStandard)
	if err == nil {
		_, err = ast.Plan(Options{Now: testNow})
	}
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	return after.TotalAlloc - before.TotalAlloc
}

// BenchmarkParseScaling parses the reported slow query at growing sizes, past
// MaxQueryLength (through the unexported parseAST) up to the 80k terms that took 47 s:
// ns/term stays flat when parsing is linear. Run with
// go test -run '^$' -bench ParseScaling ./internal/search/query.
func BenchmarkParseScaling(b *testing.B) {
	for _, n := range []int{1000, 5000, 20000, 80000} {
		q := longQuery(n)
		b.Run(fmt.Sprintf("terms=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(q)))
			for b.Loop() {
				ast, err := parseAST(q, PatternTypeStandard)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ast.Plan(Options{Now: testNow}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/term")
		})
	}
}
