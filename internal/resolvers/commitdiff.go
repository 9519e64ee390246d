package resolvers

import (
	"context"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/vcs"
)

// maxCommitDiffBytes bounds the hunks one GitCommit.diff returns (a commit page shows it
// whole).
const maxCommitDiffBytes = 1 << 20

// Diff resolves GitCommit.diff: the commit's patch, parsed by git log --patch.
func (c *GitCommitResolver) Diff(ctx context.Context) (*CommitDiffResolver, error) {
	m, err := c.repo.r.Repos.Mirror(ctx, c.repo.repo)
	if err != nil {
		return nil, errcode.New("REPOSITORY_UNAVAILABLE", "repository %s cannot be read right now: %v", c.repo.repo.Name, err)
	}
	commits, err := m.Commits(ctx, vcs.LogOptions{Include: []string{c.commit.OID}, MaxCount: 1, Diff: true, MaxDiffBytes: maxCommitDiffBytes})
	if err != nil {
		return nil, err
	}
	if len(commits) == 0 {
		return &CommitDiffResolver{}, nil
	}
	return &CommitDiffResolver{c: commits[0]}, nil
}

// CommitDiffResolver resolves CommitDiff.
type CommitDiffResolver struct{ c *vcs.Commit }

func (d *CommitDiffResolver) Truncated() bool { return d.c != nil && d.c.DiffTruncated }
func (d *CommitDiffResolver) Files() []*FileDiffResolver {
	if d.c == nil {
		return nil
	}
	out := make([]*FileDiffResolver, len(d.c.Files))
	for i := range d.c.Files {
		out[i] = &FileDiffResolver{f: &d.c.Files[i]}
	}
	return out
}

// FileDiffResolver resolves FileDiff.
type FileDiffResolver struct{ f *vcs.FileDiff }

var fileStatusNames = map[vcs.FileStatus]string{
	vcs.FileModified: "MODIFIED", vcs.FileAdded: "ADDED", vcs.FileDeleted: "DELETED", vcs.FileRenamed: "RENAMED", vcs.FileCopied: "COPIED",
}

func (f *FileDiffResolver) OldPath() *string { return nonEmpty(f.f.OldPath) }
func (f *FileDiffResolver) NewPath() *string { return nonEmpty(f.f.NewPath) }
func (f *FileDiffResolver) Status() string {
	if s, ok := fileStatusNames[f.f.Status]; ok {
		return s
	}
	return "MODIFIED"
}
func (f *FileDiffResolver) Binary() bool { return f.f.Binary }
func (f *FileDiffResolver) Hunks() []*DiffHunkResolver {
	out := make([]*DiffHunkResolver, len(f.f.Hunks))
	for i := range f.f.Hunks {
		out[i] = &DiffHunkResolver{h: &f.f.Hunks[i]}
	}
	return out
}

// DiffHunkResolver resolves DiffHunk.
type DiffHunkResolver struct{ h *vcs.Hunk }

func (h *DiffHunkResolver) OldStart() int32 { return int32(h.h.OldStart) }
func (h *DiffHunkResolver) OldLines() int32 { return int32(h.h.OldLines) }
func (h *DiffHunkResolver) NewStart() int32 { return int32(h.h.NewStart) }
func (h *DiffHunkResolver) NewLines() int32 { return int32(h.h.NewLines) }
func (h *DiffHunkResolver) Section() string { return h.h.Section }
func (h *DiffHunkResolver) Body() string    { return string(h.h.Body) }
