// Command search benchmarks Lookout's search executor against git on a corpus
// repository replaying Go's src tree (dev/corpus), side by side in one run:
//
//   - content count at one revision vs `git grep -c`;
//   - counts at 12 monthly revisions (one cache) vs 12 runs of `git grep -c`;
//   - diff search over the newest 100 commits vs `git log -p -G<pattern>`.
//
// Each comparison runs the two sides -runs times (at least 5), alternating which goes
// first, so that load from other processes on a shared machine falls on both, and prints
// min / median / max wall time of each and the ratio of the medians (dev/bench/rounds),
// with the medians of CPU time (this process and its git children). The counts of both
// sides are compared so that a fast wrong answer cannot pass. Run it with
//
//	go run ./dev/bench/search [-corpus /tmp/lookout-corpus] [-runs 5]
//
// -split shows where the CPU time went: this process (Lookout's matching, reading pipes)
// and its git children (inflating objects, writing pipes), each as user+system time.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lookout/lookout/dev/bench/baseline"
	"github.com/lookout/lookout/dev/bench/rounds"
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
	runs := flag.Int("runs", rounds.MinRounds, "rounds of each comparison (at least 5)")
	flag.BoolVar(&split, "split", false, "show CPU time split into this process and git children (user+system)")
	readers := flag.Int("readers", 0, "object readers per repository (0: GOMAXPROCS)")
	catFile := flag.Bool("catfile", false, "read blobs through git cat-file, not the packs in process (vcs.Options.NoPackReader)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of Lookout's side to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile to this file at the end")
	only := flag.String("only", "", "run only the benchmarks whose section number is listed (\"13\"; 0: object reading alone)")
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
	cache, err := vcs.NewCache(cacheDir, vcs.Options{AllowLocal: true, NoPackReader: *catFile})
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
	if *memprofile != "" {
		runtime.MemProfileRate = 4096
		defer func() {
			f, err := os.Create(*memprofile)
			fatal(err)
			fatal(pprof.Lookup("allocs").WriteTo(f, 0))
			fatal(f.Close())
		}()
	}
	run := func(section string) bool {
		return *only == "" && section != "0" || strings.Contains(*only, section)
	}

	// 0. The transport alone: every blob at one revision read through object readers
	// (what a cold count pays before matching) vs git cat-file writing them to /dev/null.
	if run("0") {
		fmt.Println("== reading every blob at one revision: object readers vs git cat-file > /dev/null ==")
		tree, err := m.ListTree(ctx, head)
		fatal(err)
		var oids []string
		for _, e := range tree {
			if e.Type == "blob" {
				oids = append(oids, e.OID)
			}
		}
		n := *readers
		if n <= 0 {
			n = runtime.GOMAXPROCS(0)
		}
		var ours, theirs int
		sOurs, sGit := pair(*runs, func() { ours = readAll(ctx, m, oids, n) },
			func() { theirs = catFileAll(m.Dir(), oids, n) })
		report(fmt.Sprintf("%d blobs, %d readers", len(oids), n), sOurs, sGit, ours, theirs, "bytes")
		fmt.Println()
	}

	// 1. One revision.
	if run("1") {
		fmt.Println("== content count at one revision (cold cache) vs git grep -c ==")
		for _, p := range patterns {
			plan := mustParse(p.query)
			var ours, theirs int
			sOurs, sGit := pair(*runs, func() {
				svc := search.NewService(nil, nil, search.NewBlobCache(0, nil), nil, svcOpts)
				c, err := svc.NewMirrorCounter(ctx, m, plan, search.CountOptions{})
				fatal(err)
				defer c.Close()
				res, err := c.At(ctx, head)
				fatal(err)
				ours = res.Lines
			}, func() { theirs = grepCount(m.Dir(), p.grep, head) })
			report(p.name, sOurs, sGit, ours, theirs, "lines")
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
			sOurs, sGit := pair(*runs, func() {
				c, err := svc.NewMirrorCounter(ctx, m, plan, search.CountOptions{})
				fatal(err)
				defer c.Close()
				res, err := c.At(ctx, head)
				fatal(err)
				ours = res.Lines
			}, func() { theirs = grepCount(m.Dir(), p.grep, head) })
			report(p.name, sOurs, sGit, ours, theirs, "lines")
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
			sOurs, sGit := pair(*runs, func() {
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
			}, func() {
				theirs = 0
				for _, r := range revs {
					theirs += grepCount(m.Dir(), p.grep, r)
				}
			})
			report(p.name, sOurs, sGit, ours, theirs, fmt.Sprintf("lines, %d cache misses", read))
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
			sOurs, sGit := pair(*runs, func() {
				res, err := svc.SearchMirror(ctx, m, plan, search.Revisions{Include: []string{head}, Exclude: []string{base}})
				fatal(err)
				ours = len(res.Matches)
			}, func() { theirs = gitLogG(m.Dir(), p.logG, head, base) })
			report(p.name, sOurs, sGit, ours, theirs, "commits")
		}
	}

	// 4. Interactive searches (the API console): results with the default limit.
	if run("4") {
		fmt.Println("\n== interactive searches (default limit 500, cold cache) ==")
		for _, q := range []string{`errors.New`, `lang:go /func \(\w+ \*\w+\) Close\(\)/`, `type:path /_test\.go$/`, `type:diff errors.New`, `type:commit author:ada`} {
			plan := mustParse(q)
			var res *search.Results
			ss, _ := pair(*runs, func() {
				svc := search.NewService(nil, nil, search.NewBlobCache(0, nil), nil, search.Options{})
				var err error
				res, err = svc.SearchMirror(ctx, m, plan, search.Revisions{})
				fatal(err)
			}, nil)
			t := median(ss)
			fmt.Printf("%-45s %8s (cpu %7s)   %d results, match count %d, limit hit %v\n", q, ms(t.wall), ms(t.cpu()), len(res.Matches), res.MatchCount, res.LimitHit)
		}
	}
}

