// Command index benchmarks searches at HEAD from the zoekt index against the same searches
// over the git mirrors and against git grep, over a corpus of repositories replaying Go's
// src (dev/corpus), all in one run:
//
//   - selective literal and regexp counts over every repository: from the index, from the
//     mirrors, and git grep -c per repository summed (the three counts must agree);
//   - non-selective patterns (e, .): as the planner runs them (it leaves them to the
//     mirrors), against the mirrors, and forced through the index;
//   - interactive searches (default limit) of selective literals: p95 latency against the
//     50 ms target, and the same searches over the mirrors (each query's first search
//     after the process started is reported apart, as cold);
//   - index build throughput (MB of source per second on one core) and the index's size
//     as a share of the source;
//   - a push of one commit to the largest repository: the time until a search reads it
//     from the index (fetch, delta build, the searcher loading the new shard);
//   - a shard of four branches (the default one and three at older commits, as a
//     connection's indexedBranches) against the default branch alone: build time, size.
//
// Every comparison runs its sides in alternating order for -rounds rounds (at least 5)
// and prints min / median / max and the ratio (dev/bench/rounds). Run it with
//
//	go run ./dev/bench/index [-repos 50] [-rounds 5] [-corpus /tmp/lookout-index-corpus]
//
// The Postgres server is the one tests use (dev/bench/benchdb); a scratch database is
// dropped at the end. The corpus and its mirrors are kept between runs; the index is
// rebuilt every run (that is the build measurement).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lookout/lookout/dev/bench/baseline"
	"github.com/lookout/lookout/dev/bench/benchdb"
	"github.com/lookout/lookout/dev/bench/rounds"
	"github.com/lookout/lookout/dev/corpus/corpusgen"
	"github.com/lookout/lookout/internal/app"
	"github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/migrations"
)

// maxFileSize: git grep reads every file, so both Lookout paths do too.
const maxFileSize = 1 << 30

type countQuery struct {
	name, query string
	grep        []string
}

var selective = []countQuery{
	{"literal", `errors.New`, []string{"-i", "-F", "errors.New"}},
	{"literal, case-sensitive", `case:yes ParseDuration`, []string{"-F", "ParseDuration"}},
	{"regexp with literal", `/fmt\.Errorf\("[a-z]+ /`, []string{"-i", "-E", `fmt\.Errorf\("[a-z]+ `}},
	{"regexp alternation", `/TODO|FIXME|XXX/`, []string{"-i", "-E", `TODO|FIXME|XXX`}},
}

var nonSelective = []countQuery{
	{"non-selective e", `e`, []string{"-i", "-F", "e"}},
	{"non-selective .", `.`, []string{"-F", "."}},
}

// interactive are selective literals a person types (default limit 500).
var interactive = []string{
	`NewRequestWithContext`, `sync.WaitGroup`, `ParseDuration`, `"invalid argument"`, `ErrUnexpectedEOF`,
	`case:yes MarshalJSON`, `lang:go strings.Builder`, `file:_test.go t.Parallel`, `/func \(\w+ \*Reader\) Read/`, `crypto/sha256`,
}

