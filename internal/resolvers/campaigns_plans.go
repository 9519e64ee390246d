package resolvers

import (
	"context"
	"errors"
	"strings"
	"sync"

	graphql "github.com/graph-gophers/graphql-go"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/store"
)

// checkCanReadPlan: a plan is its creator's and site admins'.
func (r *Resolver) checkCanReadPlan(ctx context.Context, p *store.CampaignPlan) error {
	a := auth.FromContext(ctx)
	if !a.IsAuthenticated() {
		return auth.ErrNotAuthenticated
	}
	if a.HasAllAccess() || (p.UserID != 0 && a.IsUser(p.UserID)) {
		return nil
	}
	return auth.ErrForbidden
}

// planByID loads a plan the viewer may read; one it may not is not found.
func (r *Resolver) planByID(ctx context.Context, id graphql.ID) (*store.CampaignPlan, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	n, err := unmarshalID(id, campaignPlanKind)
	if err != nil {
		return nil, err
	}
	return r.planByNumber(ctx, n)
}

func (r *Resolver) planByNumber(ctx context.Context, n int64) (*store.CampaignPlan, error) {
	p, err := r.Store.Campaigns().GetPlan(ctx, n)
	if err != nil {
		return nil, storeErr(err)
	}
	if r.checkCanReadPlan(ctx, p) != nil {
		return nil, storeErr(store.ErrNotFound)
	}
	return p, nil
}

// CampaignPlanResolver resolves CampaignPlan.
type CampaignPlanResolver struct {
	r *Resolver
	p *store.CampaignPlan

	// The status is read once, and always before the jobs. Fields resolve in parallel,
	// so with two independent reads a job could finish between them: the status would
	// count it as done while its row in the same response still said PROCESSING (a
	// client that polls until the plan has finished would then see an unfinished job).
	// A job's finished states are final, so jobs read after the status are at least as
	// far along as the status counted them.
	statusOnce sync.Once
	status     campaigns.Status
	statusErr  error
}

func (p *CampaignPlanResolver) loadStatus(ctx context.Context) (campaigns.Status, error) {
	p.statusOnce.Do(func() {
		p.status, p.statusErr = p.r.CampaignService.PlanStatus(ctx, p.p)
	})
	return p.status, p.statusErr
}

func (p *CampaignPlanResolver) ID() graphql.ID        { return marshalID(campaignPlanKind, p.p.ID) }
func (p *CampaignPlanResolver) CreatedAt() DateTime   { return newDateTime(p.p.CreatedAt) }
func (p *CampaignPlanResolver) CanceledAt() *DateTime { return newDateTimePtr(p.p.CanceledAt) }

func (p *CampaignPlanResolver) Spec() *string {
	if p.p.Source != store.PlanSourceSpec {
		return nil
	}
	return &p.p.Spec
}

func (p *CampaignPlanResolver) Status(ctx context.Context) (*statusResolver, error) {
	st, err := p.loadStatus(ctx)
	if err != nil {
		return nil, err
	}
	return &statusResolver{st}, nil
}

func (p *CampaignPlanResolver) Jobs(ctx context.Context, args ConnectionArgs) (*connection[*CampaignJobResolver], error) {
	page, err := args.page()
	if err != nil {
		return nil, err
	}
	if _, err := p.loadStatus(ctx); err != nil {
		return nil, err
	}
	v := auth.FromContext(ctx).Viewer()
	opts := store.CampaignJobListOptions{PlanID: p.p.ID, Viewer: &v, Page: page}
	jobs, err := p.r.Store.Campaigns().ListJobs(ctx, opts)
	if err != nil {
		return nil, err
	}
	return newConnection(jobs, page, func(j *store.CampaignJob) int64 { return j.ID },
		func(j *store.CampaignJob) *CampaignJobResolver { return &CampaignJobResolver{r: p.r, j: j} },
		func(ctx context.Context) (int, error) { return p.r.Store.Campaigns().CountJobs(ctx, opts) }), nil
}

