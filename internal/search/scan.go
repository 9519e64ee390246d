package search

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/lookout/lookout/internal/vcs"
)

// fileFilter is the path side of a query: file:, -file:, lang:, -lang:.
type fileFilter struct {
	include, exclude []*regexp.Regexp
	langs            langFilter
}

func (f *fileFilter) pathOK(p string) bool {
	for _, re := range f.include {
		if !re.MatchString(p) {
			return false
		}
	}
	for _, re := range f.exclude {
		if re.MatchString(p) {
			return false
		}
	}
	return true
}

// limiter is a result limit shared by the parts of one search.
type limiter struct {
	limit int // 0: none
	n     atomic.Int64
}

// add records n results and reports whether the limit is now reached.
func (l *limiter) add(n int) bool {
	if l == nil || l.limit <= 0 {
		return false
	}
	return l.n.Add(int64(n)) >= int64(l.limit)
}

func (l *limiter) full() bool {
	return l != nil && l.limit > 0 && l.n.Load() >= int64(l.limit)
}

// scanSpec says what a content scan at one commit does.
type scanSpec struct {
	matcher *Matcher
	files   fileFilter
	// content searches file content (type:file), paths file paths (type:path).
	content, paths bool
	// countOnly returns counts (FileCount) instead of file matches.
	countOnly bool
	// languages computes every counted or matched file's language, and inventory
	// reads every file for language statistics (lines per language).
	languages bool
	inventory bool
	// persist stores new per-blob counts in Postgres.
	persist     bool
	maxFileSize int64
	limit       *limiter

	readContent bool // the content is searched or measured
	// memo, when set, remembers path decisions (the spec is then used by one
	// goroutine at a time).
	memo *pathMemo
	// trackSkips fills scanOutput.skips.
	trackSkips bool
}

// FileCount is the count of one file at a commit.
type FileCount struct {
	Path     string
	Language string
	BlobCount
}

// scanOutput is what a scan found.
type scanOutput struct {
	files    []*FileMatch
	counts   []FileCount
	total    BlobCount
	skipped  Skipped
	langs    langTotals
	limitHit bool
	read     int // blobs read
	// skips are the paths skipped as binary ('b') or large ('l'), with trackSkips.
	skips map[string]byte
}

// scanEntry is a file of the tree being scanned.
type scanEntry struct {
	e         *vcs.TreeEntry
	lang      string
	cands     []string
	needLang  bool // the language is needed and only the content tells
	langGate  bool // the lang: filter waits for the content
	pathMatch []Range
	pathHit   bool
	cached    *blobResult
}

// scanner scans commits of one mirror, reusing its object readers across scans.
type scanner struct {
	m       *vcs.Mirror
	cache   *BlobCache
	nreader int

	mu      sync.Mutex
	readers []*vcs.ObjectReader
	ctx     context.Context   // the readers' context
	langs   map[string]string // languages the content decided, by langKey
}

func newScanner(ctx context.Context, m *vcs.Mirror, cache *BlobCache, readers int) *scanner {
	return &scanner{m: m, cache: cache, nreader: max(1, readers), ctx: ctx}
}

func (s *scanner) getReader() (*vcs.ObjectReader, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.readers); n > 0 {
		r := s.readers[n-1]
		s.readers = s.readers[:n-1]
		return r, nil
	}
	return s.m.NewObjectReader(s.ctx)
}

func (s *scanner) putReader(r *vcs.ObjectReader, broken bool) {
	if broken {
		_ = r.Close()
		return
	}
	s.mu.Lock()
	s.readers = append(s.readers, r)
	s.mu.Unlock()
}

func (s *scanner) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.readers {
		_ = r.Close()
	}
	s.readers = nil
}

// linesSignature keys inventory results (line counts) in the blob cache.
var linesSignature = []byte("lookout-lines-v1")

// isBinary is git's test: a NUL byte in the first 8000 bytes.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// scan searches the tree of commit.
func (s *scanner) scan(ctx context.Context, spec *scanSpec, commit string) (*scanOutput, error) {
	tree, err := s.m.ListTree(ctx, commit)
	if err != nil {
		return nil, err
	}
	return s.scanTree(ctx, spec, tree)
}

// langKey keys the language memo: a blob under a file name (the extension decides the
// candidates the content chooses from).
func langKey(oid, p string) string { return oid + "\x00" + path.Base(p) }

func (s *scanner) memoLang(oid, p string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.langs[langKey(oid, p)]
	return l, ok
}

func (s *scanner) setLang(oid, p, lang string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.langs == nil {
		s.langs = map[string]string{}
	}
	s.langs[langKey(oid, p)] = lang
}

