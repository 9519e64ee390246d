package search

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// Match is one search result: *FileMatch, *RepoMatch or *CommitMatch.
type Match interface {
	// Repository is the repository the match is in.
	Repository() *store.Repo
	// Key is the match's stable identity: the same result found again (by a later run
	// of the same query) has the same key. See each type for what it holds.
	Key() string
	// ResultCount is what the match adds to a search's match count and limit.
	ResultCount() int
	// Select projects the match for select:, or returns nil when it has no such part.
	Select(path query.SelectPath) Match
	match()
}

// FileMatch is a file whose content or path matches, at one commit.
type FileMatch struct {
	Repo *store.Repo
	// Rev is the revision as the query named it ("" for the default branch) and Commit
	// the commit it resolved to.
	Rev    string
	Commit string
	Path   string
	// BlobOID is the file's object id at Commit; "" for a directory
	// (select:file.directory) and for a document the index answered, whose content the
	// search already holds (Content).
	BlobOID  string
	Language string
	Size     int64
	// Lines is the file's line count (0 when the file was not read).
	Lines int
	// LineMatches are the content matches, by line (empty for a path-only match and
	// for select:file).
	LineMatches []LineMatch
	// PathMatches are the matches in Path when the path matched the patterns.
	PathMatches []Range
	// MatchCount is the number of content matches, which LineMatches may show only in
	// part when a limit cut them (LimitHit).
	MatchCount int
	LimitHit   bool

	// Content is the file's content when the index answered (nil when it is to be
	// read by BlobOID): its id would be hashed from it, for every result, only to read
	// it again by that id (a tenth of an interactive search's CPU).
	Content []byte
}

// IsFile reports whether the match is a file, with content to read (by BlobOID or
// Content), rather than a directory.
func (m *FileMatch) IsFile() bool { return m.BlobOID != "" || m.Content != nil }

// LineMatch is one line of a file match.
type LineMatch struct {
	// LineNumber is 0-based, as in Sourcegraph's API.
	LineNumber int
	// Preview is the line's text, without its newline (cut at MaxPreviewBytes).
	Preview string
	// Ranges are the matches in Preview as byte offsets.
	Ranges []Range
}

// MaxPreviewBytes bounds a line preview.
const MaxPreviewBytes = 1000

// RepoMatch is a repository whose name matches (type:repo), or the projection of any
// match with select:repo.
type RepoMatch struct {
	Repo       *store.Repo
	Rev        string
	NameRanges []Range
}

// CommitMatch is a commit whose message matches (type:commit) or whose diff does
// (type:diff).
type CommitMatch struct {
	Repo *store.Repo
	// Commit is the commit without its parsed diff (see Files).
	Commit *vcs.Commit
	// Diff is set for type:diff results.
	Diff bool
	// MessageRanges are the matches in Commit.Message.
	MessageRanges []Range
	// Files are the matching files of a diff match, with their matching hunks.
	Files []DiffFile
	// matches counts highlights, for ResultCount.
	matches int
}

// DiffFile is a file of a diff match.
type DiffFile struct {
	OldPath, NewPath string // empty when added / deleted
	Status           vcs.FileStatus
	Hunks            []DiffHunk
}

// Path is the file's path after the change (before it, if deleted).
func (f *DiffFile) Path() string {
	if f.NewPath != "" {
		return f.NewPath
	}
	return f.OldPath
}

// DiffHunk is a matching hunk.
type DiffHunk struct {
	OldStart, OldLines, NewStart, NewLines int
	Section                                string
	// Lines are the hunk's lines, each with its ' ', '+' or '-' prefix, no newline.
	Lines []string
	// Matches are the matches within Lines, prefix included in the offsets.
	Matches []LineRange
}

// LineRange is a match within a multi-line text: a line index and byte offsets in it.
type LineRange struct {
	Line       int
	Start, End int
}

func (*FileMatch) match()   {}
func (*RepoMatch) match()   {}
func (*CommitMatch) match() {}

func (m *FileMatch) Repository() *store.Repo   { return m.Repo }
func (m *RepoMatch) Repository() *store.Repo   { return m.Repo }
func (m *CommitMatch) Repository() *store.Repo { return m.Repo }

// Key is "file:<repo id>:<path>": the identity of a file across commits (an issue
// monitor tracks a result at the head as the head moves). Line-level identity is
// (Key, LineMatch.LineNumber) or, steadier across edits above it, (Key, Preview).
func (m *FileMatch) Key() string { return fmt.Sprintf("file:%d:%s", m.Repo.ID, m.Path) }

