package search

import (
	"context"
	"regexp"
	"sort"
	"time"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// commitSpec is the commit or diff search of a Basic query.
type commitSpec struct {
	matcher *Matcher
	// diff searches the added and removed lines of diffs (type:diff); otherwise the
	// message (type:commit).
	diff  bool
	files fileFilter
	// authors etc. are include/exclude pairs.
	authors, notAuthors       []*regexp.Regexp
	committers, notCommitters []*regexp.Regexp
	messages, notMessages     []*regexp.Regexp
	after, before             time.Time
	// added/removed say which diff lines are searched (select:commit.diff.added or
	// .removed narrow it to one side).
	added, removed bool
	limit          *limiter
}

func newCommitSpec(b query.Basic, diff bool) (*commitSpec, error) {
	m, err := NewMatcher(b.Pattern)
	if err != nil {
		return nil, err
	}
	inc, exc := b.Files()
	li, le := b.Languages()
	sp := &commitSpec{matcher: m, diff: diff, files: fileFilter{include: inc, exclude: exc, langs: langFilter{include: li, exclude: le}}, added: true, removed: true}
	sp.authors, sp.notAuthors = b.Authors()
	sp.committers, sp.notCommitters = b.Committers()
	sp.messages, sp.notMessages = b.Messages()
	sp.after, _ = b.After()
	sp.before, _ = b.Before()
	switch b.Select() {
	case query.SelectCommitDiffAdded:
		sp.removed = false
	case query.SelectCommitDiffRemoved:
		sp.added = false
	}
	return sp, nil
}

func allMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if !re.MatchString(s) {
			return false
		}
	}
	return true
}

func noneMatch(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return false
		}
	}
	return true
}

// commitOK applies the author, committer and message filters.
func (sp *commitSpec) commitOK(c *vcs.Commit) bool {
	a := c.Author.Name + " <" + c.Author.Email + ">"
	cm := c.Committer.Name + " <" + c.Committer.Email + ">"
	return allMatch(sp.authors, a) && noneMatch(sp.notAuthors, a) &&
		allMatch(sp.committers, cm) && noneMatch(sp.notCommitters, cm) &&
		allMatch(sp.messages, c.Message) && noneMatch(sp.notMessages, c.Message)
}

// fileOK applies the file: and lang: filters to a diff's file. A language the name
// leaves open passes when any candidate would.
func (sp *commitSpec) fileOK(p string) bool {
	if !sp.files.pathOK(p) {
		return false
	}
	if !sp.files.langs.active() {
		return true
	}
	lang, cands := languageByName(p)
	if lang != "" {
		return sp.files.langs.ok(lang)
	}
	for _, c := range cands {
		if sp.files.langs.ok(c) {
			return true
		}
	}
	return false
}

func (sp *commitSpec) filesActive() bool {
	return len(sp.files.include)+len(sp.files.exclude) > 0 || sp.files.langs.active()
}

// Diff searches of bounded ranges run as two git processes, split at a commit in the
// middle: "new ^old" is exactly "new ^mid" plus "mid ^old" when mid is an ancestor of
// new. Git computes the diffs, so this uses a second core; small ranges and unbounded
// ones (where a limit usually stops the newest-first walk early) stay sequential.
const (
	splitMinCommits = 32
	splitMaxCommits = 2000
)

// searchCommits runs a commit or diff search over the history of include without
// that of exclude (commit ids or revisions), newest first, until the limit.
func searchCommits(ctx context.Context, sp *commitSpec, repo *store.Repo, m *vcs.Mirror, include, exclude []string, workers int) ([]*CommitMatch, error) {
	if sp.diff && workers > 1 && len(include) == 1 {
		if mid := splitPoint(ctx, sp, m, include, exclude); mid != "" {
			var newer, older []*CommitMatch
			var errNewer, errOlder error
			done := make(chan struct{})
			go func() {
				defer close(done)
				older, errOlder = searchRange(ctx, sp, repo, m, []string{mid}, exclude)
			}()
			newer, errNewer = searchRange(ctx, sp, repo, m, include, append(append([]string(nil), exclude...), mid))
			<-done
			out := append(newer, older...)
			if errNewer != nil {
				return out, errNewer
			}
			return out, errOlder
		}
	}
	return searchRange(ctx, sp, repo, m, include, exclude)
}

// splitPoint returns the middle commit of a range worth splitting, or "".
func splitPoint(ctx context.Context, sp *commitSpec, m *vcs.Mirror, include, exclude []string) string {
	var oids []string
	for c, err := range m.Log(ctx, vcs.LogOptions{Include: include, Exclude: exclude, Since: sp.after, Until: sp.before, MaxCount: splitMaxCommits + 1}) {
		if err != nil {
			return ""
		}
		oids = append(oids, c.OID)
	}
	if len(oids) < splitMinCommits || len(oids) > splitMaxCommits {
		return ""
	}
	return oids[len(oids)/2]
}