// scanTree searches the files of a tree listing.
func (s *scanner) scanTree(ctx context.Context, spec *scanSpec, tree []vcs.TreeEntry) (*scanOutput, error) {
	out := &scanOutput{langs: langTotals{}}
	sig := spec.matcher.Signature()
	if spec.inventory {
		sig = linesSignature
	}
	// A search's matches get their language when found (see fileLanguage); counts
	// and statistics need every file's.
	needLangNames := spec.files.langs.active() || spec.inventory || spec.languages && spec.countOnly

	var entries []*scanEntry
	slab := make([]scanEntry, len(tree))
	for i := range tree {
		e := &tree[i]
		if e.Type != "blob" || e.Mode == vcs.ModeSymlink || !spec.pathOK(e.Path) {
			continue
		}
		se := &slab[i]
		se.e = e
		if needLangNames {
			se.lang, se.cands = spec.languageByName(e.Path)
			keep, decided := spec.files.langs.decideByName(se.lang, se.cands)
			if decided && !keep {
				continue
			}
			se.langGate = !decided
			se.needLang = !decided || (spec.languages || spec.inventory) && se.lang == "" && len(se.cands) > 0
			if se.needLang {
				if l, ok := s.memoLang(e.OID, e.Path); ok {
					se.lang, se.needLang, se.langGate = l, false, false
					if !spec.files.langs.ok(l) {
						continue
					}
				}
			}
		}
		if spec.paths && !spec.inventory {
			se.pathMatch, se.pathHit = spec.pathRanges(e.Path)
		}
		entries = append(entries, se)
	}

	// Decide which blobs to read: those not in the cache, those whose matches must be
	// shown, and those whose language only the content tells.
	type blobWork struct {
		oid     string
		entries []*scanEntry
	}
	var work []*blobWork
	byOID := map[string]*blobWork{}
	var missing []string
	addWork := func(se *scanEntry) {
		w := byOID[se.e.OID]
		if w == nil {
			w = &blobWork{oid: se.e.OID}
			byOID[se.e.OID] = w
			work = append(work, w)
		}
		w.entries = append(w.entries, se)
	}
	var candidates []*scanEntry
	for _, se := range entries {
		switch {
		case se.e.Size > spec.maxFileSize && (spec.readContent || se.langGate):
			// Large files are never read; one whose language only its content tells
			// cannot pass a lang: filter.
			if spec.readContent {
				out.skipped.Large++
				out.skip(spec, se.e.Path, 'l')
			}
			if !se.langGate {
				s.finishPathOnly(spec, out, se)
			}
		case !spec.readContent && se.langGate:
			addWork(se)
		case !spec.readContent:
			s.finishPathOnly(spec, out, se)
		default:
			candidates = append(candidates, se)
			if r, ok := s.cache.get(sig, se.e.OID); ok {
				se.cached = &r
			} else {
				missing = append(missing, se.e.OID)
			}
		}
	}
	if spec.persist && len(missing) > 0 {
		if _, err := s.cache.load(ctx, sig, uniq(missing)); err != nil {
			return nil, fmt.Errorf("loading memoized counts: %w", err)
		}
		for _, se := range candidates {
			if se.cached == nil {
				if r, ok := s.cache.get(sig, se.e.OID); ok {
					se.cached = &r
				}
			}
		}
	}
	for _, se := range candidates {
		switch {
		case se.cached == nil || se.needLang:
			addWork(se)
		case !spec.countOnly && !spec.inventory && se.cached.Matches > 0:
			addWork(se)
		default:
			s.finishCached(spec, out, se, *se.cached)
		}
	}
	if len(work) == 0 {
		return out, nil
	}

	// Read in batches handed out in path order, by up to nreader readers at once; each
	// blob is matched on the reader's goroutine while git inflates the next ones. A
	// batch runs to its end once started, so when a limit stops the hand-out the
	// finished batches are a prefix of the path order.
	batchSize := min(1024, max(64, len(work)/(s.nreader*16)))
	nbatch := (len(work) + batchSize - 1) / batchSize
	parts := make([]*scanOutput, nbatch)
	var next atomic.Int64
	var cut atomic.Bool // the limit left batches unread
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var firstErr error
	nw := min(s.nreader, nbatch)
	for range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.getReader()
			if err != nil {
				errMu.Lock()
				firstErr = cmpErr(firstErr, err)
				errMu.Unlock()
				return
			}
			broken := false
			defer func() { s.putReader(r, broken) }()
			for {
				b := int(next.Add(1) - 1)
				if b >= nbatch || ctx.Err() != nil {
					return
				}
				if spec.limit.full() {
					cut.Store(true)
					return
				}
				part := &scanOutput{langs: langTotals{}}
				parts[b] = part
				batch := work[b*batchSize : min(len(work), (b+1)*batchSize)]
				names := make([]string, len(batch))
				for i, w := range batch {
					names[i] = w.oid
				}
				i := 0
				err := r.ReadBatch(names, func(info vcs.ObjectInfo, data []byte) error {
					w := batch[i]
					i++
					if info.Missing {
						return nil
					}
					part.read++
					return s.process(ctx, spec, sig, part, w.entries, data)
				})
				if err != nil {
					broken = true
					errMu.Lock()
					firstErr = cmpErr(firstErr, err)
					errMu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, p := range parts {
		if p == nil {
			continue
		}
		out.files = append(out.files, p.files...)
		out.counts = append(out.counts, p.counts...)
		out.addTotals(p)
	}
	out.limitHit = cut.Load()
	if firstErr != nil {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		return out, firstErr
	}
	return out, ctx.Err()
}

// cmpErr keeps the first error.
func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func uniq(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func (o *scanOutput) skip(spec *scanSpec, path string, kind byte) {
	if !spec.trackSkips {
		return
	}
	if o.skips == nil {
		o.skips = map[string]byte{}
	}
	o.skips[path] = kind
}

func (o *scanOutput) addTotals(p *scanOutput) {
	o.total.Matches += p.total.Matches
	o.total.Lines += p.total.Lines
	if p.total.Captures != nil {
		if o.total.Captures == nil {
			o.total.Captures = map[string]int{}
		}
		for k, v := range p.total.Captures {
			o.total.Captures[k] += v
		}
	}
	o.skipped.add(p.skipped)
	o.langs.merge(p.langs)
	o.read += p.read
	for k, v := range p.skips {
		if o.skips == nil {
			o.skips = map[string]byte{}
		}
		o.skips[k] = v
	}
}

func (o *scanOutput) addCount(c BlobCount) {
	o.total.Matches += c.Matches
	o.total.Lines += c.Lines
	for k, v := range c.Captures {
		if o.total.Captures == nil {
			o.total.Captures = map[string]int{}
		}
		o.total.Captures[k] += v
	}
}

// pathMemo remembers path decisions for a spec used by one goroutine at a time (a
// Counter's), since they do not change from one commit to the next.
type pathMemo struct {
	ok     map[string]bool
	ranges map[string][]Range
	hit    map[string]bool
	langs  map[string]nameLang
}

type nameLang struct {
	lang  string
	cands []string
}

func (sp *scanSpec) languageByName(p string) (string, []string) {
	if sp.memo == nil {
		return languageByName(p)
	}
	if nl, ok := sp.memo.langs[p]; ok {
		return nl.lang, nl.cands
	}
	lang, cands := languageByName(p)
	sp.memo.langs[p] = nameLang{lang, cands}
	return lang, cands
}

func (sp *scanSpec) pathOK(p string) bool {
	if sp.memo == nil {
		return sp.files.pathOK(p)
	}
	ok, found := sp.memo.ok[p]
	if !found {
		ok = sp.files.pathOK(p)
		sp.memo.ok[p] = ok
	}
	return ok
}

func (sp *scanSpec) pathRanges(p string) ([]Range, bool) {
	if sp.memo == nil {
		return pathRanges(sp.matcher, p)
	}
	if hit, found := sp.memo.hit[p]; found {
		return sp.memo.ranges[p], hit
	}
	rs, hit := pathRanges(sp.matcher, p)
	sp.memo.hit[p] = hit
	if rs != nil {
		sp.memo.ranges[p] = rs
	}
	return rs, hit
}

func newPathMemo() *pathMemo {
	return &pathMemo{ok: map[string]bool{}, ranges: map[string][]Range{}, hit: map[string]bool{}, langs: map[string]nameLang{}}
}

// pathRanges matches the patterns against a path.
func pathRanges(m *Matcher, p string) ([]Range, bool) {
	if m.Empty() {
		return nil, true // no pattern: every file that passes the filters
	}
	b := []byte(p)
	if !m.Matches(b) {
		return nil, false
	}
	rs := m.Ranges(b)
	return rs, true
}

// finishPathOnly records an entry whose content is not searched or does not match: a
// path match, if its path matched. A count counts it once, as its result would.
func (s *scanner) finishPathOnly(spec *scanSpec, out *scanOutput, se *scanEntry) {
	if !se.pathHit || spec.inventory {
		return
	}
	if spec.countOnly {
		out.counts = append(out.counts, FileCount{Path: se.e.Path, Language: se.lang, BlobCount: BlobCount{Matches: 1}})
		out.total.Matches++
		return
	}
	out.files = append(out.files, &FileMatch{Path: se.e.Path, BlobOID: se.e.OID, Size: se.e.Size, Language: fileLanguage(spec, se, nil), PathMatches: se.pathMatch})
	spec.limit.add(1)
}

// fileLanguage is the language of a matched file, for Request.Languages: by name, by
// content when the name is ambiguous and the content was read, else the first
// candidate.
func fileLanguage(spec *scanSpec, se *scanEntry, data []byte) string {
	if se.lang != "" || !spec.languages {
		return se.lang
	}
	lang, cands := languageByName(se.e.Path)
	switch {
	case lang != "":
		return lang
	case data != nil && !isBinary(data):
		return languageByContent(se.e.Path, cands, data)
	case len(cands) > 0:
		return cands[0]
	}
	return ""
}

// finishCached records an entry answered by the cache.
func (s *scanner) finishCached(spec *scanSpec, out *scanOutput, se *scanEntry, r blobResult) {
	if r.Binary {
		out.skipped.Binary++
		out.skip(spec, se.e.Path, 'b')
		s.finishPathOnly(spec, out, se)
		return
	}
	if spec.inventory {
		out.langs.add(se.lang, se.e.Size, r.Lines)
		return
	}
	if spec.countOnly {
		if r.Matches > 0 {
			out.counts = append(out.counts, FileCount{Path: se.e.Path, Language: se.lang, BlobCount: r.BlobCount})
			out.addCount(r.BlobCount)
			return
		}
		s.finishPathOnly(spec, out, se)
		return
	}
	// No content match (a match is read again to show it): maybe a path match.
	s.finishPathOnly(spec, out, se)
}

// process handles one blob read for its entries (paths sharing the blob).
func (s *scanner) process(ctx context.Context, spec *scanSpec, sig []byte, out *scanOutput, entries []*scanEntry, data []byte) error {
	binary := isBinary(data)
	var res *blobResult
	var ranges []Range
	rangesDone := false
	var lineCount = -1
	for _, se := range entries {
		if se.needLang {
			if !binary {
				se.lang = languageByContent(se.e.Path, se.cands, data)
			}
			s.setLang(se.e.OID, se.e.Path, se.lang)
			if !spec.files.langs.ok(se.lang) {
				continue
			}
		}
		if !spec.readContent {
			s.finishPathOnly(spec, out, se)
			continue
		}
		if res == nil {
			if se.cached != nil {
				res = se.cached
			} else {
				r := blobResult{Binary: binary}
				if !binary {
					if spec.inventory {
						r.Lines = countLines(data)
					} else {
						r.BlobCount = spec.matcher.Count(data)
					}
				}
				if err := s.cache.put(ctx, sig, se.e.OID, r, spec.persist); err != nil {
					return err
				}
				res = &r
			}
		}
		if res.Binary || spec.inventory || spec.countOnly || res.Matches == 0 {
			s.finishCached(spec, out, se, *res)
			continue
		}
		if !rangesDone {
			ranges = spec.matcher.Ranges(data)
			rangesDone = true
			lineCount = countLines(data)
		}
		fm := &FileMatch{Path: se.e.Path, BlobOID: se.e.OID, Size: se.e.Size, Language: fileLanguage(spec, se, data), Lines: lineCount, PathMatches: se.pathMatch}
		if spec.paths && !se.pathHit {
			fm.PathMatches = nil
		}
		fm.LineMatches = lineMatches(data, ranges)
		fm.MatchCount = len(ranges)
		if res.Captures != nil {
			if out.total.Captures == nil {
				out.total.Captures = map[string]int{}
			}
			for k, v := range res.Captures {
				out.total.Captures[k] += v
			}
		}
		out.total.Matches += res.Matches
		out.total.Lines += res.Lines
		out.files = append(out.files, fm)
		spec.limit.add(fm.MatchCount)
	}
	return nil
}

// lineMatches groups sorted ranges by line.
func lineMatches(data []byte, ranges []Range) []LineMatch {
	var out []LineMatch
	line, pos := 0, 0
	cur := -1
	for _, r := range ranges {
		line += bytes.Count(data[pos:r.Start], []byte{'\n'})
		pos = r.Start
		if len(out) == 0 || line != out[len(out)-1].LineNumber || cur < 0 {
			ls := r.Start - lastLineLen(data[:r.Start])
			le := lineEnd(data, r.Start)
			preview := data[ls:le]
			if len(preview) > MaxPreviewBytes {
				preview = preview[:MaxPreviewBytes]
			}
			out = append(out, LineMatch{LineNumber: line, Preview: string(preview)})
			cur = ls
		}
		lm := &out[len(out)-1]
		start, end := r.Start-cur, r.End-cur
		if start >= len(lm.Preview) {
			continue
		}
		lm.Ranges = append(lm.Ranges, Range{Start: start, End: min(end, len(lm.Preview))})
	}
	return out
}

// sortFiles orders file matches by path.
func sortFiles(fs []*FileMatch) {
	sort.Slice(fs, func(i, j int) bool { return fs[i].Path < fs[j].Path })
}
