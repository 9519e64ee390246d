package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// Changeset publication states (what the campaign wants).
const (
	PublicationUnpublished = "UNPUBLISHED"
	PublicationPublished   = "PUBLISHED"
	PublicationDraft       = "DRAFT"
)

// Reconciler states as the API shows them. SCHEDULED is a queued changeset waiting for a
// later time: its code host's publish rate limit, or a rate limit the host answered.
const (
	ReconcilerScheduled  = "SCHEDULED"
	ReconcilerQueued     = "QUEUED"
	ReconcilerProcessing = "PROCESSING"
	ReconcilerErrored    = "ERRORED"
	ReconcilerFailed     = "FAILED"
	ReconcilerCompleted  = "COMPLETED"
)

// Changeset is a row of changesets: a pull request a campaign opens (owned) or tracks,
// and the reconciler's queue entry for it.
type Changeset struct {
	ID             int64
	State          string // queue state
	FailureMessage string
	QueuedAt       time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	ProcessAfter   *time.Time
	NumFailures    int

	RepoID            int64
	OwnedByCampaignID int64
	CampaignJobID     int64
	AuthorID          int64
	PublicationState  string
	Closing           bool
	DetachedAt        *time.Time
	CommitDate        time.Time
	DesiredVersion    int
	ReconciledVersion int
	Branch            string
	PushedCommit      string
	PushedDiffSHA     string
	PublishAt         *time.Time

	ExternalServiceID int64
	ExternalID        string // "" until published
	ExternalState     string // "" until published
	ReviewState       string
	CheckState        string
	ExternalURL       string
	Title             string
	Body              string
	HeadRef           string
	BaseRef           string
	HeadSHA           string
	Labels            []string
	ExternalCreatedAt *time.Time
	ExternalUpdatedAt *time.Time
	LastSyncedAt      *time.Time
	NextSyncAt        *time.Time
	SyncError         string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// RecordID makes a Changeset a workerutil record.
func (c *Changeset) RecordID() int64 { return c.ID }

// Published reports whether the changeset exists on its code host.
func (c *Changeset) Published() bool { return c.ExternalID != "" }

// ReconcilerState is the queue state as the API shows it.
func (c *Changeset) ReconcilerState(now time.Time) string {
	switch c.State {
	case "processing":
		return ReconcilerProcessing
	case "queued":
		if c.ProcessAfter != nil && c.ProcessAfter.After(now) {
			return ReconcilerScheduled
		}
		return ReconcilerQueued
	case "errored":
		return ReconcilerErrored
	case "failed":
		return ReconcilerFailed
	}
	return ReconcilerCompleted
}

// ChangesetColumns are the columns ScanChangeset reads.
var ChangesetColumns = []string{"c.id", "c.state", "coalesce(c.failure_message, '')", "c.queued_at", "c.started_at", "c.finished_at", "c.process_after", "c.num_failures",
	"c.repo_id", "coalesce(c.owned_by_campaign_id, 0)", "coalesce(c.campaign_job_id, 0)", "coalesce(c.author_id, 0)", "c.publication_state", "c.closing", "c.detached_at", "c.commit_date",
	"c.desired_version", "c.reconciled_version", "c.branch", "c.pushed_commit", "c.pushed_diff_sha", "c.publish_at",
	"coalesce(c.external_service_id, 0)", "coalesce(c.external_id, '')", "coalesce(c.external_state, '')", "c.external_review_state", "c.external_check_state",
	"c.external_url", "c.title", "c.body", "c.head_ref", "c.base_ref", "c.head_sha", "c.labels", "c.external_created_at", "c.external_updated_at",
	"c.last_synced_at", "c.next_sync_at", "coalesce(c.sync_error, '')", "c.created_at", "c.updated_at"}

var changesetColumns = columns(ChangesetColumns)

// ScanChangeset reads a row of ChangesetColumns.
func ScanChangeset(row pgx.Row) (*Changeset, error) {
	var c Changeset
	err := row.Scan(&c.ID, &c.State, &c.FailureMessage, &c.QueuedAt, &c.StartedAt, &c.FinishedAt, &c.ProcessAfter, &c.NumFailures,
		&c.RepoID, &c.OwnedByCampaignID, &c.CampaignJobID, &c.AuthorID, &c.PublicationState, &c.Closing, &c.DetachedAt, &c.CommitDate,
		&c.DesiredVersion, &c.ReconciledVersion, &c.Branch, &c.PushedCommit, &c.PushedDiffSHA, &c.PublishAt,
		&c.ExternalServiceID, &c.ExternalID, &c.ExternalState, &c.ReviewState, &c.CheckState,
		&c.ExternalURL, &c.Title, &c.Body, &c.HeadRef, &c.BaseRef, &c.HeadSHA, &c.Labels, &c.ExternalCreatedAt, &c.ExternalUpdatedAt,
		&c.LastSyncedAt, &c.NextSyncAt, &c.SyncError, &c.CreatedAt, &c.UpdatedAt)
	return &c, err
}

// NewChangeset is a changeset to insert: an owned one (OwnedByCampaignID and
// CampaignJobID set) or a tracked one (ExternalServiceID and ExternalID set).
type NewChangeset struct {
	RepoID            int64
	OwnedByCampaignID int64
	CampaignJobID     int64
	// AuthorID is whose campaigns credential writes to the code host.
	AuthorID          int64
	PublicationState  string
	ExternalServiceID int64
	ExternalID        string
	// Queue puts the changeset in the reconciler's queue at once.
	Queue bool
}

// InsertChangeset stores a changeset and attaches it to campaignID (when not 0).
func (cs *CampaignStore) InsertChangeset(ctx context.Context, campaignID int64, n NewChangeset) (*Changeset, error) {
	state, reconciled := "completed", 1
	if n.Queue {
		state, reconciled = "queued", 0
	}
	pub := n.PublicationState
	if pub == "" {
		pub = PublicationUnpublished
	}
	var extID any
	if n.ExternalID != "" {
		extID = n.ExternalID
	}
	c, err := ScanChangeset(cs.s.queryRow(ctx, sqlf.Sprintf(`INSERT INTO changesets AS c (state, reconciled_version, repo_id, owned_by_campaign_id, campaign_job_id, author_id, publication_state, external_service_id, external_id)
VALUES (%s, %s, %s, nullif(%s, 0), nullif(%s, 0), nullif(%s, 0), %s, nullif(%s, 0), %s) RETURNING `+changesetColumns,
		state, reconciled, n.RepoID, n.OwnedByCampaignID, n.CampaignJobID, n.AuthorID, pub, n.ExternalServiceID, extID)))
	if err != nil {
		return nil, fmt.Errorf("inserting changeset: %w", err)
	}
	if campaignID != 0 {
		if err := cs.AttachChangesets(ctx, campaignID, []int64{c.ID}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// AttachChangesets adds changesets to a campaign (idempotent).
func (cs *CampaignStore) AttachChangesets(ctx context.Context, campaignID int64, ids []int64) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("INSERT INTO campaign_changesets (campaign_id, changeset_id) SELECT %s, unnest(%s::bigint[]) ON CONFLICT DO NOTHING", campaignID, ids))
	return err
}

// DetachChangeset removes a changeset from a campaign.
func (cs *CampaignStore) DetachChangeset(ctx context.Context, campaignID, id int64) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("DELETE FROM campaign_changesets WHERE campaign_id = %s AND changeset_id = %s", campaignID, id))
	return err
}