func main() {
	corpusDir := flag.String("corpus", filepath.Join(os.TempDir(), "lookout-index-corpus"), "corpus directory (generated when missing)")
	nrepos := flag.Int("repos", 50, "repositories")
	subset := flag.Float64("subset", 0.1, "share of Go's src directories each repository after the first holds")
	n := flag.Int("rounds", rounds.MinRounds, "rounds of each comparison (at least 5)")
	keep := flag.Bool("keep", false, "keep the scratch database")
	only := flag.String("only", "", "run only these sections after the build (comma-separated: counts, nonselective, interactive, push, branches)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the sections after the build to this file")
	rebuild := flag.Bool("rebuild", true, "rebuild the index (false: keep the shards of an earlier run, skipping the build measurement)")
	flag.Parse()
	run := func(section string) bool { return *only == "" || slices.Contains(strings.Split(*only, ","), section) }
	ctx := context.Background()

	gen := corpus(ctx, *corpusDir, *nrepos, *subset)
	srv, err := benchdb.FindServer()
	fatal(err)
	// The frontend's pool: the interactive searches are the API's.
	mainSize, _ := app.FrontendPoolSizes()
	pool, drop, err := benchdb.Scratch(ctx, srv, "index", "main", migrations.Main(), mainSize, *keep)
	fatal(err)
	defer drop()
	st := store.New(pool)
	cache, err := vcs.NewCache(filepath.Join(*corpusDir, "mirrors"), vcs.Options{AllowLocal: true})
	fatal(err)
	rs := &repos.Service{Store: st, VCS: cache}
	repoList := register(ctx, st, rs, gen)

	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), load average %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), strings.Join(strings.Fields(string(load))[:3], " "))

	// The build: every repository's shard, one at a time (a build uses one core).
	indexDir := filepath.Join(*corpusDir, "index")
	if *rebuild {
		fatal(os.RemoveAll(indexDir))
	}
	ix, err := textindex.NewIndexer(textindex.Options{Dir: indexDir, MaxFileSize: maxFileSize})
	fatal(err)
	buildAll(ctx, rs, ix, repoList)
	backend, err := textindex.NewLocal(indexDir)
	fatal(err)
	defer backend.Close()
	waitServed(ctx, backend, repoList)

	svc := func(mode search.IndexMode) *search.Service {
		// No blob cache: every round reads what it reads the first time (cold).
		return search.NewService(st, rs, nil, nil, search.Options{MaxFileSize: maxFileSize, Index: backend, IndexMode: mode})
	}
	auto, always, mirrors := svc(search.IndexAuto), svc(search.IndexAlways), svc(search.IndexNever)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		fatal(err)
		fatal(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}

	if run("counts") {
		fmt.Printf("\n== counts at HEAD over %d repositories: index vs mirrors vs git grep -c per repository, summed ==\n", len(repoList))
		for _, q := range selective {
			compareCounts(ctx, *n, q, repoList, rs, []side{{"index", auto}, {"mirrors", mirrors}}, true)
		}
	}
	if run("nonselective") {
		fmt.Printf("\n== non-selective counts: as planned (the mirrors) vs mirrors, and forced through the index ==\n")
		for _, q := range nonSelective {
			compareCounts(ctx, *n, q, repoList, rs, []side{{"planned", auto}, {"mirrors", mirrors}, {"index, forced", always}}, false)
		}
	}
	if run("interactive") {
		fmt.Printf("\n== interactive searches over %d repositories (default limit) ==\n", len(repoList))
		compareInteractive(ctx, *n, auto, mirrors)
	}
	if run("push") {
		fmt.Printf("\n== a push of one commit until a search reads it from the index ==\n")
		// The largest repository (the first holds all of Go's src): a delta build makes
		// the time follow the push, not the repository.
		pushToSearchable(ctx, *n, st, rs, ix, backend, auto, repoList[0], gen[0].Dir)
	}
	if run("branches") {
		fmt.Printf("\n== building a shard of several branches (a connection's indexedBranches) ==\n")
		// A repository of the median size: the first holds all of Go's src.
		compareBranchBuilds(ctx, *n, rs, repoList[len(repoList)/2])
	}
}

// corpus generates the repositories when missing.
func corpus(ctx context.Context, dir string, n int, subset float64) []corpusgen.Repo {
	opts := corpusgen.DefaultOptions()
	opts.Out, opts.Repos, opts.Commits, opts.Subset = dir, n, 60, subset
	if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("repo-%03d.git", n-1))); err != nil {
		fmt.Fprintf(os.Stderr, "generating %d repositories in %s\n", n, dir)
		opts.Log = os.Stderr
	}
	gen, err := corpusgen.Generate(ctx, opts)
	fatal(err)
	return gen
}

// register adds the repositories to the database and fetches them (recording their heads).
func register(ctx context.Context, st *store.Store, rs *repos.Service, gen []corpusgen.Repo) []*store.Repo {
	es, err := st.ExternalServices().Create(ctx, "GIT", "corpus", `{"repos":[]}`, time.Hour)
	fatal(err)
	var sourced []store.SourcedRepo
	for _, g := range gen {
		sourced = append(sourced, store.SourcedRepo{Name: g.Name, CloneURL: g.Dir, DefaultBranch: "main"})
	}
	_, err = st.Repos().SyncFromService(ctx, es.ID, sourced, false)
	fatal(err)
	var out []*store.Repo
	for _, g := range gen {
		r, err := st.Repos().GetByName(ctx, store.InternalViewer, g.Name)
		fatal(err)
		_, err = rs.Fetch(ctx, r.ID, nil)
		fatal(err)
		r, err = st.Repos().GetByID(ctx, store.InternalViewer, r.ID)
		fatal(err)
		out = append(out, r)
	}
	return out
}

