// Command search benchmarks Lookout's search executor against git on a corpus
// repository replaying Go's src tree (dev/corpus), side by side in one run:
//
//   - content count at one revision vs `git grep -c`;
//   - counts at 12 monthly revisions (one cache) vs 12 runs of `git grep -c`;
//   - diff search over the newest 100 commits vs `git log -p -G<pattern>`.
//
// Each figure is the best of -runs runs; the counts of both sides are compared so that
// a fast wrong answer cannot pass. Run it with
//
//	go run ./dev/bench/search [-corpus /tmp/lookout-corpus] [-runs 3]
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/lookout/lookout/dev/corpus/corpusgen"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/vcs"
)

type pattern struct {
	name  string
	query string   // Lookout query (the pattern and its case)
	grep  []string // the same for git grep
	logG  []string // the same for git log -G (nil: not a diff benchmark)
}

var patterns = []pattern{
	{"literal, case-insensitive", `errors.New`, []string{"-i", "-F", "errors.New"}, []string{"-i", "-G", `errors\.New`}},
	{"literal, case-sensitive", `case:yes Context`, []string{"-F", "Context"}, []string{"-G", `Context`}},
	{"regexp with literal", `/fmt\.Errorf\("[a-z]+ /`, []string{"-i", "-E", `fmt\.Errorf\("[a-z]+ `}, []string{"-i", "-G", `fmt\.Errorf\("[a-z]+ `}},
	{"regexp alternation", `/TODO|FIXME|XXX/`, []string{"-i", "-E", `TODO|FIXME|XXX`}, []string{"-i", "-G", `TODO|FIXME|XXX`}},
	{"regexp, no literal", `case:yes /[A-Z][a-z]+[0-9]{2,}/`, []string{"-E", `[A-Z][a-z]+[0-9]{2,}`}, nil},
}

func main() {
	corpusDir := flag.String("corpus", filepath.Join(os.TempDir(), "lookout-corpus"), "corpus directory (generated when missing)")
	runs := flag.Int("runs", 3, "runs of each measurement (the best is shown)")
	readers := flag.Int("readers", 0, "object readers per repository (0: GOMAXPROCS)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of Lookout's side to this file")
	only := flag.String("only", "", "run only the benchmarks whose section number is listed (\"13\")")
	patternFilter := flag.String("pattern", "", "run only the patterns whose name contains this")
	flag.Parse()
	ctx := context.Background()
	if *patternFilter != "" {
		var keep []pattern
		for _, p := range patterns {
			if strings.Contains(p.name, *patternFilter) {
				keep = append(keep, p)
			}
		}
		patterns = keep
	}

	src := filepath.Join(*corpusDir, "repo-000.git")
	if _, err := os.Stat(src); err != nil {
		fmt.Fprintf(os.Stderr, "generating corpus in %s\n", *corpusDir)
		opts := corpusgen.DefaultOptions()
		opts.Out, opts.Log = *corpusDir, os.Stderr
		if _, err := corpusgen.Generate(ctx, opts); err != nil {
			fatal(err)
		}
	}
	cacheDir := filepath.Join(*corpusDir, "mirrors")
	cache, err := vcs.NewCache(cacheDir, vcs.Options{AllowLocal: true})
	fatal(err)
	m, err := cache.EnsureCloned(ctx, vcs.Repo{Name: "corpus/repo-000", URL: src})
	fatal(err)
	head, err := m.ResolveRevision(ctx, "HEAD")
	fatal(err)
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), load average %s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), strings.Join(strings.Fields(string(load))[:3], " "), gitVersion())
	fmt.Printf("corpus: %s at %s\n\n", m.Dir(), head[:12])

	svcOpts := search.Options{Readers: *readers, MaxFileSize: 1 << 40} // git grep reads every file

	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		fatal(err)
		fatal(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	run := func(section string) bool { return *only == "" || strings.Contains(*only, section) }

	// 1. One revision.
	if run("1") {
		fmt.Println("== content count at one revision (cold cache) vs git grep -c ==")
		for _, p := range patterns {
			plan := mustParse(p.query)
			var ours, theirs int
			tOurs := best(*runs, func() {
				svc := search.NewService(nil, nil, search.NewBlobCache(0, nil), nil, svcOpts)
				c, err := svc.NewMirrorCounter(ctx, m, plan, search.CountOptions{})
				fatal(err)
				defer c.Close()
				res, err := c.At(ctx, head)
				fatal(err)
				ours = res.Lines
			})
			oursCPU = lastCPU
			tGit := best(*runs, func() { theirs = gitGrepCount(m.Dir(), p.grep, head) })
			report(p.name, tOurs, tGit, ours, theirs, "lines")
		}

		fmt.Println("\n== the same, warm: the pattern counted before (memoized per blob) ==")
		for _, p := range patterns {
			plan := mustParse(p.query)
			svc := search.NewService(nil, nil, search.NewBlobCache(0, nil), nil, svcOpts)
			warm, err := svc.NewMirrorCounter(ctx, m, plan, search.CountOptions{})
			fatal(err)
			_, err = warm.At(ctx, head)
			fatal(err)
			warm.Close()
			var ours, theirs int
			tOurs := best(*runs, func() {
				c, err := svc.NewMirrorCounter(ctx, m, plan, search.CountOptions{})
				fatal(err)
				defer c.Close()
				res, err := c.At(ctx, head)
				fatal(err)
				ours = res.Lines
			})
			oursCPU = lastCPU
			tGit := best(*runs, func() { theirs = gitGrepCount(m.Dir(), p.grep, head) })
			report(p.name, tOurs, tGit, ours, theirs, "lines")
		}
	}

	// 2. Twelve monthly revisions.
	if run("2") {
		fmt.Println("\n== counts at 12 monthly revisions (one cache) vs 12 × git grep -c ==")
		revs := monthly(ctx, m, head, 12)
		for _, p := range patterns {
			plan := mustParse(p.query)
			var ours, theirs int
			var read int64
			tOurs := best(*runs, func() {
				svc := search.NewService(nil, nil, search.NewBlobCache(0, nil), nil, svcOpts)
				c, err := svc.NewMirrorCounter(ctx, m, plan, search.CountOptions{})
				fatal(err)
				defer c.Close()
				ours = 0
				all, err := c.AtMany(ctx, revs)
				fatal(err)
				for _, res := range all {
					ours += res.Lines
				}
				_, read = svc.Cache().Stats()
			})
			oursCPU = lastCPU
			tGit := best(*runs, func() {
				theirs = 0
				for _, r := range revs {
					theirs += gitGrepCount(m.Dir(), p.grep, r)
				}
			})
			report(p.name, tOurs, tGit, ours, theirs, fmt.Sprintf("lines, %d cache misses", read))
		}

	}

	// 3. Diff search over the newest 100 commits.
	if run("3") {
		fmt.Println("\n== diff search over the newest 100 commits vs git log -p -G ==")
		base, err := m.ResolveRevision(ctx, head+"~100")
		fatal(err)
		for _, p := range patterns {
			if p.logG == nil {
				continue
			}
			plan := mustParse("type:diff " + p.query)
			svc := search.NewService(nil, nil, nil, nil, svcOpts)
			var ours, theirs int
			tOurs := best(*runs, func() {
				res, err := svc.SearchMirror(ctx, m, plan, search.Revisions{Include: []string{head}, Exclude: []string{base}})
				fatal(err)
				ours = len(res.Matches)
			})
			oursCPU = lastCPU
			tGit := best(*runs, func() { theirs = gitLogG(m.Dir(), p.logG, head, base) })
			report(p.name, tOurs, tGit, ours, theirs, "commits")
		}
	}

	// 4. Interactive searches (the API console): results with the default limit.
	if run("4") {
		fmt.Println("\n== interactive searches (default limit 500, cold cache) ==")
		for _, q := range []string{`errors.New`, `lang:go /func \(\w+ \*\w+\) Close\(\)/`, `type:path /_test\.go$/`, `type:diff errors.New`, `type:commit author:ada`} {
			plan := mustParse(q)
			var res *search.Results
			t := best(*runs, func() {
				svc := search.NewService(nil, nil, search.NewBlobCache(0, nil), nil, search.Options{})
				var err error
				res, err = svc.SearchMirror(ctx, m, plan, search.Revisions{})
				fatal(err)
			})
			fmt.Printf("%-45s %8s (cpu %7s)   %d results, match count %d, limit hit %v\n", q, t.Round(time.Millisecond), lastCPU.Round(time.Millisecond), len(res.Matches), res.MatchCount, res.LimitHit)
		}
	}
}