// GetChangeset returns a changeset.
func (cs *CampaignStore) GetChangeset(ctx context.Context, id int64) (*Changeset, error) {
	return cs.getChangeset(ctx, sqlf.Sprintf("c.id = %s", id), "")
}

// GetChangesetForUpdate returns a changeset locked until the transaction ends.
func (cs *CampaignStore) GetChangesetForUpdate(ctx context.Context, id int64) (*Changeset, error) {
	return cs.getChangeset(ctx, sqlf.Sprintf("c.id = %s", id), "FOR UPDATE")
}

// GetChangesetByExternalID returns the changeset of a pull request.
func (cs *CampaignStore) GetChangesetByExternalID(ctx context.Context, repoID int64, externalID string) (*Changeset, error) {
	return cs.getChangeset(ctx, sqlf.Sprintf("c.repo_id = %s AND c.external_id = %s", repoID, externalID), "")
}

func (cs *CampaignStore) getChangeset(ctx context.Context, cond *sqlf.Query, lock string) (*Changeset, error) {
	c, err := ScanChangeset(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+changesetColumns+" FROM changesets c WHERE %s "+lock, cond)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("changeset")
	}
	return c, err
}

// ChangesetListOptions filter changesets.
type ChangesetListOptions struct {
	// CampaignID keeps the changesets attached to a campaign.
	CampaignID int64
	// OwnedByCampaignID keeps the changesets a campaign created, attached or detached.
	OwnedByCampaignID int64
	RepoID            int64
	ExternalState     string
	ReviewState       string
	CheckState        string
	// OnlyPublishedOrProcessing leaves out owned changesets that are unpublished and
	// have nothing queued (they show as changeset plans instead).
	OnlyPublishedOrProcessing bool
	// Viewer applies the repository visibility rule; the zero Viewer sees nothing.
	Viewer Viewer
	Page   Page
}

