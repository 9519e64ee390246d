package resolvers

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/vcs"
)

// Files of a commit (GitCommit.blob), for the web app's file page: the file read whole
// when it is small enough to show, and sized and tested for binary content otherwise.

// maxBlobContent is the largest file GitCommit.blob serves the content of: the size
// above which search does not read files either (1 MiB).
const maxBlobContent = search.DefaultMaxFileSize

// FileTooLarge is the code of GitBlob.content for a file over maxBlobContent.
const FileTooLarge = "FILE_TOO_LARGE"

// Blob is the file at path in the commit's tree; nil when there is none.
func (c *GitCommitResolver) Blob(ctx context.Context, args struct{ Path string }) (*commitBlobResolver, error) {
	p := strings.Trim(args.Path, "/")
	if p == "" || path.Clean(p) != p || strings.HasPrefix(p, "../") || p == ".." {
		return nil, errcode.New(errcode.BadInput, "invalid file path %q", args.Path)
	}
	rr := c.repo
	if rr.r.Repos == nil {
		return nil, errcode.New(errcode.Internal, "git access is not configured")
	}
	m, err := rr.r.Repos.Mirror(ctx, rr.repo)
	if err != nil {
		return nil, errcode.New("REPOSITORY_UNAVAILABLE", "repository %s cannot be read right now: %s", rr.repo.Name, shown(ctx, err.Error()))
	}
	f, err := m.ReadFile(ctx, c.commit.OID, p, maxBlobContent)
	switch {
	case errors.Is(err, vcs.ErrNotAFile):
		return nil, nil
	case errors.Is(err, vcs.ErrInvalidArgument):
		return nil, errcode.Wrap(errcode.BadInput, err)
	case err != nil:
		return nil, fmt.Errorf("reading %s at %s in %s: %w", p, abbrev(c.commit.OID), rr.repo.Name, err)
	}
	return &commitBlobResolver{commit: c, path: p, f: f}, nil
}

// commitBlobResolver resolves GitBlob for GitCommit.blob (gitBlobResolver is a search
// result's file).
type commitBlobResolver struct {
	commit *GitCommitResolver
	path   string
	f      *vcs.File
}

func (b *commitBlobResolver) Path() string               { return b.path }
func (b *commitBlobResolver) Name() string               { return path.Base(b.path) }
func (b *commitBlobResolver) Commit() *GitCommitResolver { return b.commit }
func (b *commitBlobResolver) ByteSize() int32            { return clampInt32(b.f.Size) }
func (b *commitBlobResolver) Binary() bool               { return b.f.Binary }
func (b *commitBlobResolver) URL() string {
	return b.commit.repo.URL() + "@" + b.commit.commit.OID + "/-/blob/" + b.path
}

// Language is decided by the name, and by the content where the name is ambiguous.
func (b *commitBlobResolver) Language() *string {
	if lang := search.FileLanguage(b.path, b.f.Content); lang != "" {
		return &lang
	}
	return nil
}

// Content is the file; a file over maxBlobContent is an error that says so.
func (b *commitBlobResolver) Content() (string, error) {
	if b.f.Content == nil && b.f.Size > 0 {
		return "", errcode.New(FileTooLarge, "%s is %s, larger than the %s a file may have to be shown; search in it instead",
			b.path, formatMiB(b.f.Size), formatMiB(maxBlobContent))
	}
	return string(b.f.Content), nil
}

// ByteSize of a search result's file.
func (g *gitBlobResolver) ByteSize() int32 { return clampInt32(g.f.m.Size) }

// Binary of a search result's file: one with content matches was searched as text; a
// path match is read (with the other files of its repository's results) to tell.
func (g *gitBlobResolver) Binary(ctx context.Context) (bool, error) {
	if len(g.f.m.LineMatches) > 0 || !g.f.m.IsFile() {
		return false, nil
	}
	data, err := g.f.results.content(ctx, g.f)
	if err != nil {
		return false, err
	}
	return vcs.IsBinary(data), nil
}

func clampInt32(n int64) int32 {
	if n > 1<<31-1 {
		return 1<<31 - 1
	}
	return int32(n)
}

// formatMiB is a size for a message: "3.2 MiB", "512 KiB".
func formatMiB(n int64) string {
	switch {
	case n < 1<<20:
		return fmt.Sprintf("%d KiB", (n+1023)/1024)
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
