// Package corpusgen builds git repositories with a dated, plausible history made from
// real source files (by default the Go toolchain's own src tree, present on every machine
// with Go), for the search and insights benchmarks.
//
// A repository's history replays the source tree as it might have grown: an initial
// import holds part of the directories, later commits add the other directories as new
// packages, edit a few files of one directory at a time (revealing or removing whole
// paragraphs of their real text, so diffs have real hunks), and now and then delete
// files. Authors, times and messages are synthetic but stable. Everything is
// deterministic from the seed, and the history is written with one `git fast-import`
// per repository, so a 600-commit replay of Go's src takes seconds.
package corpusgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Options say what to build. Zero fields take the defaults of DefaultOptions.
type Options struct {
	// Src is the directory whose files the history is made of.
	Src string
	// Out is where the bare repositories are written, as repo-000.git, repo-001.git, ...
	Out string
	// Repos is the number of repositories.
	Repos int
	// Commits is the number of commits per repository, the initial import included.
	Commits int
	// Start is the time of the first commit and Span the length of the history.
	Start time.Time
	Span  time.Duration
	// Seed makes the output reproducible; repository i uses Seed+i.
	Seed int64
	// Subset is the fraction of Src's directories that repositories after the first
	// hold (the first holds all), so that repositories differ in size and content.
	Subset float64
	// Initial is the fraction of directories present in the initial import.
	Initial float64
	// Repack runs `git repack -adf` after the import, so that the repository is packed
	// as a code host would serve it (deltas across versions of a file). Slower.
	Repack bool
	// Log receives progress lines; nil for none.
	Log io.Writer
}

// DefaultOptions is a two-year, 600-commit replay of $(go env GOROOT)/src.
func DefaultOptions() Options {
	return Options{
		Repos:   1,
		Commits: 600,
		Start:   time.Date(2023, 1, 2, 9, 0, 0, 0, time.UTC),
		Span:    2 * 365 * 24 * time.Hour,
		Seed:    1,
		Subset:  0.6,
		Initial: 0.55,
	}
}

func (o *Options) defaults() error {
	d := DefaultOptions()
	if o.Src == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			return fmt.Errorf("finding GOROOT: %w", err)
		}
		o.Src = filepath.Join(strings.TrimSpace(string(out)), "src")
	}
	if o.Out == "" {
		return errors.New("corpusgen: no output directory")
	}
	if o.Repos <= 0 {
		o.Repos = d.Repos
	}
	if o.Commits <= 0 {
		o.Commits = d.Commits
	}
	if o.Start.IsZero() {
		o.Start = d.Start
	}
	if o.Span <= 0 {
		o.Span = d.Span
	}
	if o.Subset <= 0 || o.Subset > 1 {
		o.Subset = d.Subset
	}
	if o.Initial <= 0 || o.Initial > 1 {
		o.Initial = d.Initial
	}
	return nil
}

// Repo is a generated repository.
type Repo struct {
	Name    string // corpus/repo-000
	Dir     string // the bare repository
	Commits int
	Files   int // files at the head
}

// Generate builds the repositories. An existing repository directory is replaced.
func Generate(ctx context.Context, opts Options) ([]Repo, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	src, err := loadTree(opts.Src)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, err
	}
	var repos []Repo
	for i := 0; i < opts.Repos; i++ {
		start := time.Now()
		name := fmt.Sprintf("repo-%03d", i)
		dir := filepath.Join(opts.Out, name+".git")
		h := newHistory(src, opts, int64(i))
		if err := h.write(ctx, dir, opts.Repack); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		r := Repo{Name: "corpus/" + name, Dir: dir, Commits: opts.Commits, Files: h.liveFiles()}
		repos = append(repos, r)
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, "%s: %d commits, %d files at head, %d blobs, %s\n", dir, r.Commits, r.Files, h.blobs, time.Since(start).Round(time.Millisecond))
		}
	}
	return repos, nil
}

// srcFile is a file of the source tree cut into paragraphs (runs of lines ending with a
// blank line), the unit of the synthetic edits.
type srcFile struct {
	path   string
	dir    string
	exec   bool
	binary bool
	paras  [][]byte
}

type srcTree struct {
	files []*srcFile
	dirs  []string         // sorted
	byDir map[string][]int // file indexes per directory
	size  int64            // bytes
}