func (o ChangesetListOptions) where() *sqlf.Query {
	conds := []*sqlf.Query{sqlf.Sprintf("r.deleted_at IS NULL"), VisibleRepoCond(o.Viewer, "r")}
	if o.CampaignID != 0 {
		conds = append(conds, sqlf.Sprintf("c.id IN (SELECT changeset_id FROM campaign_changesets WHERE campaign_id = %s)", o.CampaignID))
	}
	if o.OwnedByCampaignID != 0 {
		conds = append(conds, sqlf.Sprintf("c.owned_by_campaign_id = %s", o.OwnedByCampaignID))
	}
	if o.RepoID != 0 {
		conds = append(conds, sqlf.Sprintf("c.repo_id = %s", o.RepoID))
	}
	if o.ExternalState != "" {
		if o.ExternalState == "UNPUBLISHED" {
			conds = append(conds, sqlf.Sprintf("c.external_state IS NULL"))
		} else {
			conds = append(conds, sqlf.Sprintf("c.external_state = %s", o.ExternalState))
		}
	}
	if o.ReviewState != "" {
		conds = append(conds, sqlf.Sprintf("c.external_review_state = %s", o.ReviewState))
	}
	if o.CheckState != "" {
		conds = append(conds, sqlf.Sprintf("c.external_check_state = %s", o.CheckState))
	}
	if o.OnlyPublishedOrProcessing {
		conds = append(conds, sqlf.Sprintf("(c.external_id IS NOT NULL OR c.publication_state <> 'UNPUBLISHED' OR c.state <> 'completed')"))
	}
	return sqlf.Join(conds, " AND ")
}

// ListChangesets returns changesets in id order.
func (cs *CampaignStore) ListChangesets(ctx context.Context, opts ChangesetListOptions) ([]*Changeset, error) {
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT "+changesetColumns+" FROM changesets c JOIN repo r ON r.id = c.repo_id WHERE %s AND c.id > %s ORDER BY c.id %s",
		opts.where(), opts.Page.After, opts.Page.limitSQL()), ScanChangeset)
}

// CountChangesets counts changesets (ignoring the page).
func (cs *CampaignStore) CountChangesets(ctx context.Context, opts ChangesetListOptions) (int, error) {
	return cs.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM changesets c JOIN repo r ON r.id = c.repo_id WHERE %s", opts.where()))
}

// ChangesetStats are changesets counted by external and reconciler state.
type ChangesetStats struct {
	Total, Unpublished, Open, Draft, Merged, Closed, Deleted, Pushed int
	Scheduled, Processing, Retrying, Failed                          int
}

// CountChangesetsByState counts the changesets opts selects (ignoring the page) by state,
// in one scan. Queued changesets waiting for a later time are Scheduled, as
// Changeset.ReconcilerState shows them.
func (cs *CampaignStore) CountChangesetsByState(ctx context.Context, opts ChangesetListOptions) (ChangesetStats, error) {
	var st ChangesetStats
	err := cs.s.queryRow(ctx, sqlf.Sprintf(`SELECT count(*),
  count(*) FILTER (WHERE c.external_state IS NULL),
  count(*) FILTER (WHERE c.external_state IN ('OPEN', 'DRAFT')),
  count(*) FILTER (WHERE c.external_state = 'DRAFT'),
  count(*) FILTER (WHERE c.external_state = 'MERGED'),
  count(*) FILTER (WHERE c.external_state = 'CLOSED'),
  count(*) FILTER (WHERE c.external_state = 'DELETED'),
  count(*) FILTER (WHERE c.external_state = 'PUSHED'),
  count(*) FILTER (WHERE c.state = 'queued' AND c.process_after > now()),
  count(*) FILTER (WHERE c.state = 'processing' OR (c.state = 'queued' AND (c.process_after IS NULL OR c.process_after <= now()))),
  count(*) FILTER (WHERE c.state = 'errored'),
  count(*) FILTER (WHERE c.state = 'failed')
FROM changesets c JOIN repo r ON r.id = c.repo_id WHERE %s`, opts.where())).Scan(
		&st.Total, &st.Unpublished, &st.Open, &st.Draft, &st.Merged, &st.Closed, &st.Deleted, &st.Pushed,
		&st.Scheduled, &st.Processing, &st.Retrying, &st.Failed)
	return st, err
}

