package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/keegancsmith/sqlf"
)

// Campaign is a row of campaigns.
type Campaign struct {
	ID              int64
	Name            string
	Description     string
	Branch          string
	NamespaceUserID int64
	NamespaceOrgID  int64
	AuthorID        int64 // 0 when the author was deleted
	PlanID          int64 // 0 without a plan
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ClosedAt        *time.Time
	PublishedAt     *time.Time
}

// ErrPlanInUse is returned when a plan is already used by another campaign.
var ErrPlanInUse = errors.New("the campaign plan is already used by another campaign")

const campaignColumns = "c.id, c.name, c.description, c.branch, coalesce(c.namespace_user_id, 0), coalesce(c.namespace_org_id, 0), coalesce(c.author_id, 0), coalesce(c.plan_id, 0), c.created_at, c.updated_at, c.closed_at, c.published_at"

func scanCampaign(row pgx.Row) (*Campaign, error) {
	var c Campaign
	err := row.Scan(&c.ID, &c.Name, &c.Description, &c.Branch, &c.NamespaceUserID, &c.NamespaceOrgID, &c.AuthorID, &c.PlanID, &c.CreatedAt, &c.UpdatedAt, &c.ClosedAt, &c.PublishedAt)
	return &c, err
}

func isUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}

// CreateCampaign inserts a campaign (ID, times are set on c).
func (cs *CampaignStore) CreateCampaign(ctx context.Context, c *Campaign) error {
	var published any
	if c.PublishedAt != nil {
		published = *c.PublishedAt
	}
	created, err := scanCampaign(cs.s.queryRow(ctx, sqlf.Sprintf(`INSERT INTO campaigns AS c (name, description, branch, namespace_user_id, namespace_org_id, author_id, plan_id, published_at)
VALUES (%s, %s, %s, nullif(%s, 0), nullif(%s, 0), nullif(%s, 0), nullif(%s, 0), %s) RETURNING `+campaignColumns,
		c.Name, c.Description, c.Branch, c.NamespaceUserID, c.NamespaceOrgID, c.AuthorID, c.PlanID, published)))
	if isUniqueViolation(err, "campaigns_plan_id_key") {
		return ErrPlanInUse
	}
	if err != nil {
		return fmt.Errorf("inserting campaign: %w", err)
	}
	*c = *created
	return nil
}

// GetCampaign returns a campaign.
func (cs *CampaignStore) GetCampaign(ctx context.Context, id int64) (*Campaign, error) {
	c, err := scanCampaign(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+campaignColumns+" FROM campaigns c WHERE c.id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("campaign %d", id)
	}
	return c, err
}

// GetCampaignForUpdate returns a campaign and locks it until the transaction ends, so
// concurrent changes to one campaign are serialised.
func (cs *CampaignStore) GetCampaignForUpdate(ctx context.Context, id int64) (*Campaign, error) {
	c, err := scanCampaign(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+campaignColumns+" FROM campaigns c WHERE c.id = %s FOR UPDATE", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("campaign %d", id)
	}
	return c, err
}

// CampaignByPlan returns the campaign that uses a plan.
func (cs *CampaignStore) CampaignByPlan(ctx context.Context, planID int64) (*Campaign, error) {
	c, err := scanCampaign(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+campaignColumns+" FROM campaigns c WHERE c.plan_id = %s", planID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("campaign of plan %d", planID)
	}
	return c, err
}

// CampaignListOptions filter campaigns.
type CampaignListOptions struct {
	NamespaceUserID int64
	NamespaceOrgID  int64
	// State is "OPEN" (published, not closed), "DRAFT" (not published, not closed),
	// "CLOSED" or "" for all.
	State string
	// ChangesetID keeps the campaigns a changeset belongs to.
	ChangesetID int64
	Page        Page
}

func (o CampaignListOptions) where() *sqlf.Query {
	conds := []*sqlf.Query{sqlf.Sprintf("TRUE")}
	if o.NamespaceUserID != 0 {
		conds = append(conds, sqlf.Sprintf("c.namespace_user_id = %s", o.NamespaceUserID))
	}
	if o.NamespaceOrgID != 0 {
		conds = append(conds, sqlf.Sprintf("c.namespace_org_id = %s", o.NamespaceOrgID))
	}
	switch o.State {
	case "OPEN":
		conds = append(conds, sqlf.Sprintf("c.closed_at IS NULL AND c.published_at IS NOT NULL"))
	case "DRAFT":
		conds = append(conds, sqlf.Sprintf("c.closed_at IS NULL AND c.published_at IS NULL"))
	case "CLOSED":
		conds = append(conds, sqlf.Sprintf("c.closed_at IS NOT NULL"))
	}
	if o.ChangesetID != 0 {
		conds = append(conds, sqlf.Sprintf("c.id IN (SELECT campaign_id FROM campaign_changesets WHERE changeset_id = %s)", o.ChangesetID))
	}
	return sqlf.Join(conds, " AND ")
}