// report prints a comparison of Lookout's runs with git's (or git cat-file's) and
// records its ratio.
func report(name string, ours, git []sample, nOurs, nGit int, unit string) {
	ok := "same"
	if nOurs != nGit {
		ok = fmt.Sprintf("DIFFERENT (git %d)", nGit)
	}
	wall := func(ss []sample) []float64 {
		out := make([]float64, len(ss))
		for i, s := range ss {
			out[i] = float64(s.wall.Microseconds()) / 1000
		}
		return out
	}
	c := rounds.Record("search", name, "ms", false, []string{"lookout", "git"}, [][]float64{wall(ours), wall(git)})
	mo, mg := median(ours), median(git)
	c.Note = fmt.Sprintf("%d %s, %s; CPU medians: lookout %s, git %s (%.2f×)", nOurs, unit, ok, ms(mo.cpu()), ms(mg.cpu()), float64(mo.cpu())/float64(mg.cpu()))
	if split {
		c.Note += fmt.Sprintf("\n    cpu: lookout self %s+%s, git children %s+%s; git %s+%s (user+sys)",
			ms(mo.selfUser), ms(mo.selfSys), ms(mo.kidsUser), ms(mo.kidsSys), ms(mg.kidsUser), ms(mg.kidsSys))
	}
	c.Report(os.Stdout)
}

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

var split bool

// sample is one measurement: wall time and the CPU time of this process (self) and of
// the children it waited for (git), user and system.
type sample struct {
	wall                                 time.Duration
	selfUser, selfSys, kidsUser, kidsSys time.Duration
}

func (s sample) cpu() time.Duration { return s.selfUser + s.selfSys + s.kidsUser + s.kidsSys }