// RetryChangeset queues one failed or errored changeset again, with its failure count
// reset; false when it was in another state.
func (cs *CampaignStore) RetryChangeset(ctx context.Context, id int64) (bool, error) {
	n, err := cs.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM changesets WHERE id = %s AND state IN ('failed', 'errored')", id))
	if err != nil || n == 0 {
		return false, err
	}
	return true, cs.Enqueue(ctx, []int64{id})
}

// OwnedChangesetsByRepo returns the changesets a campaign created, attached or
// detached, by repository.
func (cs *CampaignStore) OwnedChangesetsByRepo(ctx context.Context, campaignID int64) (map[int64]*Changeset, error) {
	list, err := collect(ctx, cs.s, sqlf.Sprintf("SELECT "+changesetColumns+" FROM changesets c WHERE c.owned_by_campaign_id = %s ORDER BY c.id", campaignID), ScanChangeset)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*Changeset, len(list))
	for _, c := range list {
		out[c.RepoID] = c // the newest wins
	}
	return out, nil
}

// ChangesetDesire is what a campaign wants of a changeset; nil fields are kept.
type ChangesetDesire struct {
	PublicationState *string
	Closing          *bool
	CampaignJobID    *int64
	// NewCommitDate sets the commit date to now (the diff changed).
	NewCommitDate bool
	// Detached sets (true) or clears (false) detached_at.
	Detached *bool
	// AuthorID, when not 0, makes this user's campaigns credential the one that writes
	// the changes to the code host.
	AuthorID int64
}

// SetDesired records what the campaign wants of changesets and queues them for the
// reconciler: desired_version moves on, and a changeset that is not being processed is
// queued now (a running one is requeued by the reconciler when it sees the new version).
func (cs *CampaignStore) SetDesired(ctx context.Context, ids []int64, d ChangesetDesire) error {
	sets := []*sqlf.Query{sqlf.Sprintf("desired_version = desired_version + 1"), sqlf.Sprintf("updated_at = now()")}
	if d.PublicationState != nil {
		sets = append(sets, sqlf.Sprintf("publication_state = %s", *d.PublicationState))
	}
	if d.Closing != nil {
		sets = append(sets, sqlf.Sprintf("closing = %s", *d.Closing))
	}
	if d.CampaignJobID != nil {
		sets = append(sets, sqlf.Sprintf("campaign_job_id = nullif(%s, 0)", *d.CampaignJobID))
	}
	if d.NewCommitDate {
		sets = append(sets, sqlf.Sprintf("commit_date = now()"))
	}
	if d.AuthorID != 0 {
		sets = append(sets, sqlf.Sprintf("author_id = %s", d.AuthorID))
	}
	if d.Detached != nil {
		if *d.Detached {
			sets = append(sets, sqlf.Sprintf("detached_at = coalesce(detached_at, now())"))
		} else {
			sets = append(sets, sqlf.Sprintf("detached_at = NULL"))
		}
	}
	if _, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE changesets SET %s WHERE id = ANY(%s)", sqlf.Join(sets, ", "), ids)); err != nil {
		return fmt.Errorf("updating desired changeset state: %w", err)
	}
	return cs.Enqueue(ctx, ids)
}

// Enqueue queues changesets for the reconciler unless they are being processed, with
// their failure count reset.
func (cs *CampaignStore) Enqueue(ctx context.Context, ids []int64) error {
	tag, err := cs.s.exec(ctx, sqlf.Sprintf(`UPDATE changesets SET state = 'queued', queued_at = now(), num_failures = 0, num_resets = 0, failure_message = NULL,
  process_after = CASE WHEN publish_at > now() THEN publish_at END, finished_at = NULL, cancel = false
WHERE id = ANY(%s) AND state <> 'processing'`, ids))
	if err != nil {
		return fmt.Errorf("queueing changesets: %w", err)
	}
	if tag.RowsAffected() > 0 {
		_, err = cs.s.exec(ctx, sqlf.Sprintf("SELECT pg_notify('lookout_queue', 'changesets')"))
	}
	return err
}

