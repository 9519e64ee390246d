package resolvers

import (
	"context"

	"github.com/lookout/lookout/internal/vcs"
)

// The diffs of campaign plans, changesets and changeset plans by file, and their line
// counts: what the web app's plan preview and changesets table show, parsed here once
// instead of in every client.

// fileDiffsOf parses a stored diff as a commit's diff is shown.
func fileDiffsOf(diff *string) *CommitDiffResolver {
	if diff == nil {
		return nil
	}
	files, truncated := vcs.ParseUnifiedDiff(*diff, maxCommitDiffBytes)
	return &CommitDiffResolver{c: &vcs.Commit{Files: files, DiffTruncated: truncated}}
}

func diffStatOf(diff *string) *diffStatResolver {
	if diff == nil {
		return nil
	}
	return &diffStatResolver{vcs.StatOf(*diff)}
}

type diffStatResolver struct{ s vcs.DiffStat }

func (d *diffStatResolver) Added() int32   { return int32(d.s.Added) }
func (d *diffStatResolver) Deleted() int32 { return int32(d.s.Deleted) }

func (j *CampaignJobResolver) FileDiffs() *CommitDiffResolver { return fileDiffsOf(j.Diff()) }
func (j *CampaignJobResolver) DiffStat() *diffStatResolver    { return diffStatOf(j.Diff()) }

func (c *ChangesetResolver) DiffStat(ctx context.Context) (*diffStatResolver, error) {
	d, err := c.Diff(ctx)
	return diffStatOf(d), err
}

func (c *ChangesetResolver) FileDiffs(ctx context.Context) (*CommitDiffResolver, error) {
	d, err := c.Diff(ctx)
	return fileDiffsOf(d), err
}

func (p *ChangesetPlanResolver) DiffStat() *diffStatResolver {
	d := p.Diff()
	return diffStatOf(&d)
}

func (p *ChangesetPlanResolver) FileDiffs() *CommitDiffResolver {
	d := p.Diff()
	return fileDiffsOf(&d)
}