func loadTree(root string) (*srcTree, error) {
	t := &srcTree{byDir: map[string][]int{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		f := &srcFile{path: rel, dir: path.Dir(rel), exec: info.Mode()&0o111 != 0}
		f.binary = bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
		if f.binary {
			f.paras = [][]byte{data}
		} else {
			f.paras = splitParagraphs(data)
		}
		t.size += int64(len(data))
		t.files = append(t.files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading source tree %s: %w", root, err)
	}
	if len(t.files) == 0 {
		return nil, fmt.Errorf("source tree %s has no files", root)
	}
	sort.Slice(t.files, func(i, j int) bool { return t.files[i].path < t.files[j].path })
	for i, f := range t.files {
		if _, ok := t.byDir[f.dir]; !ok {
			t.dirs = append(t.dirs, f.dir)
		}
		t.byDir[f.dir] = append(t.byDir[f.dir], i)
	}
	sort.Strings(t.dirs)
	return t, nil
}

// splitParagraphs cuts text after each blank line; joining the parts gives the text back.
func splitParagraphs(data []byte) [][]byte {
	var out [][]byte
	for len(data) > 0 {
		i := bytes.Index(data, []byte("\n\n"))
		if i < 0 {
			out = append(out, data)
			break
		}
		out = append(out, data[:i+2])
		data = data[i+2:]
	}
	if len(out) == 0 {
		out = append(out, data)
	}
	return out
}

// fileState is a file's state in one repository's history.
type fileState struct {
	src     *srcFile
	born    bool
	deleted bool
	present []bool // which paragraphs the current version holds
}

func (f *fileState) content() []byte {
	var b bytes.Buffer
	for i, p := range f.src.paras {
		if f.present[i] {
			b.Write(p)
		}
	}
	return b.Bytes()
}

type author struct{ name, email string }

// history is one repository's replay.
type history struct {
	opts    Options
	rng     *rand.Rand
	files   []*fileState
	dirs    []string
	byDir   map[string][]int
	births  map[int][]string // commit index → directories added
	authors []author
	weights []float64 // cumulative author weights
	blobs   int
}

func newHistory(src *srcTree, opts Options, index int64) *history {
	h := &history{opts: opts, rng: rand.New(rand.NewSource(opts.Seed + index)), byDir: map[string][]int{}, births: map[int][]string{}}
	for _, d := range src.dirs {
		if index > 0 && h.rng.Float64() >= opts.Subset {
			continue
		}
		h.dirs = append(h.dirs, d)
		for _, fi := range src.byDir[d] {
			f := src.files[fi]
			h.byDir[d] = append(h.byDir[d], len(h.files))
			h.files = append(h.files, &fileState{src: f, present: make([]bool, len(f.paras))})
		}
	}
	// The initial import holds a fraction of the directories, always including the
	// root; the others arrive as new packages (a directory with its subdirectories)
	// in a tenth of the later commits.
	imports := make([]int, max(1, opts.Commits/10))
	for i := range imports {
		imports[i] = 1 + h.rng.Intn(max(1, opts.Commits-1))
	}
	unitBirth := map[string]int{}
	for _, d := range h.dirs {
		unit := d
		if parts := strings.SplitN(d, "/", 3); len(parts) > 2 {
			unit = parts[0] + "/" + parts[1]
		}
		c, ok := unitBirth[unit]
		if !ok {
			if d != "." && h.rng.Float64() >= opts.Initial {
				c = imports[h.rng.Intn(len(imports))]
			}
			unitBirth[unit] = c
		}
		h.births[c] = append(h.births[c], d)
	}
	h.authors = makeAuthors(h.rng, 24)
	total := 0.0
	for i := range h.authors {
		total += 1 / float64(i+1) // Zipf: a few people do most of the work
		h.weights = append(h.weights, total)
	}
	return h
}

var (
	firstNames = []string{"Ada", "Brian", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal", "Lena", "Marco", "Nadia", "Olu", "Priya", "Quentin", "Rosa", "Sven", "Tomoko", "Uma", "Viktor", "Wen", "Yusuf", "Zoe"}
	lastNames  = []string{"Abe", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova", "Jensen", "Kowalski", "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Sato", "Thomas", "Ueda", "Varga", "Weber", "Young", "Zhang"}
)

func makeAuthors(rng *rand.Rand, n int) []author {
	seen := map[string]bool{}
	var out []author
	for len(out) < n {
		f, l := firstNames[rng.Intn(len(firstNames))], lastNames[rng.Intn(len(lastNames))]
		name := f + " " + l
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, author{name: name, email: strings.ToLower(f+"."+l) + "@example.com"})
	}
	return out
}

func (h *history) pickAuthor() author {
	x := h.rng.Float64() * h.weights[len(h.weights)-1]
	i := sort.SearchFloat64s(h.weights, x)
	return h.authors[min(i, len(h.authors)-1)]
}

func (h *history) liveFiles() int {
	n := 0
	for _, f := range h.files {
		if f.born && !f.deleted {
			n++
		}
	}
	return n
}

// commitTimes spreads the commits over the span, in order, on working hours.
func (h *history) commitTimes() []time.Time {
	n := h.opts.Commits
	offs := make([]float64, n)
	for i := 1; i < n; i++ {
		offs[i] = h.rng.Float64()
	}
	sort.Float64s(offs[1:])
	out := make([]time.Time, n)
	for i, o := range offs {
		t := h.opts.Start.Add(time.Duration(o * float64(h.opts.Span)))
		if i > 0 {
			// Working hours, with the seconds varied.
			day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
			t = day.Add(time.Duration(8*3600+h.rng.Intn(11*3600)) * time.Second)
			if !t.After(out[i-1]) {
				t = out[i-1].Add(time.Duration(1+h.rng.Intn(3600)) * time.Second)
			}
		}
		out[i] = t
	}
	return out
}

// change is one file operation of a commit.
type change struct {
	file   *fileState
	delete bool
}

// write replays the history into a new bare repository with git fast-import.
func (h *history) write(ctx context.Context, dir string, repack bool) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "git", "init", "--bare", "-q", "-b", "main", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("git init: %v: %s", err, out)
	}
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "fast-import", "--quiet", "--done")
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	werr := h.stream(w)
	if werr == nil {
		werr = w.Flush()
	}
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git fast-import: %v: %s", err, stderr.String())
	}
	if werr != nil {
		return werr
	}
	if repack {
		if out, err := exec.CommandContext(ctx, "git", "-C", dir, "repack", "-adfq", "--window=10", "--depth=20").CombinedOutput(); err != nil {
			return fmt.Errorf("git repack: %v: %s", err, out)
		}
	}
	return nil
}