// RequeueDrifted queues completed changesets whose desired version moved on while they
// were being processed, and returns how many.
func (cs *CampaignStore) RequeueDrifted(ctx context.Context) (int64, error) {
	tag, err := cs.s.exec(ctx, sqlf.Sprintf(`UPDATE changesets SET state = 'queued', queued_at = now(), num_failures = 0, num_resets = 0, failure_message = NULL, process_after = NULL, finished_at = NULL
WHERE state = 'completed' AND desired_version > reconciled_version`))
	if err != nil {
		return 0, err
	}
	if tag.RowsAffected() > 0 {
		_, err = cs.s.exec(ctx, sqlf.Sprintf("SELECT pg_notify('lookout_queue', 'changesets')"))
	}
	return tag.RowsAffected(), err
}

// RetryChangesets queues the failed and errored changesets of a campaign again, with
// their failure counts reset, and returns how many.
func (cs *CampaignStore) RetryChangesets(ctx context.Context, campaignID int64) (int, error) {
	ids, err := collect(ctx, cs.s, sqlf.Sprintf(`SELECT c.id FROM changesets c WHERE c.state IN ('failed', 'errored')
AND c.id IN (SELECT changeset_id FROM campaign_changesets WHERE campaign_id = %s)`, campaignID), scanID)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	return len(ids), cs.Enqueue(ctx, ids)
}

// CancelUnpublished stops publishing the campaign's changesets that are not on their code
// host yet (a closed or deleted campaign publishes nothing more).
func (cs *CampaignStore) CancelUnpublished(ctx context.Context, campaignID int64) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf(`UPDATE changesets SET publication_state = 'UNPUBLISHED', publish_at = NULL, desired_version = desired_version + 1,
  reconciled_version = desired_version + 1, state = CASE WHEN state = 'processing' THEN state ELSE 'completed' END,
  process_after = NULL, failure_message = NULL, updated_at = now()
WHERE owned_by_campaign_id = %s AND external_id IS NULL`, campaignID))
	return err
}

func scanID(row pgx.Row) (int64, error) {
	var id int64
	err := row.Scan(&id)
	return id, err
}

// SetBranch stores the branch chosen for a changeset, once: it returns the stored one
// when another attempt chose first.
func (cs *CampaignStore) SetBranch(ctx context.Context, id int64, branch string) (string, error) {
	var stored string
	err := cs.s.queryRow(ctx, sqlf.Sprintf("UPDATE changesets SET branch = CASE WHEN branch = '' THEN %s ELSE branch END, updated_at = now() WHERE id = %s RETURNING branch", branch, id)).Scan(&stored)
	return stored, err
}

// BranchesTaken returns the branches other changesets of the repository chose, so two
// campaigns never pick the same free name before either pushed.
func (cs *CampaignStore) BranchesTaken(ctx context.Context, repoID, exceptID int64) ([]string, error) {
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT branch FROM changesets WHERE repo_id = %s AND id <> %s AND branch <> ''", repoID, exceptID), func(row pgx.Row) (string, error) {
		var s string
		err := row.Scan(&s)
		return s, err
	})
}

// RecordPush stores what was pushed to the changeset's branch.
func (cs *CampaignStore) RecordPush(ctx context.Context, id int64, commit, diffSHA string) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE changesets SET pushed_commit = %s, pushed_diff_sha = %s, updated_at = now() WHERE id = %s", commit, diffSHA, id))
	return err
}

// SetPublishAt stores (or, with nil, clears) the publish slot reserved for a changeset.
func (cs *CampaignStore) SetPublishAt(ctx context.Context, id int64, at *time.Time) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE changesets SET publish_at = %s WHERE id = %s", at, id))
	return err
}

// SetReconciled records the desired version a reconciler run made real.
func (cs *CampaignStore) SetReconciled(ctx context.Context, id int64, version int) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE changesets SET reconciled_version = greatest(reconciled_version, %s) WHERE id = %s", version, id))
	return err
}