func report(name string, ours, git time.Duration, nOurs, nGit int, unit string) {
	cpuOurs, cpuGit := oursCPU, lastCPU
	ok := "same"
	if nOurs != nGit {
		ok = fmt.Sprintf("DIFFERENT (git %d)", nGit)
	}
	fmt.Printf("%-26s lookout %7s (cpu %7s)   git %7s (cpu %7s)   ratio %.2f×   %d %s, %s\n", name,
		ours.Round(time.Millisecond), cpuOurs.Round(time.Millisecond), git.Round(time.Millisecond), cpuGit.Round(time.Millisecond),
		float64(ours)/float64(git), nOurs, unit, ok)
}

// best runs f n times and returns the shortest wall time; lastCPU is the CPU time
// (this process and its children, git included) of that run.
func best(n int, f func()) time.Duration {
	var b time.Duration
	for i := 0; i < n; i++ {
		c0 := cpuTime()
		start := time.Now()
		f()
		if d := time.Since(start); i == 0 || d < b {
			b = d
			lastCPU = cpuTime() - c0
		}
	}
	return b
}

var lastCPU, oursCPU time.Duration

func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

func mustParse(q string) query.Plan {
	plan, err := query.Parse(q)
	fatal(err)
	return plan
}

// gitGrepCount sums git grep -c: the lines holding a match.
func gitGrepCount(dir string, args []string, rev string) int {
	cmd := exec.Command("git", append(append([]string{"-C", dir, "grep", "-c", "-I"}, args...), rev)...)
	out, err := cmd.Output()
	if err != nil && len(out) > 0 {
		fatal(err)
	}
	total := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		n, err := strconv.Atoi(line[strings.LastIndexByte(line, ':')+1:])
		fatal(err)
		total += n
	}
	return total
}

// gitLogG counts the commits git log -G finds between base and head.
func gitLogG(dir string, args []string, head, base string) int {
	cmd := exec.Command("git", append(append([]string{"-C", dir, "log", "-p", "--format=%x00commit %H"}, args...), head, "^"+base)...)
	out, err := cmd.Output()
	fatal(err)
	return bytes.Count(out, []byte("\x00commit "))
}

// monthly returns the newest commit at the end of each of the last n months of the
// history.
func monthly(ctx context.Context, m *vcs.Mirror, head string, n int) []string {
	commits, err := m.Commits(ctx, vcs.LogOptions{Include: []string{head}, MaxCount: 1})
	fatal(err)
	end := commits[0].Committer.Date
	var out []string
	for i := n - 1; i >= 0; i-- {
		c, err := m.NewestCommitAt(ctx, head, end.AddDate(0, -i, 0))
		fatal(err)
		if c != nil {
			out = append(out, c.OID)
		}
	}
	return out
}

func gitVersion() string {
	out, _ := exec.Command("git", "--version").Output()
	return strings.TrimSpace(string(out))
}

func fatal(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
