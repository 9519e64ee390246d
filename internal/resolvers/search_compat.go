package resolvers

import (
	"context"
	"sync"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/search"
)

// The parts of search results that Sourcegraph's clients (its web app, the src CLI) ask
// for beyond the matches themselves: the alert, file contents, and commit results as
// Markdown.

// Alert is computed when asked for: it may list the repositories the viewer sees.
func (s *SearchResultsResolver) Alert(ctx context.Context) (*searchAlert, error) {
	s.alertOnce.Do(func() { s.alert, s.alertErr = s.r.Deps.Search.Alert(ctx, s.req, s.res) })
	if s.alert == nil || s.alertErr != nil {
		return nil, s.alertErr
	}
	return &searchAlert{s.alert}, nil
}

type searchAlert struct{ a *search.Alert }

func (a *searchAlert) Title() string { return a.a.Title }
func (a *searchAlert) Description() *string {
	if a.a.Description == "" {
		return nil
	}
	return &a.a.Description
}
func (a *searchAlert) ProposedQueries() *[]*proposedQuery {
	out := make([]*proposedQuery, len(a.a.ProposedQueries))
	for i := range a.a.ProposedQueries {
		out[i] = &proposedQuery{a.a.ProposedQueries[i]}
	}
	return &out
}

type proposedQuery struct{ q search.ProposedQuery }

func (q *proposedQuery) Description() *string { return &q.q.Description }
func (q *proposedQuery) Query() string        { return q.q.Query }

// blobBatch reads the files of one repository's results in one batch, the first time
// any of them is asked for.
type blobBatch struct {
	once sync.Once
	data map[string][]byte
	err  error
}

// content returns a file of the results; every file of its repository is read with it.
func (s *SearchResultsResolver) content(ctx context.Context, f *fileMatchResolver) ([]byte, error) {
	if data := f.m.Content; data != nil {
		return data, nil
	}
	repoID := f.m.Repo.ID
	s.mu.Lock()
	if s.contents == nil {
		s.contents = map[int64]*blobBatch{}
	}
	b := s.contents[repoID]
	if b == nil {
		b = &blobBatch{}
		s.contents[repoID] = b
	}
	s.mu.Unlock()
	b.once.Do(func() {
		var oids []string
		for _, m := range s.res.Matches {
			if fm, ok := m.(*search.FileMatch); ok && fm.Repo.ID == repoID && fm.BlobOID != "" {
				oids = append(oids, fm.BlobOID)
			}
		}
		b.data, b.err = s.r.Deps.Search.ReadBlobs(ctx, f.m.Repo, oids)
	})
	if b.err != nil {
		return nil, b.err
	}
	data, ok := b.data[f.m.BlobOID]
	if !ok {
		return nil, errcode.New(errcode.NotFound, "%s is not in the mirror of %s any longer", f.m.Path, f.m.Repo.Name)
	}
	return data, nil
}

// Content is the file at the commit; a directory (select:file.directory) has none.
func (g *gitBlobResolver) Content(ctx context.Context) (string, error) {
	if !g.f.m.IsFile() {
		return "", nil
	}
	data, err := g.f.results.content(ctx, g.f)
	return string(data), err
}

// Label is "repository › author: subject", with links to the repository and the commit.
func (c *commitSearchResultResolver) Label() *markdown {
	commit := c.Commit()
	return new(markdown).link(c.repo.repo.Name, c.repo.URL()).plain(" › "+c.m.Commit.Author.Name+": ").link(commit.Subject(), commit.URL())
}

// Detail is the commit's short ID and date, linked to the commit.
func (c *commitSearchResultResolver) Detail() *markdown {
	commit := c.Commit()
	return new(markdown).link(commit.AbbreviatedOID(), commit.URL()).plain(" " + c.m.Commit.Author.Date.UTC().Format("2006-01-02"))
}

// Matches is the message (type:commit) or the diff (type:diff) as one fenced block; the
// highlights shift one line down for the opening fence.
func (c *commitSearchResultResolver) Matches() []*searchResultMatch {
	lang, preview := "COMMIT_EDITMSG", c.MessagePreview()
	if c.m.Diff {
		lang, preview = "diff", c.DiffPreview()
	}
	hs := make([]search.Highlight, len(preview.hs))
	for i, h := range preview.hs {
		h.Line++
		hs[i] = h
	}
	return []*searchResultMatch{{url: c.URL(), body: new(markdown).block(lang, preview.value), hs: hs}}
}

type searchResultMatch struct {
	url  string
	body *markdown
	hs   []search.Highlight
}

func (m *searchResultMatch) URL() string     { return m.url }
func (m *searchResultMatch) Body() *markdown { return m.body }
func (m *searchResultMatch) Highlights() []*highlight {
	return (&highlightedString{hs: m.hs}).Highlights()
}