func (p *CampaignPlanResolver) Campaign(ctx context.Context) (*CampaignResolver, error) {
	c, err := p.r.Store.Campaigns().CampaignByPlan(ctx, p.p.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return p.r.newCampaign(c), nil
}

// CampaignJobResolver resolves CampaignJob.
type CampaignJobResolver struct {
	r *Resolver
	j *store.CampaignJob
}

func (j *CampaignJobResolver) ID() graphql.ID        { return marshalID(campaignJobKind, j.j.ID) }
func (j *CampaignJobResolver) BaseRef() string       { return j.j.BaseRef }
func (j *CampaignJobResolver) BaseRevision() *string { return nonEmpty(j.j.BaseRevision) }
func (j *CampaignJobResolver) Description() string   { return j.j.Description }
func (j *CampaignJobResolver) State() string         { return strings.ToUpper(j.j.State) }
func (j *CampaignJobResolver) StartedAt() *DateTime  { return newDateTimePtr(j.j.StartedAt) }
func (j *CampaignJobResolver) FinishedAt() *DateTime {
	if j.j.State == "processing" || j.j.State == "queued" {
		return nil
	}
	return newDateTimePtr(j.j.FinishedAt)
}

func (j *CampaignJobResolver) Diff() *string {
	if j.j.Diff == nil || j.j.State == "failed" {
		return nil
	}
	return j.j.Diff
}

func (j *CampaignJobResolver) Error(ctx context.Context) *string {
	if j.j.State != "failed" && j.j.State != "errored" {
		return nil
	}
	return shownNonEmpty(ctx, j.j.FailureMessage)
}

func (j *CampaignJobResolver) Plan(ctx context.Context) (*CampaignPlanResolver, error) {
	p, err := j.r.Store.Campaigns().GetPlan(ctx, j.j.PlanID)
	if err != nil {
		return nil, err
	}
	return &CampaignPlanResolver{r: j.r, p: p}, nil
}

func (j *CampaignJobResolver) Repository(ctx context.Context) (*RepositoryResolver, error) {
	return j.r.repositoryByID(ctx, j.j.RepoID)
}

func (j *CampaignJobResolver) Log(ctx context.Context) ([]*logEntryResolver, error) {
	entries, err := j.r.Store.Campaigns().JobLogs(ctx, j.j.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*logEntryResolver, len(entries))
	for i := range entries {
		out[i] = &logEntryResolver{entries[i]}
	}
	return out, nil
}

type logEntryResolver struct{ e store.ExecutionLogEntry }

func (l *logEntryResolver) Key() string         { return l.e.Key }
func (l *logEntryResolver) Command() []string   { return append([]string{}, l.e.Command...) }
func (l *logEntryResolver) StartTime() DateTime { return newDateTime(l.e.StartTime) }
func (l *logEntryResolver) Out() string         { return l.e.Out }
func (l *logEntryResolver) ExitCode() *int32 {
	if l.e.ExitCode == nil {
		return nil
	}
	v := int32(*l.e.ExitCode)
	return &v
}
func (l *logEntryResolver) DurationMilliseconds() *int32 {
	if l.e.DurationMs == nil {
		return nil
	}
	v := int32(*l.e.DurationMs)
	return &v
}

// jobNode loads a job for node(id:): its plan must be readable and its repository
// visible.
func (r *Resolver) jobNode(ctx context.Context, id int64) (*CampaignJobResolver, error) {
	j, err := r.Store.Campaigns().GetJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := r.planByNumber(ctx, j.PlanID); err != nil {
		return nil, err
	}
	if _, err := r.Store.Repos().GetByID(ctx, auth.FromContext(ctx).Viewer(), j.RepoID); err != nil {
		return nil, err
	}
	return &CampaignJobResolver{r: r, j: j}, nil
}
