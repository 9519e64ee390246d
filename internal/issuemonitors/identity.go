package issuemonitors

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
)

// Identities: how a search result becomes an issue key.
const (
	// IdentityDefault derives the identity from the result kind: repository and path for
	// files, repository and commit for commits, the repository for repository results.
	IdentityDefault = "DEFAULT"
	// IdentityRepository makes one issue per repository with results.
	IdentityRepository = "REPOSITORY"
	// IdentityFile makes one issue per file (repository and path), at whatever commit.
	IdentityFile = "FILE"
	// IdentityLine makes one issue per matching line text in a file, so an edit above it
	// does not make it a new issue.
	IdentityLine = "LINE"
	// IdentityCommit makes one issue per commit.
	IdentityCommit = "COMMIT"
)

// Issue kinds: what an issue's key identifies.
const (
	KindFile       = "file"
	KindLine       = "line"
	KindCommit     = "commit"
	KindRepository = "repository"
)

// maxKeyLen bounds a key (it is indexed); longer ones keep a prefix and a hash.
const maxKeyLen = 512

// maxLineNumbers bounds the line numbers an issue's data lists.
const maxLineNumbers = 100

// IssueData is what an issue holds about its result: the JSON object stored as the
// issue's data and sent in events. matchCount, lineCount and size are the numbers a
// VALUE rule may read.
type IssueData struct {
	Kind         string     `json:"kind"`
	Repository   string     `json:"repository"`
	RepositoryID int64      `json:"repositoryID"`
	Path         string     `json:"path,omitempty"`
	Commit       string     `json:"commit,omitempty"`
	Line         string     `json:"line,omitempty"`
	LineNumbers  []int      `json:"lineNumbers,omitempty"` // 1-based
	MatchCount   int        `json:"matchCount"`
	LineCount    int        `json:"lineCount,omitempty"` // lines of the file
	Size         int64      `json:"size,omitempty"`      // bytes of the file
	Language     string     `json:"language,omitempty"`
	Subject      string     `json:"subject,omitempty"`
	Author       string     `json:"author,omitempty"`
	Date         *time.Time `json:"date,omitempty"`
}

// Candidate is a result as an issue: its key (empty when the identity does not apply to
// the result) and data.
type Candidate struct {
	Key  string
	Data IssueData
}

// JSON is the candidate's data as stored.
func (c *Candidate) JSON() []byte {
	b, err := json.Marshal(c.Data)
	if err != nil {
		panic(fmt.Sprintf("encoding issue data: %v", err)) // plain fields always encode
	}
	return b
}

// KeyKind returns the kind of issue a key identifies.
func KeyKind(key string) string {
	prefix, _, _ := strings.Cut(key, ":")
	switch prefix {
	case "file":
		return KindFile
	case "line":
		return KindLine
	case "commit":
		return KindCommit
	case "repo":
		return KindRepository
	}
	return ""
}