// ExternalState is a changeset as its code host shows it.
type ExternalState struct {
	ExternalServiceID int64
	ExternalID        string
	State             string
	ReviewState       string
	CheckState        string
	URL               string
	Title             string
	Body              string
	HeadRef           string
	BaseRef           string
	HeadSHA           string
	Labels            []string
	CreatedAt         *time.Time
	UpdatedAt         *time.Time
}

// UpdateExternal stores a changeset's state on its code host.
func (cs *CampaignStore) UpdateExternal(ctx context.Context, id int64, e ExternalState) error {
	labels := e.Labels
	if labels == nil {
		labels = []string{}
	}
	_, err := cs.s.exec(ctx, sqlf.Sprintf(`UPDATE changesets SET external_service_id = coalesce(nullif(%s, 0), external_service_id), external_id = %s, external_state = %s,
  external_review_state = %s, external_check_state = %s, external_url = %s, title = %s, body = %s, head_ref = %s, base_ref = %s, head_sha = %s,
  labels = %s, external_created_at = coalesce(%s, external_created_at), external_updated_at = coalesce(%s, external_updated_at), updated_at = now()
WHERE id = %s`, e.ExternalServiceID, e.ExternalID, e.State, e.ReviewState, e.CheckState, e.URL, e.Title, e.Body, e.HeadRef, e.BaseRef, e.HeadSHA,
		labels, e.CreatedAt, e.UpdatedAt, id))
	if isUniqueViolation(err, "changesets_repo_external_id") {
		return fmt.Errorf("another changeset already tracks pull request %s of this repository: %w", e.ExternalID, ErrChangesetExists)
	}
	return err
}

// ErrChangesetExists is returned when a pull request is already tracked by a changeset.
var ErrChangesetExists = errors.New("changeset already exists")

// SetSynced records a sync's outcome and when the next one is due.
func (cs *CampaignStore) SetSynced(ctx context.Context, id int64, next time.Time, syncErr string) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE changesets SET last_synced_at = now(), next_sync_at = %s, sync_error = nullif(%s, '') WHERE id = %s", next, syncErr, id))
	return err
}

// ScheduleSync makes changesets due for a sync at t (now for a webhook or syncChangeset).
func (cs *CampaignStore) ScheduleSync(ctx context.Context, ids []int64, t time.Time) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE changesets SET next_sync_at = least(coalesce(next_sync_at, %s), %s) WHERE id = ANY(%s) AND external_id IS NOT NULL", t, t, ids))
	return err
}

// ClaimDueSyncs takes up to limit published changesets whose sync is due, and pushes
// their next sync lease ahead so that other workers skip them meanwhile.
func (cs *CampaignStore) ClaimDueSyncs(ctx context.Context, limit int, lease time.Duration) ([]*Changeset, error) {
	return collect(ctx, cs.s, sqlf.Sprintf(`WITH due AS (
  SELECT id FROM changesets WHERE external_id IS NOT NULL AND next_sync_at <= now() AND external_service_id IS NOT NULL
  ORDER BY next_sync_at LIMIT %s FOR UPDATE SKIP LOCKED
)
UPDATE changesets c SET next_sync_at = now() + %s::bigint * interval '1 microsecond' FROM due WHERE c.id = due.id
RETURNING `+changesetColumns, limit, lease.Microseconds()), ScanChangeset)
}

// DelaySyncs moves the next sync of the given changesets to t at the earliest (a code host
// asked to wait).
func (cs *CampaignStore) DelaySyncs(ctx context.Context, ids []int64, t time.Time) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE changesets SET next_sync_at = greatest(next_sync_at, %s) WHERE id = ANY(%s)", t, ids))
	return err
}

// ChangesetsForWebhook returns the published changesets of the repositories with the given
// pull request numbers, or (when headSHA is set) whose head is that commit.
func (cs *CampaignStore) ChangesetsForWebhook(ctx context.Context, repoIDs []int64, externalIDs []string, headSHA string) ([]*Changeset, error) {
	if externalIDs == nil {
		externalIDs = []string{}
	}
	return collect(ctx, cs.s, sqlf.Sprintf(`SELECT `+changesetColumns+` FROM changesets c WHERE c.repo_id = ANY(%s) AND c.external_id IS NOT NULL
AND (c.external_id = ANY(%s) OR (%s <> '' AND c.head_sha = %s)) ORDER BY c.id`, repoIDs, externalIDs, headSHA, headSHA), ScanChangeset)
}