func buildAll(ctx context.Context, rs *repos.Service, ix *textindex.Indexer, list []*store.Repo) {
	var content, index int64
	var rates []float64
	cpu0 := cpuTime()
	start := time.Now()
	for _, r := range list {
		m, err := rs.Mirror(ctx, r)
		fatal(err)
		res, err := ix.Index(ctx, textindex.Repo{ID: r.ID, Name: r.Name}, m, search.RecordedDefaultHead(r))
		fatal(err)
		if !res.Built || res.ContentBytes == 0 {
			// Current already, or a delta that read nothing: no throughput to measure.
			continue
		}
		content += res.ContentBytes
		index += res.IndexBytes
		rates = append(rates, float64(res.ContentBytes)/1e6/res.Duration.Seconds())
	}
	wall, cpu := time.Since(start), cpuTime()-cpu0
	if len(rates) == 0 {
		fmt.Printf("\n== index build: the shards of an earlier run are current (-rebuild=false) ==\n")
		return
	}
	st := rounds.StatsOf(rates)
	fmt.Printf("\n== index build: %d repositories, %.0f MB of source ==\n", len(list), float64(content)/1e6)
	fmt.Printf("    throughput per build (one core each): min / median / max %.1f / %.1f / %.1f MB/s\n", st.Min, st.Median, st.Max)
	fmt.Printf("    whole corpus: %s wall, %s CPU: %.1f MB/s per CPU-second\n", wall.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(content)/1e6/cpu.Seconds())
	fmt.Printf("    index size: %.0f MB on disk, %.0f%% of the source\n", float64(index)/1e6, 100*float64(index)/float64(content))
}