// pair runs ours and theirs (nil: none) n times each (at least 5), alternating which
// goes first, and returns the samples of each.
func pair(n int, ours, theirs func()) ([]sample, []sample) {
	var a, b []sample
	for i := range max(n, rounds.MinRounds) {
		if theirs != nil && i%2 == 1 {
			b = append(b, measure(theirs))
		}
		a = append(a, measure(ours))
		if theirs != nil && i%2 == 0 {
			b = append(b, measure(theirs))
		}
	}
	return a, b
}

func measure(f func()) sample {
	runtime.GC()
	s0, k0 := rusage()
	start := time.Now()
	f()
	wall := time.Since(start)
	s1, k1 := rusage()
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return sample{
		wall:     wall,
		selfUser: tv(s1.Utime) - tv(s0.Utime), selfSys: tv(s1.Stime) - tv(s0.Stime),
		kidsUser: tv(k1.Utime) - tv(k0.Utime), kidsSys: tv(k1.Stime) - tv(k0.Stime),
	}
}

func rusage() (self, kids syscall.Rusage) {
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	return self, kids
}

// median takes the median of each field separately (the upper one of an even count).
func median(ss []sample) sample {
	if len(ss) == 0 {
		return sample{}
	}
	pick := func(get func(sample) time.Duration) time.Duration {
		v := make([]time.Duration, len(ss))
		for i, s := range ss {
			v[i] = get(s)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return sample{
		wall:     pick(func(s sample) time.Duration { return s.wall }),
		selfUser: pick(func(s sample) time.Duration { return s.selfUser }),
		selfSys:  pick(func(s sample) time.Duration { return s.selfSys }),
		kidsUser: pick(func(s sample) time.Duration { return s.kidsUser }),
		kidsSys:  pick(func(s sample) time.Duration { return s.kidsSys }),
	}
}

func mustParse(q string) query.Plan {
	plan, err := query.Parse(q)
	fatal(err)
	return plan
}

// readAll reads the blobs with n blob readers (vcs.Mirror.NewBlobReader) taking
// batches in turn, as a scan does, and returns the bytes read.
func readAll(ctx context.Context, m *vcs.Mirror, oids []string, n int) int {
	const batch = 256
	var next, total atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := m.NewBlobReader(ctx)
			fatal(err)
			defer r.Close()
			for {
				b := int(next.Add(1)-1) * batch
				if b >= len(oids) {
					return
				}
				fatal(r.ReadBatch(oids[b:min(len(oids), b+batch)], func(_ vcs.ObjectInfo, data []byte) error {
					total.Add(int64(len(data)))
					return nil
				}))
			}
		}()
	}
	wg.Wait()
	return int(total.Load())
}

// catFileAll has n git cat-file --batch processes write the blobs (n contiguous parts)
// to /dev/null, and returns the bytes of the blobs (not of the headers).
func catFileAll(dir string, oids []string, n int) int {
	var wg sync.WaitGroup
	var total atomic.Int64
	per := (len(oids) + n - 1) / n
	for i := 0; i < len(oids); i += per {
		part := oids[i:min(len(oids), i+per)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command("git", "-C", dir, "cat-file", "--batch", "--buffer")
			cmd.Stdin = strings.NewReader(strings.Join(part, "\n") + "\n")
			devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			fatal(err)
			defer devNull.Close()
			cmd.Stdout = devNull
			fatal(cmd.Run())
			check := exec.Command("git", "-C", dir, "cat-file", "--batch-check=%(objectsize)")
			check.Stdin = strings.NewReader(strings.Join(part, "\n") + "\n")
			out, err := check.Output()
			fatal(err)
			for _, f := range strings.Fields(string(out)) {
				v, err := strconv.Atoi(f)
				fatal(err)
				total.Add(int64(v))
			}
		}()
	}
	wg.Wait()
	return int(total.Load())
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

// grepCount is baseline.GitGrepCount, fatal on error.
func grepCount(dir string, args []string, rev string) int {
	n, err := baseline.GitGrepCount(dir, args, rev)
	fatal(err)
	return n
}