// Key is "repo:<repo id>".
func (m *RepoMatch) Key() string { return fmt.Sprintf("repo:%d", m.Repo.ID) }

// Key is "commit:<repo id>:<oid>" (with ":diff" for diff matches).
func (m *CommitMatch) Key() string {
	k := fmt.Sprintf("commit:%d:%s", m.Repo.ID, m.Commit.OID)
	if m.Diff {
		k += ":diff"
	}
	return k
}

// ResultCount of a file match is its content match count, or 1 for a path-only match.
func (m *FileMatch) ResultCount() int {
	if m.MatchCount == 0 {
		return 1
	}
	return m.MatchCount
}

func (m *RepoMatch) ResultCount() int { return 1 }

// ResultCount of a commit match is its number of highlighted matches (at least 1).
func (m *CommitMatch) ResultCount() int { return max(1, m.matches) }

// Select projects a file match: repo → its repository, file → the file without line
// matches, file.directory → its directory, content → itself.
func (m *FileMatch) Select(p query.SelectPath) Match {
	switch p {
	case "", query.SelectContent:
		if p == query.SelectContent && len(m.LineMatches) == 0 {
			return nil
		}
		return m
	case query.SelectRepo:
		return &RepoMatch{Repo: m.Repo, Rev: m.Rev}
	case query.SelectFile:
		c := *m
		c.LineMatches, c.MatchCount, c.LimitHit = nil, 0, false
		return &c
	case query.SelectFileDirectory:
		dir := ""
		if i := strings.LastIndexByte(m.Path, '/'); i >= 0 {
			dir = m.Path[:i+1]
		}
		return &FileMatch{Repo: m.Repo, Rev: m.Rev, Commit: m.Commit, Path: dir}
	}
	return nil
}

func (m *RepoMatch) Select(p query.SelectPath) Match {
	if p == "" || p == query.SelectRepo {
		return m
	}
	return nil
}

// Select projects a commit match: repo, commit (without the diff), and
// commit.diff.added / removed (only the hunks' added or removed lines that match).
func (m *CommitMatch) Select(p query.SelectPath) Match {
	switch p {
	case "":
		return m
	case query.SelectRepo:
		return &RepoMatch{Repo: m.Repo}
	case query.SelectCommit:
		c := *m
		c.Files, c.Diff, c.matches = nil, false, len(m.MessageRanges)
		return &c
	case query.SelectCommitDiffAdded, query.SelectCommitDiffRemoved:
		if !m.Diff {
			return nil
		}
		return m // the search already kept only the selected side
	}
	return nil
}

// MessagePreview is the commit message with the matches as highlights.
func (m *CommitMatch) MessagePreview() (string, []Highlight) {
	return m.Commit.Message, highlights(m.Commit.Message, m.MessageRanges)
}

// DiffPreview renders the matching hunks as Sourcegraph shows them: for each file a
// header line "old new" (paths), then each hunk's "@@ ... @@" line and its lines; the
// highlights are positions in that text.
func (m *CommitMatch) DiffPreview() (string, []Highlight) {
	var b strings.Builder
	var hs []Highlight
	line := 0
	for _, f := range m.Files {
		oldPath, newPath := f.OldPath, f.NewPath
		if oldPath == "" {
			oldPath = "/dev/null"
		}
		if newPath == "" {
			newPath = "/dev/null"
		}
		b.WriteString(oldPath + " " + newPath + "\n")
		line++
		for _, h := range f.Hunks {
			fmt.Fprintf(&b, "@@ -%d,%d +%d,%d @@", h.OldStart, h.OldLines, h.NewStart, h.NewLines)
			if h.Section != "" {
				b.WriteString(" " + h.Section)
			}
			b.WriteByte('\n')
			line++
			for _, r := range h.Matches {
				text := h.Lines[r.Line]
				hs = append(hs, Highlight{Line: line + r.Line, Character: utf8.RuneCountInString(text[:r.Start]), Length: utf8.RuneCountInString(text[r.Start:r.End])})
			}
			for _, l := range h.Lines {
				b.WriteString(l)
				b.WriteByte('\n')
			}
			line += len(h.Lines)
		}
	}
	return b.String(), hs
}

// Highlight is a match in a multi-line text: 0-based line, and character offset and
// length in runes.
type Highlight struct {
	Line, Character, Length int
}

