package search

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
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
	m *vcs.Mirror
	// open starts an object reader: the mirror's, or one over blobs the index returned.
	open    func(context.Context) (vcs.BlobReader, error)
	cache   *BlobCache
	nreader int

	mu      sync.Mutex
	readers []vcs.BlobReader
	ctx     context.Context   // the readers' context
	langs   map[string]string // languages the content decided, by langKey
}

func newScanner(ctx context.Context, m *vcs.Mirror, cache *BlobCache, readers int) *scanner {
	return &scanner{m: m, open: m.NewBlobReader, cache: cache, nreader: max(1, readers), ctx: ctx}
}

func (s *scanner) getReader() (vcs.BlobReader, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.readers); n > 0 {
		r := s.readers[n-1]
		s.readers = s.readers[:n-1]
		return r, nil
	}
	return s.open(s.ctx)
}

func (s *scanner) putReader(r vcs.BlobReader, broken bool) {
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
func isBinary(data []byte) bool { return vcs.IsBinary(data) }

// scan searches the tree of commit, reading the first files while git lists the rest.
func (s *scanner) scan(ctx context.Context, spec *scanSpec, commit string) (*scanOutput, error) {
	out, _, err := s.scanListing(ctx, spec, commit, false)
	return out, err
}

// scanListing is scan that also returns the tree listing when keep is set.
func (s *scanner) scanListing(ctx context.Context, spec *scanSpec, commit string, keep bool) (*scanOutput, []vcs.TreeEntry, error) {
	var kept [][]vcs.TreeEntry // joined once at the end, rather than grown by appends
	out, err := s.scanParts(ctx, spec, func(yield func([]vcs.TreeEntry) error) error {
		var held []vcs.TreeEntry
		err := s.m.StreamTree(ctx, commit, func(part []vcs.TreeEntry) error {
			if keep {
				kept = append(kept, part)
			}
			if !spec.persist {
				return yield(part)
			}
			// Memoized counts are fetched from Postgres per part: fewer, larger parts.
			held = append(held, part...)
			if len(held) < persistPart {
				return nil
			}
			p := held
			held = nil
			return yield(p)
		})
		if err == nil && len(held) > 0 {
			err = yield(held)
		}
		return err
	})
	var tree []vcs.TreeEntry
	if keep {
		tree = slices.Concat(kept...)
	}
	return out, tree, err
}

// persistPart is the least number of files of a listing scanned at once when counts
// are persisted (each part costs a query for the memoized counts).
const persistPart = 4096

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
	return s.scanParts(ctx, spec, func(yield func([]vcs.TreeEntry) error) error { return yield(tree) })
}

// blobWork is a blob to read, with the entries (paths) that hold it.
type blobWork struct {
	oid     string
	entries []*scanEntry
	first   [1]*scanEntry // entries' storage while the blob has one path (most do)
}

// workQueue hands the blobs to read to the readers in batches, in path order, while
// the listing may still be adding to it.
type workQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	work   []*blobWork
	taken  int            // work[:taken] is handed out
	parts  []*scanOutput  // per batch, in hand-out order
	closed bool           // the listing is complete
	stop   bool           // a reader failed
	cut    bool           // the limit left work unread
	err    error          // the first reader error
	byOID  map[string]int // index in work of a blob, to add paths sharing it
}

const (
	// minBatch is the least a reader takes while the listing goes on: a batch costs a
	// round trip to git.
	minBatch = 64
	// maxBatch bounds a batch: when a limit stops the hand-out, the batches already
	// handed out are read to their end.
	maxBatch = 512
)

// next hands out the next batch and its output, or reports that there is none left.
// Batches shrink towards the end (a quarter of each reader's share of what is left),
// so that the readers finish together.
func (q *workQueue) next(ctx context.Context, limit *limiter, nreader int) ([]*blobWork, *scanOutput, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.stop || ctx.Err() != nil {
			return nil, nil, false
		}
		avail := len(q.work) - q.taken
		if avail > 0 && limit.full() {
			q.cut = true
			return nil, nil, false
		}
		if avail > 0 && (q.closed || avail >= minBatch) {
			n := min(avail, maxBatch)
			if q.closed {
				n = min(avail, max(16, min(maxBatch, avail/(4*nreader))))
			}
			batch := q.work[q.taken : q.taken+n]
			q.taken += n
			part := &scanOutput{langs: langTotals{}}
			q.parts = append(q.parts, part)
			return batch, part, true
		}
		if q.closed {
			return nil, nil, false
		}
		q.cond.Wait()
	}
}

// add queues a blob's entry: with the blob's work if that is not handed out yet.
// The work of a part comes from slab (one allocation per part, not two per blob).
func (q *workQueue) add(se *scanEntry, slab *[]blobWork) {
	if i, ok := q.byOID[se.e.OID]; ok && i >= q.taken {
		q.work[i].entries = append(q.work[i].entries, se)
		return
	}
	q.byOID[se.e.OID] = len(q.work)
	w := &(*slab)[0]
	*slab = (*slab)[1:]
	w.oid, w.first[0] = se.e.OID, se
	w.entries = w.first[:1:1]
	q.work = append(q.work, w)
}