// ListCampaigns returns campaigns newest first (keyset on id).
func (cs *CampaignStore) ListCampaigns(ctx context.Context, opts CampaignListOptions) ([]*Campaign, error) {
	after := sqlf.Sprintf("TRUE")
	if opts.Page.After > 0 {
		after = sqlf.Sprintf("c.id < %s", opts.Page.After)
	}
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT "+campaignColumns+" FROM campaigns c WHERE %s AND %s ORDER BY c.id DESC %s", opts.where(), after, opts.Page.limitSQL()), scanCampaign)
}

// CountCampaigns counts campaigns (ignoring the page).
func (cs *CampaignStore) CountCampaigns(ctx context.Context, opts CampaignListOptions) (int, error) {
	return cs.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM campaigns c WHERE %s", opts.where()))
}

// CampaignUpdate is what UpdateCampaign changes; nil fields are kept.
type CampaignUpdate struct {
	Name        *string
	Description *string
	Branch      *string
	PlanID      *int64
}

// UpdateCampaign changes a campaign's fields.
func (cs *CampaignStore) UpdateCampaign(ctx context.Context, id int64, u CampaignUpdate) (*Campaign, error) {
	sets := []*sqlf.Query{sqlf.Sprintf("updated_at = now()")}
	if u.Name != nil {
		sets = append(sets, sqlf.Sprintf("name = %s", *u.Name))
	}
	if u.Description != nil {
		sets = append(sets, sqlf.Sprintf("description = %s", *u.Description))
	}
	if u.Branch != nil {
		sets = append(sets, sqlf.Sprintf("branch = %s", *u.Branch))
	}
	if u.PlanID != nil {
		sets = append(sets, sqlf.Sprintf("plan_id = nullif(%s, 0)", *u.PlanID))
	}
	c, err := scanCampaign(cs.s.queryRow(ctx, sqlf.Sprintf("UPDATE campaigns c SET %s WHERE c.id = %s RETURNING "+campaignColumns, sqlf.Join(sets, ", "), id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("campaign %d", id)
	}
	if isUniqueViolation(err, "campaigns_plan_id_key") {
		return nil, ErrPlanInUse
	}
	return c, err
}

// SetCampaignClosed marks a campaign closed (keeping the first close time).
func (cs *CampaignStore) SetCampaignClosed(ctx context.Context, id int64) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE campaigns SET closed_at = coalesce(closed_at, now()), updated_at = now() WHERE id = %s", id))
	return err
}

// SetCampaignPublished marks a campaign published (keeping the first publish time).
func (cs *CampaignStore) SetCampaignPublished(ctx context.Context, id int64) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE campaigns SET published_at = coalesce(published_at, now()), updated_at = now() WHERE id = %s", id))
	return err
}

// DeleteCampaign deletes a campaign. Its own changesets stay (owned by no campaign), so
// the ones being closed are still closed on their code host.
func (cs *CampaignStore) DeleteCampaign(ctx context.Context, id int64) error {
	tag, err := cs.s.exec(ctx, sqlf.Sprintf("DELETE FROM campaigns WHERE id = %s", id))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("campaign %d", id)
	}
	return nil
}

// CampaignBusy reports whether any changeset of the campaign is being processed or is
// queued to run now (changesets waiting for a publish slot or a retry do not count).
func (cs *CampaignStore) CampaignBusy(ctx context.Context, campaignID int64) (bool, error) {
	n, err := cs.s.count(ctx, sqlf.Sprintf(`SELECT count(*) FROM changesets c
WHERE c.id IN (SELECT changeset_id FROM campaign_changesets WHERE campaign_id = %s)
  AND (c.state = 'processing' OR (c.state = 'queued' AND (c.process_after IS NULL OR c.process_after <= now())))`, campaignID))
	return n > 0, err
}
