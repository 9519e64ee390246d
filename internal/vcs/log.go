package vcs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"
)

// Signature is an author or committer.
type Signature struct {
	Name  string
	Email string
	Date  time.Time
}

// Commit is a parsed commit, with its diff when LogOptions.Diff is set.
type Commit struct {
	OID       string
	Parents   []string
	Author    Signature
	Committer Signature
	// Message is the raw message (subject, blank line, body), as stored.
	Message string
	// Files is the commit's diff against its first parent (none for merges).
	Files []FileDiff
	// DiffTruncated is set when the diff exceeded LogOptions.MaxDiffBytes and
	// later hunks were dropped.
	DiffTruncated bool
}

// Subject is the first line of the message.
func (c *Commit) Subject() string {
	s, _, _ := strings.Cut(c.Message, "\n")
	return s
}

// FileStatus says how a file changed in a diff.
type FileStatus byte

const (
	FileModified FileStatus = 'M'
	FileAdded    FileStatus = 'A'
	FileDeleted  FileStatus = 'D'
	FileRenamed  FileStatus = 'R'
	FileCopied   FileStatus = 'C'
)

// FileDiff is one file's part of a commit's diff.
type FileDiff struct {
	OldPath string // empty when added
	NewPath string // empty when deleted
	OldMode uint32 // 0 when added or not shown (a pure rename)
	NewMode uint32 // 0 when deleted or not shown
	Status  FileStatus
	Binary  bool
	Hunks   []Hunk
}

// Path is the file's path after the change (before it, if deleted).
func (f *FileDiff) Path() string {
	if f.NewPath != "" {
		return f.NewPath
	}
	return f.OldPath
}

// Hunk is one "@@" section of a unified diff.
type Hunk struct {
	OldStart, OldLines int
	NewStart, NewLines int
	// Section is the text after the closing "@@" (often the enclosing function).
	Section string
	// Body is the hunk's lines, each with its ' ', '-', '+' or '\' prefix and
	// terminated by '\n'.
	Body []byte
}

// Lines iterates over the hunk's lines without their trailing newline.
func (h *Hunk) Lines() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		b := h.Body
		for len(b) > 0 {
			i := 0
			for i < len(b) && b[i] != '\n' {
				i++
			}
			if !yield(b[:i]) {
				return
			}
			if i < len(b) {
				i++
			}
			b = b[i:]
		}
	}
}

// DefaultContextLines is git's default number of context lines around changes.
const DefaultContextLines = 3

// LogOptions select commits for Log. Include is required.
type LogOptions struct {
	// Include are revisions whose history is listed, Exclude revisions whose
	// history is left out: {Include: [new1, new2], Exclude: [old]} is
	// "git log new1 new2 ^old". Each must pass CheckRevision.
	Include []string
	Exclude []string
	// Since and Until bound the committer date (inclusive); zero for none.
	Since, Until time.Time
	// AuthorPattern and MessagePattern are extended regular expressions
	// (git log --author / --grep), matched case-insensitively with IgnoreCase.
	AuthorPattern  string
	MessagePattern string
	IgnoreCase     bool
	// Paths limit the log to commits touching these literal paths (a
	// directory matches everything below it).
	Paths []string
	// MaxCount stops after this many commits; 0 for no limit.
	MaxCount    int
	FirstParent bool
	NoMerges    bool
	// Diff parses each commit's patch into Commit.Files.
	Diff bool
	// ContextLines around changes in hunks: 0 means DefaultContextLines,
	// negative means none (git -U0).
	ContextLines int
	// NoRenames turns off rename detection (a rename is a delete and an add).
	NoRenames bool
	// MaxDiffBytes caps the hunk bytes kept per commit; 0 for no cap.
	MaxDiffBytes int
}

const logFormat = "%x00%x01%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x00"