func (q *workQueue) fail(err error) {
	q.mu.Lock()
	q.err = cmpErr(q.err, err)
	q.stop = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// scanParts searches the files of a listing that list yields in parts, in path order.
// Blobs are read in batches handed out in path order, by up to nreader readers at
// once, starting with the first part; each blob is matched on the reader's goroutine
// while git inflates the next ones. A batch runs to its end once started, so when a
// limit stops the hand-out the finished batches are a prefix of the path order.
func (s *scanner) scanParts(ctx context.Context, spec *scanSpec, list func(yield func([]vcs.TreeEntry) error) error) (*scanOutput, error) {
	out := &scanOutput{langs: langTotals{}}
	sig := spec.matcher.Signature()
	if spec.inventory {
		sig = linesSignature
	}
	q := &workQueue{byOID: map[string]int{}}
	q.cond = sync.NewCond(&q.mu)
	var wg sync.WaitGroup
	started := 0
	listErr := list(func(part []vcs.TreeEntry) error {
		if spec.limit.full() {
			// Enough results: the rest of the tree is neither listed nor prepared.
			q.mu.Lock()
			q.cut = true
			q.mu.Unlock()
			return errLimitReached
		}
		toRead, err := s.prepare(ctx, spec, sig, out, part)
		if err != nil {
			return err
		}
		slab := make([]blobWork, len(toRead))
		q.mu.Lock()
		for _, se := range toRead {
			q.add(se, &slab)
		}
		pending, stop := len(q.work)-q.taken, q.stop
		q.mu.Unlock()
		q.cond.Broadcast()
		if stop {
			return errStopped
		}
		// A reader per minBatch blobs waiting, up to nreader: a small scan starts one
		// git process, not nreader.
		for ; started < min(s.nreader, (pending+minBatch-1)/minBatch); started++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.readQueue(ctx, spec, sig, q)
			}()
		}
		return ctx.Err()
	})
	q.mu.Lock()
	q.closed = true
	q.stop = q.stop || listErr != nil // no use reading the rest of a failed listing
	q.mu.Unlock()
	q.cond.Broadcast()
	wg.Wait()

	for _, p := range q.parts {
		out.files = append(out.files, p.files...)
		out.counts = append(out.counts, p.counts...)
		out.addTotals(p)
	}
	out.limitHit = q.cut
	switch {
	case ctx.Err() != nil:
		return out, ctx.Err()
	case q.err != nil:
		return out, q.err
	case listErr != nil && !errors.Is(listErr, errLimitReached):
		return out, listErr
	}
	return out, nil
}

// errStopped ends a listing whose scan has failed (the failure is reported instead).
var errStopped = errors.New("scan stopped")

// errLimitReached ends a listing once the search has its results (not an error).
var errLimitReached = errors.New("result limit reached")

// readQueue reads batches from the queue with one reader until none is left.
func (s *scanner) readQueue(ctx context.Context, spec *scanSpec, sig []byte, q *workQueue) {
	r, err := s.getReader()
	if err != nil {
		q.fail(err)
		return
	}
	broken := false
	defer func() { s.putReader(r, broken) }()
	var names []string
	for {
		batch, part, ok := q.next(ctx, spec.limit, s.nreader)
		if !ok {
			return
		}
		names = names[:0]
		for _, w := range batch {
			names = append(names, w.oid)
		}
		i := 0
		err := r.ReadBatch(names, func(info vcs.ObjectInfo, data []byte) error {
			// A batch may hold hundreds of blobs (seconds of matching): a cancelled
			// search stops within one blob, so that its CPU goes back to others.
			if err := ctx.Err(); err != nil {
				return err
			}
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
			q.fail(err)
			return
		}
	}
}

// prepare decides what to do with the files of a part of a listing: it records those
// answered without reading (by path, or by the cache) in out and returns those whose
// blob must be read: those not in the cache, those whose matches must be shown, and
// those whose language only the content tells.
func (s *scanner) prepare(ctx context.Context, spec *scanSpec, sig []byte, out *scanOutput, tree []vcs.TreeEntry) ([]*scanEntry, error) {
	// A search's matches get their language when found (see fileLanguage); counts
	// and statistics need every file's.
	needLangNames := spec.files.langs.active() || spec.inventory || spec.languages && spec.countOnly

	entries := make([]*scanEntry, 0, len(tree))
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

	toRead := make([]*scanEntry, 0, len(entries))
	var missing []string
	candidates := make([]*scanEntry, 0, len(entries))
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
			toRead = append(toRead, se)
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
			toRead = append(toRead, se)
		case !spec.countOnly && !spec.inventory && se.cached.Matches > 0:
			toRead = append(toRead, se)
		default:
			s.finishCached(spec, out, se, *se.cached)
		}
	}
	return toRead, nil
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
	if sp.memo == nil || len(sp.files.include) == 0 && len(sp.files.exclude) == 0 {
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
	if sp.memo == nil || sp.matcher.literalOnly() {
		// Matching a path against literals is cheaper than remembering the answer.
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
	return FileLanguage(se.e.Path, data)
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