// highlights converts byte ranges in text to line/character highlights.
func highlights(text string, rs []Range) []Highlight {
	var out []Highlight
	line, lineStart, pos := 0, 0, 0
	for _, r := range rs {
		for pos < r.Start {
			if text[pos] == '\n' {
				line++
				lineStart = pos + 1
			}
			pos++
		}
		out = append(out, Highlight{Line: line, Character: utf8.RuneCountInString(text[lineStart:r.Start]), Length: utf8.RuneCountInString(text[r.Start:r.End])})
	}
	return out
}

// RuneRanges converts a line match's byte ranges to [offset, length] pairs in runes, as
// Sourcegraph's offsetAndLengths are.
func (l *LineMatch) RuneRanges() [][2]int {
	out := make([][2]int, len(l.Ranges))
	for i, r := range l.Ranges {
		out[i] = [2]int{utf8.RuneCountInString(l.Preview[:r.Start]), utf8.RuneCountInString(l.Preview[r.Start:r.End])}
	}
	return out
}

// Skipped counts files a content search did not read, as the reference system reports.
type Skipped struct {
	// Binary files hold a NUL byte in their first 8000 bytes (git's test).
	Binary int
	// Large files exceed Options.MaxFileSize.
	Large int
}

func (s *Skipped) add(o Skipped) {
	s.Binary += o.Binary
	s.Large += o.Large
}

// RepoError is a repository the search could not search, with why.
type RepoError struct {
	Repo *store.Repo
	Err  error
}

// Results are what a search found.
type Results struct {
	// Plan is the query as run (parsed, with any filters the caller added).
	Plan query.Plan
	// Matches are sorted by repository name, then path or commit date (newest first).
	Matches []Match
	// MatchCount sums the matches' ResultCount.
	MatchCount int
	// LimitHit is set when more results exist than the limit let through.
	LimitHit bool
	// Cloning are repositories not yet cloned, Missing ones that cannot be searched
	// (clone failed, revision not found) and TimedOut ones the timeout cut short
	// (their results so far are included).
	Cloning, Missing, TimedOut []*store.Repo
	// Errors say why repositories are Missing or failed.
	Errors []RepoError
	// Partial is set when results may be incomplete for a reason other than the limit:
	// a timeout, a cancelled context, or repositories that could not be searched.
	Partial bool
	// RepoCounts is the match count per repository id.
	RepoCounts map[int64]int
	// Captures are the first capture group's values over all content matches, with
	// their counts (when the patterns have capture groups).
	Captures map[string]int
	Skipped  Skipped
	// Languages are the language statistics of the matched files (or of the matched
	// repositories for type:repo), with Request.Languages.
	Languages []LanguageStat
	// IndexedRepos and UnindexedRepos count the repositories whose files were searched
	// in the index and over their mirrors.
	IndexedRepos, UnindexedRepos int
	Elapsed                      time.Duration
}

// GroupBy says how GroupMatches aggregates results.
type GroupBy string

const (
	GroupByRepo     GroupBy = "repo"
	GroupByLanguage GroupBy = "lang"
	GroupByPath     GroupBy = "path"
	GroupByAuthor   GroupBy = "author"
)

// Group is one aggregation bucket.
type Group struct {
	Value string
	Count int
}

// GroupMatches sums ResultCount by repository name, file language, file path or commit author
// (name <email>), largest first. Matches without the grouped property (a file match
// grouped by author) are left out.
func GroupMatches(matches []Match, by GroupBy) []Group {
	counts := map[string]int{}
	for _, m := range matches {
		var v string
		switch by {
		case GroupByRepo:
			v = m.Repository().Name
		case GroupByLanguage:
			fm, ok := m.(*FileMatch)
			if !ok || fm.Language == "" {
				continue
			}
			v = fm.Language
		case GroupByPath:
			fm, ok := m.(*FileMatch)
			if !ok {
				continue
			}
			v = fm.Path
		case GroupByAuthor:
			cm, ok := m.(*CommitMatch)
			if !ok {
				continue
			}
			v = cm.Commit.Author.Name + " <" + cm.Commit.Author.Email + ">"
		default:
			continue
		}
		counts[v] += m.ResultCount()
	}
	return sortedGroups(counts)
}

func sortedGroups(counts map[string]int) []Group {
	out := make([]Group, 0, len(counts))
	for v, n := range counts {
		out = append(out, Group{Value: v, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Value < out[j].Value
	})
	return out
}