func (h *history) stream(w *bufio.Writer) error {
	marks := map[[20]byte]int{}
	nextMark := 1
	blob := func(data []byte) int {
		sum := sha1.Sum(data)
		if m, ok := marks[sum]; ok {
			return m
		}
		m := nextMark
		nextMark++
		marks[sum] = m
		h.blobs++
		fmt.Fprintf(w, "blob\nmark :%d\ndata %d\n", m, len(data))
		w.Write(data)
		w.WriteByte('\n')
		return m
	}
	times := h.commitTimes()
	for i, t := range times {
		changes, msg := h.plan(i)
		if len(changes) == 0 {
			continue
		}
		type op struct {
			path string
			mark int
			exec bool
			del  bool
		}
		var ops []op
		for _, c := range changes {
			if c.delete {
				ops = append(ops, op{path: c.file.src.path, del: true})
				continue
			}
			ops = append(ops, op{path: c.file.src.path, mark: blob(c.file.content()), exec: c.file.src.exec})
		}
		a := h.pickAuthor()
		sig := fmt.Sprintf("%s <%s> %d +0000", a.name, a.email, t.Unix())
		fmt.Fprintf(w, "commit refs/heads/main\nauthor %s\ncommitter %s\ndata %d\n%s\n", sig, sig, len(msg), msg)
		for _, o := range ops {
			switch {
			case o.del:
				fmt.Fprintf(w, "D %s\n", quotePath(o.path))
			case o.exec:
				fmt.Fprintf(w, "M 100755 :%d %s\n", o.mark, quotePath(o.path))
			default:
				fmt.Fprintf(w, "M 100644 :%d %s\n", o.mark, quotePath(o.path))
			}
		}
		w.WriteByte('\n')
	}
	_, err := w.WriteString("done\n")
	return err
}

