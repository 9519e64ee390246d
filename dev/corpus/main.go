// Command corpus builds git repositories with a dated history made from real source
// files, for the search and insights benchmarks:
//
//	go run ./dev/corpus -out /tmp/corpus -repos 50 -commits 600
//
// See package corpusgen for how the history is made.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/lookout/lookout/dev/corpus/corpusgen"
)

func main() {
	d := corpusgen.DefaultOptions()
	var opts corpusgen.Options
	var start string
	flag.StringVar(&opts.Src, "src", "", "source tree to replay (default: $(go env GOROOT)/src)")
	flag.StringVar(&opts.Out, "out", "", "output directory for the bare repositories (required)")
	flag.IntVar(&opts.Repos, "repos", d.Repos, "number of repositories")
	flag.IntVar(&opts.Commits, "commits", d.Commits, "commits per repository")
	flag.StringVar(&start, "start", d.Start.Format("2006-01-02"), "date of the first commit")
	flag.DurationVar(&opts.Span, "span", d.Span, "length of the history")
	flag.Int64Var(&opts.Seed, "seed", d.Seed, "random seed (repository i uses seed+i)")
	flag.Float64Var(&opts.Subset, "subset", d.Subset, "fraction of directories in repositories after the first")
	flag.Float64Var(&opts.Initial, "initial", d.Initial, "fraction of directories in the initial import")
	flag.BoolVar(&opts.Repack, "repack", false, "repack each repository with deltas after the import")
	flag.Parse()
	if opts.Out == "" {
		fmt.Fprintln(os.Stderr, "corpus: -out is required")
		flag.Usage()
		os.Exit(2)
	}
	t, err := time.Parse("2006-01-02", start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "corpus: -start: %v\n", err)
		os.Exit(2)
	}
	opts.Start = t
	opts.Log = os.Stderr
	if _, err := corpusgen.Generate(context.Background(), opts); err != nil {
		fmt.Fprintf(os.Stderr, "corpus: %v\n", err)
		os.Exit(1)
	}
}