func (opts *LogOptions) args() ([]string, string, error) {
	if len(opts.Include) == 0 {
		return nil, "", invalidf("log needs at least one revision")
	}
	var stdin strings.Builder
	for _, r := range opts.Include {
		if err := CheckRevision(r); err != nil {
			return nil, "", err
		}
		stdin.WriteString(r)
		stdin.WriteByte('\n')
	}
	for _, r := range opts.Exclude {
		if err := CheckRevision(r); err != nil {
			return nil, "", err
		}
		stdin.WriteByte('^')
		stdin.WriteString(r)
		stdin.WriteByte('\n')
	}
	args := []string{"log", "--no-color", "--format=format:" + logFormat}
	if opts.Diff {
		args = append(args, "--patch", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/")
		switch {
		case opts.ContextLines == 0:
			args = append(args, "-U"+strconv.Itoa(DefaultContextLines))
		case opts.ContextLines < 0:
			args = append(args, "-U0")
		default:
			args = append(args, "-U"+strconv.Itoa(opts.ContextLines))
		}
		if opts.NoRenames {
			args = append(args, "--no-renames")
		} else {
			args = append(args, "--find-renames")
		}
	}
	if !opts.Since.IsZero() {
		args = append(args, "--since=@"+strconv.FormatInt(opts.Since.Unix(), 10))
	}
	if !opts.Until.IsZero() {
		args = append(args, "--until=@"+strconv.FormatInt(opts.Until.Unix(), 10))
	}
	if opts.AuthorPattern != "" || opts.MessagePattern != "" {
		args = append(args, "--extended-regexp")
		if opts.IgnoreCase {
			args = append(args, "--regexp-ignore-case")
		}
		if opts.AuthorPattern != "" {
			args = append(args, "--author="+opts.AuthorPattern)
		}
		if opts.MessagePattern != "" {
			args = append(args, "--grep="+opts.MessagePattern)
		}
	}
	if opts.MaxCount > 0 {
		args = append(args, "--max-count="+strconv.Itoa(opts.MaxCount))
	}
	if opts.FirstParent {
		args = append(args, "--first-parent")
	}
	if opts.NoMerges {
		args = append(args, "--no-merges")
	}
	for _, p := range opts.Paths {
		if err := checkPath(p); err != nil {
			return nil, "", err
		}
	}
	args = append(args, "--stdin", "--")
	args = append(args, opts.Paths...)
	return args, stdin.String(), nil
}

func checkPath(p string) error {
	if p == "" || strings.ContainsRune(p, 0) || strings.ContainsRune(p, '\n') {
		return invalidf("invalid path %q", p)
	}
	return nil
}

// Log streams the commits selected by opts, newest first, parsing as it reads
// so a long history is never held in memory. Breaking out of the loop stops
// git. An error (including a *RevisionNotFoundError for an unknown revision)
// is yielded last with a nil commit.
//
//	for c, err := range m.Log(ctx, opts) { if err != nil { ... }; ... }
func (m *Mirror) Log(ctx context.Context, opts LogOptions) iter.Seq2[*Commit, error] {
	return func(yield func(*Commit, error) bool) {
		args, stdin, err := opts.args()
		if err != nil {
			yield(nil, err)
			return
		}
		err = m.c.stream(ctx, &gitCmd{gitDir: m.dir, config: []string{"core.quotePath=false"}, args: args, stdin: strings.NewReader(stdin)},
			func(r *bufio.Reader) error {
				p := logParser{r: r, diff: opts.Diff, maxDiff: opts.MaxDiffBytes}
				for {
					c, err := p.next()
					if err == io.EOF {
						return nil
					}
					if err != nil {
						return err
					}
					if !yield(c, nil) {
						return errStopped
					}
				}
			})
		if errors.Is(err, errStopped) {
			return
		}
		if err != nil {
			if isNotFound(err) {
				err = &RevisionNotFoundError{Repo: m.name, Rev: strings.Join(append(append([]string(nil), opts.Include...), opts.Exclude...), " ")}
			}
			yield(nil, fmt.Errorf("git log in %s: %w", m.name, err))
		}
	}
}

// Commits collects Log into a slice; for bounded queries (MaxCount set).
func (m *Mirror) Commits(ctx context.Context, opts LogOptions) ([]*Commit, error) {
	var commits []*Commit
	for c, err := range m.Log(ctx, opts) {
		if err != nil {
			return nil, err
		}
		commits = append(commits, c)
	}
	return commits, nil
}

// NewestCommitAt returns the newest commit reachable from rev with a committer
// date at or before t, touching one of paths if any are given; nil if there is
// none (t precedes the history).
func (m *Mirror) NewestCommitAt(ctx context.Context, rev string, t time.Time, paths ...string) (*Commit, error) {
	commits, err := m.Commits(ctx, LogOptions{Include: []string{rev}, Until: t, Paths: paths, MaxCount: 1})
	if err != nil || len(commits) == 0 {
		return nil, err
	}
	return commits[0], nil
}

// FirstCommitTime is the earliest committer date among the root commits
// reachable from rev: when the repository's history starts.
func (m *Mirror) FirstCommitTime(ctx context.Context, rev string) (time.Time, error) {
	if err := CheckRevision(rev); err != nil {
		return time.Time{}, err
	}
	out, err := m.c.run(ctx, &gitCmd{gitDir: m.dir, args: []string{"log", "--max-parents=0", "--format=%ct", "--end-of-options", rev, "--"}})
	if err != nil {
		if isNotFound(err) {
			return time.Time{}, &RevisionNotFoundError{Repo: m.name, Rev: rev}
		}
		return time.Time{}, fmt.Errorf("finding first commit of %s: %w", m.name, err)
	}
	var first int64 = -1
	for _, f := range strings.Fields(string(out)) {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("parsing commit time %q: %w", f, err)
		}
		if first < 0 || v < first {
			first = v
		}
	}
	if first < 0 {
		return time.Time{}, &RevisionNotFoundError{Repo: m.name, Rev: rev}
	}
	return time.Unix(first, 0), nil
}