// ReservePublishSlot reserves the next time a pull request may be opened on host, one
// every interval, and returns it (now or later). The reservation holds across workers.
func (cs *CampaignStore) ReservePublishSlot(ctx context.Context, host string, interval time.Duration) (time.Time, error) {
	var slot time.Time
	us := interval.Microseconds()
	err := cs.s.queryRow(ctx, sqlf.Sprintf(`INSERT INTO campaign_publish_slots AS s (host, next_at) VALUES (%s, now() + %s::bigint * interval '1 microsecond')
ON CONFLICT (host) DO UPDATE SET next_at = greatest(s.next_at, now()) + %s::bigint * interval '1 microsecond'
RETURNING s.next_at - %s::bigint * interval '1 microsecond'`, host, us, us, us)).Scan(&slot)
	return slot, err
}

// DelayHost keeps every publish on host from happening before t (the host answered
// with a rate limit).
func (cs *CampaignStore) DelayHost(ctx context.Context, host string, t time.Time) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf(`INSERT INTO campaign_publish_slots AS s (host, next_at) VALUES (%s, %s)
ON CONFLICT (host) DO UPDATE SET next_at = greatest(s.next_at, EXCLUDED.next_at)`, host, t))
	return err
}

// ChangesetEvent is a row of changeset_events.
type ChangesetEvent struct {
	ID          int64
	ChangesetID int64
	Kind        string
	Key         string
	CreatedAt   time.Time
}

// AddEvents stores events, skipping any already stored (same changeset, kind and key).
func (cs *CampaignStore) AddEvents(ctx context.Context, events []ChangesetEvent) error {
	if len(events) == 0 {
		return nil
	}
	n := len(events)
	ids, kinds, keys, times := make([]int64, n), make([]string, n), make([]string, n), make([]time.Time, n)
	for i, e := range events {
		ids[i], kinds[i], keys[i], times[i] = e.ChangesetID, e.Kind, e.Key, e.CreatedAt
	}
	_, err := cs.s.exec(ctx, sqlf.Sprintf(`INSERT INTO changeset_events (changeset_id, kind, key, created_at)
SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[]) ON CONFLICT DO NOTHING`, ids, kinds, keys, times))
	return err
}

// ListEvents returns a changeset's events, oldest first. page.After is the id of the
// last event of the previous page: the keyset is (created_at, id), since events are not
// stored in the order they happened (a sync may record an older change after a newer
// one came by webhook).
func (cs *CampaignStore) ListEvents(ctx context.Context, changesetID int64, page Page) ([]*ChangesetEvent, error) {
	after := sqlf.Sprintf("TRUE")
	if page.After > 0 {
		after = sqlf.Sprintf("(e.created_at, e.id) > (SELECT a.created_at, a.id FROM changeset_events a WHERE a.id = %s)", page.After)
	}
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT e.id, e.changeset_id, e.kind, e.key, e.created_at FROM changeset_events e WHERE e.changeset_id = %s AND %s ORDER BY e.created_at, e.id %s",
		changesetID, after, page.limitSQL()), scanEvent)
}

// CountEvents counts a changeset's events.
func (cs *CampaignStore) CountEvents(ctx context.Context, changesetID int64) (int, error) {
	return cs.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM changeset_events WHERE changeset_id = %s", changesetID))
}

// EventsForChangesets returns the events of several changesets, oldest first.
func (cs *CampaignStore) EventsForChangesets(ctx context.Context, ids []int64) ([]*ChangesetEvent, error) {
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT id, changeset_id, kind, key, created_at FROM changeset_events WHERE changeset_id = ANY(%s) ORDER BY created_at, id", ids), scanEvent)
}

func scanEvent(row pgx.Row) (*ChangesetEvent, error) {
	var e ChangesetEvent
	err := row.Scan(&e.ID, &e.ChangesetID, &e.Kind, &e.Key, &e.CreatedAt)
	return &e, err
}

// GetEvent returns one event.
func (cs *CampaignStore) GetEvent(ctx context.Context, id int64) (*ChangesetEvent, error) {
	e, err := scanEvent(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT id, changeset_id, kind, key, created_at FROM changeset_events WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("changeset event %d", id)
	}
	return e, err
}
