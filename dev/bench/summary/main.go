// Command summary prints the one table that ends `make bench`: every ratio the
// benchmarks of the run recorded (dev/bench/rounds) in the file named by BENCH_SUMMARY.
//
//	BENCH_SUMMARY=/tmp/bench.jsonl go run ./dev/bench/summary
package main

import (
	"fmt"
	"os"

	"github.com/lookout/lookout/dev/bench/rounds"
)

func main() {
	path := os.Getenv(rounds.SummaryEnv)
	if path == "" {
		fmt.Fprintln(os.Stderr, "summary: set BENCH_SUMMARY to the file the benchmarks wrote")
		os.Exit(2)
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
	defer f.Close()
	entries, err := rounds.ReadSummary(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
	fmt.Printf("\n== make bench: every ratio of this run (medians of alternating rounds) ==\n")
	rounds.PrintSummary(os.Stdout, entries)
}
