package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// Campaign plan sources.
const (
	PlanSourcePatches = "patches"
	PlanSourceSpec    = "spec"
)

// CampaignPlan is a row of campaign_plans: a set of per-repository diffs, computed by its
// jobs.
type CampaignPlan struct {
	ID         int64
	UserID     int64 // 0 when the creator was deleted
	Source     string
	Spec       string
	CanceledAt *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// NewCampaignJob is one repository of a plan being created.
type NewCampaignJob struct {
	RepoID       int64
	BaseRef      string
	BaseRevision string
	// Diff is the uploaded patch; nil for a spec job (the steps produce it).
	Diff        *string
	Description string
}

// CampaignJob is a row of campaign_jobs, the queue that computes a plan's diffs.
type CampaignJob struct {
	ID             int64
	State          string
	FailureMessage string
	QueuedAt       time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	NumFailures    int
	PlanID         int64
	RepoID         int64
	BaseRef        string
	BaseRevision   string
	// Diff is nil until computed, "" when the steps changed nothing.
	Diff        *string
	Description string
}

// RecordID makes a CampaignJob a workerutil record.
func (j *CampaignJob) RecordID() int64 { return j.ID }

// HasDiff reports whether the job finished with a change to publish.
func (j *CampaignJob) HasDiff() bool {
	return j.State == "completed" && j.Diff != nil && *j.Diff != ""
}

// CampaignJobColumns are the columns ScanCampaignJob reads, for the queue and for lists.
var CampaignJobColumns = []string{"campaign_jobs.id", "campaign_jobs.state", "coalesce(campaign_jobs.failure_message, '')", "campaign_jobs.queued_at",
	"campaign_jobs.started_at", "campaign_jobs.finished_at", "campaign_jobs.num_failures", "campaign_jobs.plan_id", "campaign_jobs.repo_id",
	"campaign_jobs.base_ref", "campaign_jobs.base_revision", "campaign_jobs.diff", "campaign_jobs.description"}

var campaignJobColumns = columns(CampaignJobColumns)

// ScanCampaignJob reads a row of CampaignJobColumns.
func ScanCampaignJob(row pgx.Row) (*CampaignJob, error) {
	var j CampaignJob
	err := row.Scan(&j.ID, &j.State, &j.FailureMessage, &j.QueuedAt, &j.StartedAt, &j.FinishedAt, &j.NumFailures, &j.PlanID, &j.RepoID,
		&j.BaseRef, &j.BaseRevision, &j.Diff, &j.Description)
	return &j, err
}

// CampaignStore reads and writes campaign plans, their jobs, campaigns, changesets, their
// events and code host credentials.
type CampaignStore struct{ s *Store }

func (s *Store) Campaigns() *CampaignStore { return &CampaignStore{s} }

const planColumns = "id, coalesce(user_id, 0), source, spec, canceled_at, created_at, updated_at"

func scanPlan(row pgx.Row) (*CampaignPlan, error) {
	var p CampaignPlan
	err := row.Scan(&p.ID, &p.UserID, &p.Source, &p.Spec, &p.CanceledAt, &p.CreatedAt, &p.UpdatedAt)
	return &p, err
}

// CreatePlan stores a plan and queues its jobs, one per repository.
func (cs *CampaignStore) CreatePlan(ctx context.Context, userID int64, source, spec string, jobs []NewCampaignJob) (*CampaignPlan, error) {
	var plan *CampaignPlan
	err := cs.s.Transact(ctx, func(tx *Store) error {
		var err error
		plan, err = scanPlan(tx.queryRow(ctx, sqlf.Sprintf("INSERT INTO campaign_plans (user_id, source, spec) VALUES (nullif(%s, 0), %s, %s) RETURNING "+planColumns, userID, source, spec)))
		if err != nil {
			return fmt.Errorf("inserting campaign plan: %w", err)
		}
		if len(jobs) == 0 {
			return nil
		}
		n := len(jobs)
		repoIDs, refs, revs, descs := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
		diffs := make([]*string, n)
		for i, j := range jobs {
			repoIDs[i], refs[i], revs[i], descs[i], diffs[i] = j.RepoID, j.BaseRef, j.BaseRevision, j.Description, j.Diff
		}
		_, err = tx.exec(ctx, sqlf.Sprintf(`INSERT INTO campaign_jobs (plan_id, repo_id, base_ref, base_revision, diff, description)
SELECT %s, * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])`, plan.ID, repoIDs, refs, revs, diffs, descs))
		if err != nil {
			return fmt.Errorf("queueing campaign jobs: %w", err)
		}
		return nil
	})
	return plan, err
}

// GetPlan returns a plan.
func (cs *CampaignStore) GetPlan(ctx context.Context, id int64) (*CampaignPlan, error) {
	p, err := scanPlan(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+planColumns+" FROM campaign_plans WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("campaign plan %d", id)
	}
	return p, err
}

// CancelPlan marks a plan canceled: its waiting jobs are canceled at once and running
// ones are asked to stop (their workers see the cancel flag at the next heartbeat).
func (cs *CampaignStore) CancelPlan(ctx context.Context, id int64) error {
	return cs.s.Transact(ctx, func(tx *Store) error {
		tag, err := tx.exec(ctx, sqlf.Sprintf("UPDATE campaign_plans SET canceled_at = coalesce(canceled_at, now()), updated_at = now() WHERE id = %s", id))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("campaign plan %d", id)
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf("UPDATE campaign_jobs SET state = 'canceled', finished_at = now() WHERE plan_id = %s AND state IN ('queued', 'errored')", id)); err != nil {
			return err
		}
		_, err = tx.exec(ctx, sqlf.Sprintf("UPDATE campaign_jobs SET cancel = true WHERE plan_id = %s AND state = 'processing'", id))
		return err
	})
}