func boundKey(k string) string {
	if len(k) <= maxKeyLen {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	cut := maxKeyLen - 34
	for cut > 0 && !isRuneStart(k[cut]) {
		cut--
	}
	return k[:cut] + "#" + hex.EncodeToString(sum[:16])
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

func fileKey(repoID int64, path string) string {
	return boundKey(fmt.Sprintf("file:%d:%s", repoID, path))
}

func lineKey(repoID int64, path, line string) string {
	sum := sha256.Sum256([]byte(line))
	return boundKey(fmt.Sprintf("line:%d:%s:%s", repoID, path, hex.EncodeToString(sum[:8])))
}

func commitKey(repoID int64, oid string) string { return fmt.Sprintf("commit:%d:%s", repoID, oid) }

func repoKey(repoID int64) string { return fmt.Sprintf("repo:%d", repoID) }

// Candidates turns search results into issue candidates for an identity, in result
// order. Results of one repository (REPOSITORY) or one line text of a file (LINE) are
// merged into one candidate, adding their match counts. Other repeated keys are kept,
// for the run to drop as repeats.
func Candidates(matches []search.Match, identity string) []Candidate {
	var out []Candidate
	merged := map[string]int{} // key → index in out, for merged kinds
	merge := func(c Candidate) {
		if i, ok := merged[c.Key]; ok {
			o := &out[i].Data
			o.MatchCount += c.Data.MatchCount
			for _, n := range c.Data.LineNumbers {
				if len(o.LineNumbers) < maxLineNumbers && !slices.Contains(o.LineNumbers, n) {
					o.LineNumbers = append(o.LineNumbers, n)
				}
			}
			slices.Sort(o.LineNumbers)
			return
		}
		merged[c.Key] = len(out)
		out = append(out, c)
	}
	for _, m := range matches {
		if identity == IdentityRepository {
			r := m.Repository()
			merge(Candidate{Key: repoKey(r.ID), Data: IssueData{Kind: KindRepository, Repository: r.Name, RepositoryID: r.ID, MatchCount: m.ResultCount()}})
			continue
		}
		switch m := m.(type) {
		case *search.FileMatch:
			switch identity {
			case IdentityDefault, IdentityFile:
				out = append(out, Candidate{Key: fileKey(m.Repo.ID, m.Path), Data: fileData(m, KindFile)})
			case IdentityLine:
				if len(m.LineMatches) == 0 {
					out = append(out, Candidate{Data: fileData(m, KindLine)}) // no line: no key
					continue
				}
				for _, lm := range m.LineMatches {
					text := strings.TrimSpace(lm.Preview)
					d := fileData(m, KindLine)
					d.Line, d.LineNumbers, d.MatchCount = text, []int{lm.LineNumber + 1}, max(1, len(lm.Ranges))
					merge(Candidate{Key: lineKey(m.Repo.ID, m.Path, text), Data: d})
				}
			default:
				out = append(out, Candidate{Data: fileData(m, KindFile)})
			}
		case *search.CommitMatch:
			d := IssueData{Kind: KindCommit, Repository: m.Repo.Name, RepositoryID: m.Repo.ID, MatchCount: m.ResultCount()}
			if c := m.Commit; c != nil {
				date := c.Committer.Date.UTC()
				d.Commit, d.Subject, d.Author, d.Date = c.OID, c.Subject(), c.Author.Name+" <"+c.Author.Email+">", &date
			}
			key := ""
			if (identity == IdentityDefault || identity == IdentityCommit) && d.Commit != "" {
				key = commitKey(m.Repo.ID, d.Commit)
			}
			out = append(out, Candidate{Key: key, Data: d})
		case *search.RepoMatch:
			key := ""
			if identity == IdentityDefault {
				key = repoKey(m.Repo.ID)
			}
			out = append(out, Candidate{Key: key, Data: IssueData{Kind: KindRepository, Repository: m.Repo.Name, RepositoryID: m.Repo.ID, MatchCount: 1}})
		}
	}
	return out
}

func fileData(m *search.FileMatch, kind string) IssueData {
	d := IssueData{Kind: kind, Repository: m.Repo.Name, RepositoryID: m.Repo.ID, Path: m.Path, Commit: m.Commit,
		MatchCount: m.ResultCount(), LineCount: m.Lines, Size: m.Size, Language: m.Language}
	for _, lm := range m.LineMatches {
		if len(d.LineNumbers) == maxLineNumbers {
			break
		}
		d.LineNumbers = append(d.LineNumbers, lm.LineNumber+1)
	}
	return d
}

// resultKinds reports which kinds of results a plan can produce.
func resultKinds(plan query.Plan) (files, lines, commits, repos bool) {
	for _, b := range plan {
		if b.Select() == query.SelectRepo {
			repos = true
			continue
		}
		for _, t := range b.Types() {
			switch t {
			case query.TypeFile:
				files = true
				lines = lines || (b.Select() != query.SelectFile && b.Select() != query.SelectFileDirectory)
			case query.TypePath:
				files = true
			case query.TypeCommit, query.TypeDiff:
				commits = true
			case query.TypeRepo:
				repos = true
			}
		}
	}
	return files, lines, commits, repos
}

// checkIdentity reports an identity that no result of the plan can have.
func checkIdentity(plan query.Plan, identity string) error {
	files, lines, commits, _ := resultKinds(plan)
	switch identity {
	case IdentityDefault, IdentityRepository:
		return nil
	case IdentityFile:
		if !files {
			return fmt.Errorf("the FILE identity needs a query that finds files (type:file or type:path, without select:repo)")
		}
	case IdentityLine:
		if !lines {
			return fmt.Errorf("the LINE identity needs a query that finds lines of content (type:file, without select:repo or select:file)")
		}
	case IdentityCommit:
		if !commits {
			return fmt.Errorf("the COMMIT identity needs a commit or diff search (type:commit or type:diff)")
		}
	default:
		return fmt.Errorf("unknown identity %q: want DEFAULT, REPOSITORY, FILE, LINE or COMMIT", identity)
	}
	return nil
}