func waitServed(ctx context.Context, b textindex.Backend, list []*store.Repo) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ids := make([]uint32, len(list))
		for i, r := range list {
			ids[i] = uint32(r.ID)
		}
		vs, err := b.Versions(ctx, ids)
		fatal(err)
		served := 0
		for _, r := range list {
			if slices.Contains(vs[uint32(r.ID)], textindex.ShardVersion(search.RecordedDefaultHead(r), maxFileSize)) {
				served++
			}
		}
		if served == len(list) {
			return
		}
		if time.Now().After(deadline) {
			fatal(fmt.Errorf("the index serves %d of %d repositories", served, len(list)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type side struct {
	name string
	svc  *search.Service
}

// compareCounts counts q (matching lines, as git grep -c) in every repository at its head
// with each side's counters, and with git grep.
func compareCounts(ctx context.Context, n int, q countQuery, list []*store.Repo, rs *repos.Service, sides []side, grep bool) {
	plan, err := query.Parse(q.query)
	fatal(err)
	mirrors := make([]*vcs.Mirror, len(list))
	for i, r := range list {
		mirrors[i], err = rs.Mirror(ctx, r)
		fatal(err)
	}
	counts := make([]int, len(sides)+1)
	var rs2 []rounds.Side
	for i, s := range sides {
		rs2 = append(rs2, rounds.Side{Name: s.name, Run: func() error {
			total := 0
			for j, r := range list {
				c, err := s.svc.NewRepoCounter(ctx, r, mirrors[j], plan, search.CountOptions{})
				if err != nil {
					return err
				}
				res, err := c.At(ctx, search.RecordedDefaultHead(r))
				c.Close()
				if err != nil {
					return err
				}
				total += res.Lines
			}
			counts[i] = total
			return nil
		}})
	}
	if grep {
		rs2 = append(rs2, rounds.Side{Name: "git grep -c", Run: func() error {
			total := 0
			for j, r := range list {
				n, err := baseline.GitGrepCount(mirrors[j].Dir(), q.grep, search.RecordedDefaultHead(r))
				if err != nil {
					return err
				}
				total += n
			}
			counts[len(sides)] = total
			return nil
		}})
	}
	c, err := rounds.Compare("index", q.name+" "+q.query, n, rs2...)
	fatal(err)
	c.Note = fmt.Sprintf("%d matching lines", counts[0])
	for i := 1; i < len(rs2); i++ {
		if counts[i] != counts[0] {
			c.Note += fmt.Sprintf("; DIFFERENT from %s: %d", rs2[i].Name, counts[i])
		}
	}
	if grep {
		c.Note += fmt.Sprintf("; target: index ≤ 0.05× git grep (%s)", pass(c.Ratio(len(rs2)-1) <= 0.05))
	}
	c.Report(os.Stdout)
}

// compareInteractive runs the interactive searches through the index and the mirrors,
// alternating, and reports each side's total per round and the index's p95 per search.
// The first search of each query after the process started is timed apart (cold: the
// shards' pages are first mapped, the remainders first read, the pool's connections
// first opened); the rounds measure a frontend that has been serving.
func compareInteractive(ctx context.Context, n int, index, mirrors *search.Service) {
	search1 := func(svc *search.Service, q string) (float64, int) {
		start := time.Now()
		res, err := svc.Search(ctx, search.Request{Query: q, Viewer: store.InternalViewer})
		fatal(err)
		return float64(time.Since(start).Microseconds()) / 1000, res.MatchCount
	}
	var cold []float64
	for _, q := range interactive {
		ms, _ := search1(index, q)
		cold = append(cold, ms)
	}
	p50, _, max := percentiles(cold)
	fmt.Printf("    index, cold (each query's first search after the process started): p50 %.1f ms, max %.1f ms\n", p50, max)

	var perSearch []float64
	matches := map[string][2]int{}
	run := func(svc *search.Service, which int) func() error {
		return func() error {
			for _, q := range interactive {
				ms, count := search1(svc, q)
				if which == 0 {
					perSearch = append(perSearch, ms)
				}
				m := matches[q]
				m[which] = count
				matches[q] = m
			}
			return nil
		}
	}
	c, err := rounds.Compare("index", fmt.Sprintf("%d interactive searches", len(interactive)), n,
		rounds.Side{Name: "index", Run: run(index, 0)}, rounds.Side{Name: "mirrors", Run: run(mirrors, 1)})
	fatal(err)
	for q, m := range matches {
		if m[0] != m[1] {
			c.Note += fmt.Sprintf("DIFFERENT match counts for %s: %d vs %d; ", q, m[0], m[1])
		}
	}
	c.Report(os.Stdout)
	p50, p95, max := percentiles(perSearch)
	fmt.Printf("    index, per search over %d searches: p50 %.1f ms, p95 %.1f ms, max %.1f ms (target p95 < 50 ms: %s)\n",
		len(perSearch), p50, p95, max, pass(p95 < 50))
	rounds.Anchor(os.Stdout, "index", "interactive search p95", "ms", []float64{p95}, "target", 50)

	// The rounds above alternate with the mirrors' searches; a person's come one after
	// another through the index alone.
	var steady []float64
	for range n {
		for _, q := range interactive {
			ms, _ := search1(index, q)
			steady = append(steady, ms)
		}
	}
	p50, p95, max = percentiles(steady)
	fmt.Printf("    index only, %d searches back to back: p50 %.1f ms, p95 %.1f ms, max %.1f ms\n", len(steady), p50, p95, max)
}

// percentiles returns the median, the 95th percentile and the largest of ms.
func percentiles(ms []float64) (p50, p95, max float64) {
	ms = slices.Sorted(slices.Values(ms))
	return ms[len(ms)/2], ms[min(len(ms)-1, int(0.95*float64(len(ms))))], ms[len(ms)-1]
}

// pushToSearchable pushes one commit to a repository, n times, and times fetch, build and
// the searcher loading the shard, until a search finds the new line from the index.
func pushToSearchable(ctx context.Context, n int, st *store.Store, rs *repos.Service, ix *textindex.Indexer, b textindex.Backend, svc *search.Service, r *store.Repo, bare string) {
	work, err := os.MkdirTemp("", "lookout-index-push-")
	fatal(err)
	defer os.RemoveAll(work)
	git(work, "clone", "-q", bare, ".")
	var fetch, build, load, total []float64
	for i := range max(n, rounds.MinRounds) {
		marker := fmt.Sprintf("pushedmarker%dx%d", time.Now().UnixNano(), i)
		fatal(os.WriteFile(filepath.Join(work, "PUSHED.md"), []byte(marker+"\n"), 0o644))
		git(work, "add", "-A")
		git(work, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "push "+marker)
		git(work, "push", "-q", "origin", "HEAD:main")
		start := time.Now()
		_, err := rs.Fetch(ctx, r.ID, nil)
		fatal(err)
		r, err = st.Repos().GetByID(ctx, store.InternalViewer, r.ID)
		fatal(err)
		t1 := time.Now()
		m, err := rs.Mirror(ctx, r)
		fatal(err)
		_, err = ix.Index(ctx, textindex.Repo{ID: r.ID, Name: r.Name}, m, search.RecordedDefaultHead(r))
		fatal(err)
		t2 := time.Now()
		for {
			res, err := svc.Search(ctx, search.Request{Query: marker, Viewer: store.InternalViewer, RepoIDs: []int64{r.ID}})
			fatal(err)
			if res.MatchCount == 1 && res.IndexedRepos == 1 {
				break
			}
			if time.Since(t2) > time.Minute {
				fatal(fmt.Errorf("the pushed commit was not searchable from the index a minute after its build"))
			}
			time.Sleep(10 * time.Millisecond)
		}
		end := time.Now()
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		fetch, build, load, total = append(fetch, ms(t1.Sub(start))), append(build, ms(t2.Sub(t1))), append(load, ms(end.Sub(t2))), append(total, ms(end.Sub(start)))
	}
	show := func(name string, v []float64) {
		s := rounds.StatsOf(v)
		fmt.Printf("    %-34s %10.1f / %10.1f / %10.1f ms (min / median / max)\n", name, s.Min, s.Median, s.Max)
	}
	fmt.Printf("%s, %d pushes of one commit:\n", r.Name, len(total))
	show("fetch", fetch)
	show("build of the shard", build)
	show("searcher loads it, search finds it", load)
	show("push to searchable from the index", total)
}

// compareBranchBuilds builds r's shard from scratch with its default branch alone and
// with three more branches at older commits (as release branches are), alternating, and
// reports the build times, the content read and the index size of each: a blob on
// several branches is one document, so what the extra branches add follows what they
// change, not their size.
func compareBranchBuilds(ctx context.Context, n int, rs *repos.Service, r *store.Repo) {
	m, err := rs.Mirror(ctx, r)
	fatal(err)
	head := search.RecordedDefaultHead(r)
	branches := []textindex.Branch{{Name: textindex.DefaultBranch, Commit: head}}
	for _, back := range []int{10, 25, 50} {
		c, err := m.ResolveRevision(ctx, fmt.Sprintf("%s~%d", head, back))
		fatal(err)
		branches = append(branches, textindex.Branch{Name: fmt.Sprintf("release-%d", back), Commit: c})
	}
	var results [2]textindex.BuildResult
	build := func(i int, bs []textindex.Branch) func() error {
		return func() error {
			dir, err := os.MkdirTemp("", "lookout-index-branches-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			ix, err := textindex.NewIndexer(textindex.Options{Dir: dir, MaxFileSize: maxFileSize})
			if err != nil {
				return err
			}
			results[i], err = ix.IndexBranches(ctx, textindex.Repo{ID: r.ID, Name: r.Name}, m, bs)
			return err
		}
	}
	c, err := rounds.Compare("index", fmt.Sprintf("shard of %s: %d branches vs the default branch alone", r.Name, len(branches)), n,
		rounds.Side{Name: fmt.Sprintf("%d branches", len(branches)), Run: build(0, branches)},
		rounds.Side{Name: "default branch", Run: build(1, branches[:1])})
	fatal(err)
	c.Note = fmt.Sprintf("%d branches: %d documents, %.1f MB read, index %.1f MB; default branch: %d documents, %.1f MB read, index %.1f MB (%.2f× the size)",
		len(branches), results[0].Files, float64(results[0].ContentBytes)/1e6, float64(results[0].IndexBytes)/1e6,
		results[1].Files, float64(results[1].ContentBytes)/1e6, float64(results[1].IndexBytes)/1e6, float64(results[0].IndexBytes)/float64(results[1].IndexBytes))
	c.Report(os.Stdout)
}

func git(dir string, args ...string) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		fatal(fmt.Errorf("git %v: %v\n%s", args, err, out))
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pass(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func fatal(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