// PlanStatus sums up a plan's jobs.
type PlanStatus struct {
	Completed int // finished: with or without a diff, failed or canceled
	Pending   int // queued, running or waiting for a retry
	Failed    int
	Canceled  int
	// Errors are the failed jobs' messages, each prefixed with its repository's name, in
	// repository name order.
	Errors []string
}

// PlanStatus counts a plan's jobs by state and collects their errors.
func (cs *CampaignStore) PlanStatus(ctx context.Context, planID int64) (PlanStatus, error) {
	var st PlanStatus
	rows, err := cs.s.query(ctx, sqlf.Sprintf(`SELECT j.state, r.name, coalesce(j.failure_message, '') FROM campaign_jobs j JOIN repo r ON r.id = j.repo_id
WHERE j.plan_id = %s ORDER BY r.name`, planID))
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var state, name, msg string
		if err := rows.Scan(&state, &name, &msg); err != nil {
			return st, err
		}
		switch state {
		case "completed":
			st.Completed++
		case "failed":
			st.Completed++
			st.Failed++
			st.Errors = append(st.Errors, name+": "+msg)
		case "canceled":
			st.Completed++
			st.Canceled++
		default:
			st.Pending++
		}
	}
	return st, rows.Err()
}

// CampaignJobListOptions filter a plan's jobs.
type CampaignJobListOptions struct {
	PlanID int64
	// OnlyWithDiff keeps completed jobs with a non-empty diff.
	OnlyWithDiff bool
	// UnpublishedIn keeps the jobs with a diff whose changeset in this campaign is not on
	// its code host yet.
	UnpublishedIn int64
	// Viewer, when set, keeps the jobs in repositories it may see.
	Viewer *Viewer
	Page   Page
}

func (o CampaignJobListOptions) where() *sqlf.Query {
	conds := []*sqlf.Query{sqlf.Sprintf("campaign_jobs.plan_id = %s", o.PlanID)}
	if o.Viewer != nil {
		conds = append(conds, sqlf.Sprintf("EXISTS (SELECT 1 FROM repo r WHERE r.id = campaign_jobs.repo_id AND r.deleted_at IS NULL AND %s)", VisibleRepoCond(*o.Viewer, "r")))
	}
	if o.OnlyWithDiff || o.UnpublishedIn != 0 {
		conds = append(conds, sqlf.Sprintf("campaign_jobs.state = 'completed' AND coalesce(campaign_jobs.diff, '') <> ''"))
	}
	if o.UnpublishedIn != 0 {
		conds = append(conds, sqlf.Sprintf(`NOT EXISTS (SELECT 1 FROM changesets c WHERE c.campaign_job_id = campaign_jobs.id AND c.owned_by_campaign_id = %s
  AND c.external_id IS NOT NULL)`, o.UnpublishedIn))
	}
	return sqlf.Join(conds, " AND ")
}

// ListJobs returns a plan's jobs in id order.
func (cs *CampaignStore) ListJobs(ctx context.Context, opts CampaignJobListOptions) ([]*CampaignJob, error) {
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT "+campaignJobColumns+" FROM campaign_jobs WHERE %s AND campaign_jobs.id > %s ORDER BY campaign_jobs.id %s",
		opts.where(), opts.Page.After, opts.Page.limitSQL()), ScanCampaignJob)
}

// CountJobs counts a plan's jobs (ignoring the page).
func (cs *CampaignStore) CountJobs(ctx context.Context, opts CampaignJobListOptions) (int, error) {
	return cs.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM campaign_jobs WHERE %s", opts.where()))
}

// GetJob returns a campaign job.
func (cs *CampaignStore) GetJob(ctx context.Context, id int64) (*CampaignJob, error) {
	j, err := ScanCampaignJob(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+campaignJobColumns+" FROM campaign_jobs WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("campaign job %d", id)
	}
	return j, err
}

// SetJobBase records the base branch and the commit a job's steps run on.
func (cs *CampaignStore) SetJobBase(ctx context.Context, id int64, baseRef, baseRevision string) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE campaign_jobs SET base_ref = %s, base_revision = %s WHERE id = %s", baseRef, baseRevision, id))
	return err
}

// SetJobDiff records what a job's steps changed ("" for nothing).
func (cs *CampaignStore) SetJobDiff(ctx context.Context, id int64, diff string) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE campaign_jobs SET diff = %s WHERE id = %s", diff, id))
	return err
}

// ExecutionLogEntry is one entry of a job's execution log (the JSON workerutil writes).
type ExecutionLogEntry struct {
	Key        string    `json:"key"`
	Command    []string  `json:"command"`
	StartTime  time.Time `json:"startTime"`
	ExitCode   *int      `json:"exitCode,omitempty"`
	Out        string    `json:"out,omitempty"`
	DurationMs *int      `json:"durationMs,omitempty"`
}

// JobLogs returns a campaign job's execution log, as far as it has been written (steps
// still running show their output so far).
func (cs *CampaignStore) JobLogs(ctx context.Context, id int64) ([]ExecutionLogEntry, error) {
	var raw []byte
	err := cs.s.queryRow(ctx, sqlf.Sprintf("SELECT coalesce(to_jsonb(execution_logs), '[]'::jsonb) FROM campaign_jobs WHERE id = %s", id)).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("campaign job %d", id)
	}
	if err != nil {
		return nil, err
	}
	var out []ExecutionLogEntry
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("decoding execution log of campaign job %d: %w", id, err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartTime.Before(out[j].StartTime) })
	return out, nil
}