// logParser reads the output of git log with logFormat, optionally followed
// by each commit's patch. A commit starts with NUL, 0x01 (which no diff line
// can start with, as git shows files containing NUL as binary) and its fields
// are NUL-terminated.
type logParser struct {
	r       *bufio.Reader
	diff    bool
	maxDiff int
	line    []byte // scratch for lines longer than the reader's buffer
}

func (p *logParser) next() (*Commit, error) {
	for {
		b, err := p.r.ReadByte()
		if err != nil {
			return nil, err // io.EOF at the end
		}
		if b == '\n' {
			continue
		}
		if b != 0 {
			return nil, fmt.Errorf("parsing git log: unexpected byte %q between commits", b)
		}
		break
	}
	if b, err := p.r.ReadByte(); err != nil || b != 1 {
		return nil, fmt.Errorf("parsing git log: bad commit marker")
	}
	var f [9]string
	for i := range f {
		s, err := p.r.ReadString(0)
		if err != nil {
			return nil, fmt.Errorf("parsing git log: truncated commit header: %w", unexpectedEOF(err))
		}
		f[i] = s[:len(s)-1]
	}
	c := &Commit{OID: f[0], Message: f[8]}
	if f[1] != "" {
		c.Parents = strings.Split(f[1], " ")
	}
	var err error
	c.Author = Signature{Name: f[2], Email: f[3]}
	if c.Author.Date, err = time.Parse(time.RFC3339, f[4]); err != nil {
		return nil, fmt.Errorf("parsing author date of %s: %w", c.OID, err)
	}
	c.Committer = Signature{Name: f[5], Email: f[6]}
	if c.Committer.Date, err = time.Parse(time.RFC3339, f[7]); err != nil {
		return nil, fmt.Errorf("parsing committer date of %s: %w", c.OID, err)
	}
	if p.diff {
		if err := p.parseDiff(c); err != nil {
			return nil, fmt.Errorf("parsing diff of %s: %w", c.OID, err)
		}
	}
	return c, nil
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// readLine returns the next line without its newline; the slice is valid until
// the next read.
func (p *logParser) readLine() ([]byte, error) {
	line, err := p.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		p.line = append(p.line[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = p.r.ReadSlice('\n')
			p.line = append(p.line, line...)
		}
		line = p.line
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(line) == 0 && err == io.EOF {
		return nil, io.EOF
	}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	return line, nil
}

// parseDiff reads diff lines up to the next commit marker or EOF. Hunk line
// counts decide where a hunk ends, so body lines such as "--- x" are never
// taken for headers.
func (p *logParser) parseDiff(c *Commit) error {
	d := diffParser{maxBytes: p.maxDiff}
	for {
		peek, err := p.r.Peek(1)
		if err == io.EOF || err == nil && peek[0] == 0 {
			break
		}
		if err != nil {
			return err
		}
		line, err := p.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		d.line(line)
	}
	c.Files, c.DiffTruncated = d.finish()
	return nil
}

// diffParser turns unified diff lines (as git diff writes them) into FileDiffs.
type diffParser struct {
	files     []FileDiff
	cur       *FileDiff
	oldLeft   int // lines of the current hunk still expected
	newLeft   int
	inHunk    bool
	maxBytes  int
	bytes     int
	truncated bool
}

func (d *diffParser) hunk() *Hunk {
	if d.cur == nil || len(d.cur.Hunks) == 0 {
		return nil
	}
	return &d.cur.Hunks[len(d.cur.Hunks)-1]
}

func (d *diffParser) appendBody(line []byte) {
	h := d.hunk()
	if h == nil || d.truncated {
		return
	}
	if d.maxBytes > 0 && d.bytes+len(line)+1 > d.maxBytes {
		d.truncated = true
		return
	}
	d.bytes += len(line) + 1
	h.Body = append(h.Body, line...)
	h.Body = append(h.Body, '\n')
}

func (d *diffParser) line(line []byte) {
	if d.inHunk {
		if len(line) == 0 {
			// Not produced by git, but tolerated: an empty context line.
			line = []byte{' '}
		}
		switch line[0] {
		case ' ':
			d.oldLeft--
			d.newLeft--
		case '-':
			d.oldLeft--
		case '+':
			d.newLeft--
		case '\\':
		default:
			d.inHunk = false
			d.header(line)
			return
		}
		d.appendBody(line)
		if d.oldLeft <= 0 && d.newLeft <= 0 {
			d.inHunk = false
		}
		return
	}
	if len(line) > 0 && line[0] == '\\' {
		// "\ No newline at end of file" after a hunk's last line.
		d.appendBody(line)
		return
	}
	d.header(line)
}

func (d *diffParser) header(line []byte) {
	s := string(line)
	switch {
	case strings.HasPrefix(s, "diff --git "):
		d.files = append(d.files, FileDiff{Status: FileModified})
		d.cur = &d.files[len(d.files)-1]
		if a, b, ok := parseGitHeaderPaths(s[len("diff --git "):]); ok {
			d.cur.OldPath, d.cur.NewPath = a, b
		}
	case d.cur == nil:
		// Text before the first file header (none in git log output).
	case strings.HasPrefix(s, "@@ "):
		h, ok := parseHunkHeader(s)
		if !ok {
			return
		}
		if !d.truncated {
			d.cur.Hunks = append(d.cur.Hunks, h)
		}
		d.oldLeft, d.newLeft = h.OldLines, h.NewLines
		d.inHunk = d.oldLeft > 0 || d.newLeft > 0
	case strings.HasPrefix(s, "--- "):
		if s[4:] == "/dev/null" {
			d.cur.OldPath, d.cur.Status = "", FileAdded
		} else {
			d.cur.OldPath = diffPath(s[4:], "a/")
		}
	case strings.HasPrefix(s, "+++ "):
		if s[4:] == "/dev/null" {
			d.cur.NewPath, d.cur.Status = "", FileDeleted
		} else {
			d.cur.NewPath = diffPath(s[4:], "b/")
		}
	case strings.HasPrefix(s, "new file mode "):
		d.cur.Status, d.cur.OldPath = FileAdded, ""
		d.cur.NewMode = parseMode(s[len("new file mode "):])
	case strings.HasPrefix(s, "deleted file mode "):
		d.cur.Status, d.cur.NewPath = FileDeleted, ""
		d.cur.OldMode = parseMode(s[len("deleted file mode "):])
	case strings.HasPrefix(s, "old mode "):
		d.cur.OldMode = parseMode(s[len("old mode "):])
	case strings.HasPrefix(s, "new mode "):
		d.cur.NewMode = parseMode(s[len("new mode "):])
	case strings.HasPrefix(s, "rename from "):
		d.cur.Status, d.cur.OldPath = FileRenamed, unquotePath(s[len("rename from "):])
	case strings.HasPrefix(s, "rename to "):
		d.cur.Status, d.cur.NewPath = FileRenamed, unquotePath(s[len("rename to "):])
	case strings.HasPrefix(s, "copy from "):
		d.cur.Status, d.cur.OldPath = FileCopied, unquotePath(s[len("copy from "):])
	case strings.HasPrefix(s, "copy to "):
		d.cur.Status, d.cur.NewPath = FileCopied, unquotePath(s[len("copy to "):])
	case strings.HasPrefix(s, "index "):
		// "index abc..def 100644": the mode when unchanged.
		if _, mode, ok := strings.Cut(s[len("index "):], " "); ok {
			m := parseMode(mode)
			if d.cur.OldMode == 0 && d.cur.Status != FileAdded {
				d.cur.OldMode = m
			}
			if d.cur.NewMode == 0 && d.cur.Status != FileDeleted {
				d.cur.NewMode = m
			}
		}
	case strings.HasPrefix(s, "Binary files ") || s == "GIT binary patch":
		d.cur.Binary = true
	}
}

func (d *diffParser) finish() ([]FileDiff, bool) {
	return d.files, d.truncated
}

func parseMode(s string) uint32 {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 8, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}

// parseHunkHeader parses "@@ -a[,b] +c[,d] @@[ section]".
func parseHunkHeader(s string) (Hunk, bool) {
	rest := s[3:]
	end := strings.Index(rest, " @@")
	if end < 0 {
		return Hunk{}, false
	}
	ranges, section := rest[:end], strings.TrimPrefix(rest[end+3:], " ")
	oldR, newR, ok := strings.Cut(ranges, " ")
	if !ok || !strings.HasPrefix(oldR, "-") || !strings.HasPrefix(newR, "+") {
		return Hunk{}, false
	}
	h := Hunk{Section: section}
	var ok1, ok2 bool
	h.OldStart, h.OldLines, ok1 = parseRange(oldR[1:])
	h.NewStart, h.NewLines, ok2 = parseRange(newR[1:])
	return h, ok1 && ok2
}

func parseRange(s string) (start, lines int, ok bool) {
	a, b, hasCount := strings.Cut(s, ",")
	start, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, false
	}
	lines = 1
	if hasCount {
		if lines, err = strconv.Atoi(b); err != nil {
			return 0, 0, false
		}
	}
	return start, lines, true
}

// diffPath turns the path of a "---"/"+++" line into a repository path: it
// unquotes, drops the trailing tab git adds to names with spaces, and strips
// the a/ or b/ prefix. "/dev/null" gives "".
func diffPath(s, prefix string) string {
	if s == "/dev/null" {
		return ""
	}
	if strings.HasPrefix(s, `"`) {
		s = unquotePath(s)
	} else {
		s = strings.TrimSuffix(s, "\t")
	}
	return strings.TrimPrefix(s, prefix)
}

// parseGitHeaderPaths splits the "a/x b/y" of a "diff --git" line. Unquoted
// names with spaces are ambiguous unless both sides are equal, which covers
// everything but renames (which have their own header lines).
func parseGitHeaderPaths(s string) (a, b string, ok bool) {
	if strings.HasPrefix(s, `"`) {
		first, rest, ok := cutQuoted(s)
		if !ok || !strings.HasPrefix(rest, " ") {
			return "", "", false
		}
		rest = rest[1:]
		if strings.HasPrefix(rest, `"`) {
			rest = unquotePath(rest)
		}
		return strings.TrimPrefix(first, "a/"), strings.TrimPrefix(rest, "b/"), true
	}
	if strings.HasSuffix(s, `"`) {
		if i := strings.LastIndex(s[:len(s)-1], ` "`); i >= 0 {
			return strings.TrimPrefix(s[:i], "a/"), strings.TrimPrefix(unquotePath(s[i+1:]), "b/"), true
		}
		return "", "", false
	}
	// "a/P b/P": both halves have the same length.
	if n := len(s); n >= 5 && (n-1)%2 == 0 {
		half := (n - 1) / 2
		l, r := s[:half], s[half+1:]
		if s[half] == ' ' && strings.HasPrefix(l, "a/") && strings.HasPrefix(r, "b/") && l[2:] == r[2:] {
			return l[2:], r[2:], true
		}
	}
	return "", "", false
}

// unquotePath undoes git's C-style quoting of paths ("a\tb", octal escapes).
// Unquoted input is returned as is.
func unquotePath(s string) string {
	if !strings.HasPrefix(s, `"`) {
		return s
	}
	out, _, ok := cutQuoted(s)
	if !ok {
		return s
	}
	return out
}

// cutQuoted parses a leading C-style quoted string and returns it unquoted
// with the rest of the input.
func cutQuoted(s string) (string, string, bool) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		ch := s[i]
		switch ch {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
			i++
			if i >= len(s) {
				return "", "", false
			}
			switch e := s[i]; e {
			case 'a':
				b.WriteByte('\a')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'v':
				b.WriteByte('\v')
			case '0', '1', '2', '3':
				if i+2 >= len(s) {
					return "", "", false
				}
				v, err := strconv.ParseUint(s[i:i+3], 8, 8)
				if err != nil {
					return "", "", false
				}
				b.WriteByte(byte(v))
				i += 2
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(ch)
		}
	}
	return "", "", false
}