func quotePath(p string) string {
	if strings.ContainsAny(p, "\" \n\\") || strings.HasPrefix(p, "\"") {
		return strconv.Quote(p)
	}
	return p
}

// plan decides commit i's changes (and applies them to the file states) and its message.
func (h *history) plan(i int) ([]change, string) {
	var changes []change
	if dirs := h.births[i]; len(dirs) > 0 {
		for _, d := range dirs {
			for _, fi := range h.byDir[d] {
				f := h.files[fi]
				f.born = true
				for p := range f.present {
					// The first paragraph (license, package clause) is always there.
					f.present[p] = p == 0 || f.src.binary || h.rng.Float64() < 0.8
				}
				changes = append(changes, change{file: f})
			}
		}
		if i == 0 {
			return changes, "initial import\n"
		}
		if len(dirs) == 1 {
			return changes, dirs[0] + ": new package\n"
		}
		return changes, fmt.Sprintf("%s, %s: new packages\n", dirs[0], dirs[1])
	}
	// An ordinary commit works in one directory.
	var live []string
	for _, d := range h.dirs {
		for _, fi := range h.byDir[d] {
			if f := h.files[fi]; f.born && !f.deleted && !f.src.binary {
				live = append(live, d)
				break
			}
		}
	}
	if len(live) == 0 {
		return nil, ""
	}
	d := live[h.rng.Intn(len(live))]
	var cands []*fileState
	for _, fi := range h.byDir[d] {
		if f := h.files[fi]; f.born && !f.deleted && !f.src.binary {
			cands = append(cands, f)
		}
	}
	h.rng.Shuffle(len(cands), func(a, b int) { cands[a], cands[b] = cands[b], cands[a] })
	if h.rng.Float64() < 0.02 && len(cands) > 1 {
		n := min(1+h.rng.Intn(3), len(cands)-1)
		for _, f := range cands[:n] {
			f.deleted = true
			changes = append(changes, change{file: f, delete: true})
		}
		return changes, fmt.Sprintf("%s: remove %s\n", d, path.Base(cands[0].src.path))
	}
	n := 1
	for n < 6 && h.rng.Float64() < 0.55 {
		n++
	}
	n = min(n, len(cands))
	verb, subject := "", ""
	for _, f := range cands[:n] {
		var hidden, shown []int
		for p, ok := range f.present {
			if p == 0 {
				continue
			}
			if ok {
				shown = append(shown, p)
			} else {
				hidden = append(hidden, p)
			}
		}
		switch {
		case len(hidden) > 0 && (len(shown) == 0 || h.rng.Float64() < 0.8):
			k := min(1+h.rng.Intn(3), len(hidden))
			for _, j := range h.rng.Perm(len(hidden))[:k] {
				f.present[hidden[j]] = true
				if subject == "" {
					verb, subject = "add", identOf(f.src.paras[hidden[j]])
				}
			}
		case len(shown) > 0:
			p := shown[h.rng.Intn(len(shown))]
			f.present[p] = false
			if subject == "" {
				verb, subject = "remove", identOf(f.src.paras[p])
			}
		default:
			continue
		}
		changes = append(changes, change{file: f})
	}
	if len(changes) == 0 {
		return nil, ""
	}
	if subject == "" {
		verb, subject = "update", path.Base(changes[0].file.src.path)
	}
	msg := fmt.Sprintf("%s: %s %s\n", d, verb, subject)
	if len(changes) > 1 {
		msg += fmt.Sprintf("\nThis touches %d files.\n", len(changes))
	}
	return changes, msg
}

// identOf names a paragraph for a commit message: the identifier it declares, if any.
func identOf(p []byte) string {
	for _, line := range strings.Split(string(p), "\n") {
		line = strings.TrimSpace(line)
		for _, kw := range []string{"func ", "type ", "var ", "const "} {
			if rest, ok := strings.CutPrefix(line, kw); ok {
				if strings.HasPrefix(rest, "(") { // a method: skip the receiver
					if i := strings.Index(rest, ")"); i >= 0 {
						rest = strings.TrimSpace(rest[i+1:])
					}
				}
				end := strings.IndexFunc(rest, func(r rune) bool {
					return !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
				})
				if end < 0 {
					end = len(rest)
				}
				if end > 0 {
					return rest[:end]
				}
			}
		}
	}
	return "code"
}