func searchRange(ctx context.Context, sp *commitSpec, repo *store.Repo, m *vcs.Mirror, include, exclude []string) ([]*CommitMatch, error) {
	opts := vcs.LogOptions{Include: include, Exclude: exclude, Since: sp.after, Until: sp.before, Diff: sp.diff || sp.filesActive()}
	var out []*CommitMatch
	buf := &diffBuffer{}
	for c, err := range m.Log(ctx, opts) {
		if err != nil {
			return out, err
		}
		if !sp.commitOK(c) {
			continue
		}
		var cm *CommitMatch
		if sp.diff {
			cm = sp.matchDiff(c, buf)
		} else {
			cm = sp.matchMessage(c)
		}
		if cm == nil {
			continue
		}
		cm.Repo = repo
		c.Files = nil // the match keeps what it shows
		out = append(out, cm)
		if sp.limit.add(cm.ResultCount()) {
			break
		}
	}
	return out, ctx.Err()
}

func (sp *commitSpec) matchMessage(c *vcs.Commit) *CommitMatch {
	if sp.filesActive() {
		touched := false
		for i := range c.Files {
			if sp.fileOK(c.Files[i].Path()) {
				touched = true
				break
			}
		}
		if !touched {
			return nil
		}
	}
	msg := []byte(c.Message)
	if !sp.matcher.Matches(msg) {
		return nil
	}
	rs := sp.matcher.Ranges(msg)
	return &CommitMatch{Commit: c, MessageRanges: rs, matches: len(rs)}
}

// diffBuffer is reused from commit to commit by one search.
type diffBuffer struct {
	text  []byte
	lines []diffLine
}

// diffLine locates a line of the searched diff text.
type diffLine struct {
	start      int // offset in the text
	file, hunk int
	line       int // index in the hunk's lines
}

// matchDiff searches the added and removed lines of a commit's diff (in the files the
// filters keep): the pattern tree is evaluated on all of them together, and the
// result holds the hunks with a match.
func (sp *commitSpec) matchDiff(c *vcs.Commit, buf *diffBuffer) *CommitMatch {
	if !sp.matcher.Empty() {
		// Most commits do not hold the pattern's required literal anywhere in their
		// hunks: skip them without building the searched text.
		found := false
		for fi := range c.Files {
			f := &c.Files[fi]
			for hi := range f.Hunks {
				if sp.matcher.mayMatch(f.Hunks[hi].Body) && sp.fileOK(f.Path()) {
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		if !found {
			return nil
		}
	}
	text, lines := buf.text[:0], buf.lines[:0]
	defer func() { buf.text, buf.lines = text[:0], lines[:0] }()
	for fi := range c.Files {
		f := &c.Files[fi]
		if !sp.fileOK(f.Path()) {
			continue
		}
		for hi := range f.Hunks {
			li := 0
			for l := range f.Hunks[hi].Lines() {
				if len(l) > 0 && (l[0] == '+' && sp.added || l[0] == '-' && sp.removed) {
					lines = append(lines, diffLine{start: len(text), file: fi, hunk: hi, line: li})
					text = append(append(text, l[1:]...), '\n')
				}
				li++
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	if sp.matcher.Empty() {
		// No pattern (type:diff author:x): every kept hunk.
		return buildDiffMatch(c, lines, nil, func(d diffLine) bool { return true })
	}
	if !sp.matcher.Matches(text) {
		return nil
	}
	rs := sp.matcher.Ranges(text)
	if len(rs) == 0 {
		return nil
	}
	return buildDiffMatch(c, lines, rs, nil)
}

// buildDiffMatch turns matches in the searched text back into hunks and line ranges.
func buildDiffMatch(c *vcs.Commit, lines []diffLine, rs []Range, all func(diffLine) bool) *CommitMatch {
	type hunkKey struct{ file, hunk int }
	matches := map[hunkKey][]LineRange{}
	var order []hunkKey
	add := func(k hunkKey, lr *LineRange) {
		if _, ok := matches[k]; !ok {
			order = append(order, k)
			matches[k] = nil
		}
		if lr != nil {
			matches[k] = append(matches[k], *lr)
		}
	}
	if all != nil {
		for _, d := range lines {
			add(hunkKey{d.file, d.hunk}, nil)
		}
	}
	for _, r := range rs {
		i := sort.Search(len(lines), func(i int) bool { return lines[i].start > r.Start }) - 1
		d := lines[i]
		// +1: the offsets in a hunk line include its prefix.
		add(hunkKey{d.file, d.hunk}, &LineRange{Line: d.line, Start: r.Start - d.start + 1, End: r.End - d.start + 1})
	}
	cm := &CommitMatch{Commit: c, Diff: true, matches: len(rs)}
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].file != order[j].file {
			return order[i].file < order[j].file
		}
		return order[i].hunk < order[j].hunk
	})
	lastFile := -1
	for _, k := range order {
		f := &c.Files[k.file]
		if k.file != lastFile {
			cm.Files = append(cm.Files, DiffFile{OldPath: f.OldPath, NewPath: f.NewPath, Status: f.Status})
			lastFile = k.file
		}
		h := &f.Hunks[k.hunk]
		dh := DiffHunk{OldStart: h.OldStart, OldLines: h.OldLines, NewStart: h.NewStart, NewLines: h.NewLines, Section: h.Section, Matches: matches[k]}
		for l := range h.Lines() {
			dh.Lines = append(dh.Lines, string(l))
		}
		df := &cm.Files[len(cm.Files)-1]
		df.Hunks = append(df.Hunks, dh)
	}
	return cm
}
