package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/Masterminds/squirrel"
	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// Viewer is who repositories are listed for. It is the store's view of an actor (the auth
// package converts), so every query here applies the same visibility rule.
type Viewer struct {
	UserID    int64
	AllAccess bool // site admins and Lookout itself
}

// InternalViewer sees every repository.
var InternalViewer = Viewer{AllAccess: true}

// VisibleRepoCond is the one rule of repository visibility, as a condition on a repo row
// aliased alias: public repositories are visible to every signed-in user; private ones to
// site admins, Lookout itself, and users granted access in repo_permissions. Every read
// of repositories on a user's behalf (API, search, insights, monitors) goes through it.
func VisibleRepoCond(v Viewer, alias string) *sqlf.Query {
	if v.AllAccess {
		return sqlf.Sprintf("TRUE")
	}
	if v.UserID == 0 {
		return sqlf.Sprintf("FALSE")
	}
	return sqlf.Sprintf("(NOT "+alias+".private OR EXISTS (SELECT 1 FROM repo_permissions rp WHERE rp.repo_id = "+alias+".id AND rp.user_id = %s))", v.UserID)
}

// Repo is a row of repo.
type Repo struct {
	ID            int64
	Name          string
	URI           string
	Description   string
	ExternalID    string
	DefaultBranch string
	Fork          bool
	Archived      bool
	Private       bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
	CloneStatus   string
	LastError     string
	LastFetchedAt *time.Time
	LastChangedAt *time.Time
	NextFetchAt   time.Time
	// HeadOIDs maps each branch ref to its commit after the last fetch.
	HeadOIDs map[string]string
	// SizeBytes is the size of the repository's git objects as its last fetch
	// measured them; 0 until then.
	SizeBytes int64
	// Language is the primary language at the default branch ("" for none); nil until
	// a fetch measured it.
	Language *string
}

// Clone statuses.
const (
	CloneStatusNotCloned = "not_cloned"
	CloneStatusCloning   = "cloning"
	CloneStatusCloned    = "cloned"
	CloneStatusFailed    = "failed"
)

const repoColumns = "r.id, r.name, r.uri, r.description, r.external_id, r.default_branch, r.fork, r.archived, r.private, r.created_at, r.updated_at, r.clone_status, coalesce(r.last_error, ''), r.last_fetched_at, r.last_changed_at, r.next_fetch_at, r.head_oids, coalesce(r.size_bytes, 0), r.language"

func scanRepo(row pgx.Row) (*Repo, error) {
	var r Repo
	var heads []byte
	err := row.Scan(&r.ID, &r.Name, &r.URI, &r.Description, &r.ExternalID, &r.DefaultBranch, &r.Fork, &r.Archived, &r.Private, &r.CreatedAt, &r.UpdatedAt,
		&r.CloneStatus, &r.LastError, &r.LastFetchedAt, &r.LastChangedAt, &r.NextFetchAt, &heads, &r.SizeBytes, &r.Language)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(heads, &r.HeadOIDs); err != nil {
		return nil, fmt.Errorf("repo %d head_oids: %w", r.ID, err)
	}
	return &r, nil
}

// RepoStore reads and writes repositories.
type RepoStore struct{ s *Store }

func (s *Store) Repos() *RepoStore { return &RepoStore{s} }

// GetByID returns a live repository the viewer may see.
func (rs *RepoStore) GetByID(ctx context.Context, v Viewer, id int64) (*Repo, error) {
	r, err := scanRepo(rs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+repoColumns+" FROM repo r WHERE r.id = %s AND r.deleted_at IS NULL AND %s", id, VisibleRepoCond(v, "r"))))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("repository %d", id)
	}
	return r, err
}

// GetByName returns a live repository the viewer may see, by exact name (case-insensitive).
func (rs *RepoStore) GetByName(ctx context.Context, v Viewer, name string) (*Repo, error) {
	r, err := scanRepo(rs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+repoColumns+" FROM repo r WHERE r.name = %s AND r.deleted_at IS NULL AND %s", name, VisibleRepoCond(v, "r"))))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("repository %q", name)
	}
	return r, err
}

// RepoOrder is a repository list order.
type RepoOrder string

const (
	RepoOrderName      RepoOrder = "name"
	RepoOrderCreatedAt RepoOrder = "created_at"
)

// RepoListOptions filter repository lists.
type RepoListOptions struct {
	Query       string  // substring of the name
	IDs         []int64 // only these
	Names       []string
	Cloned      *bool // clone_status = cloned, or not
	FailedFetch bool  // only repositories whose last clone or fetch failed
	OrderBy     RepoOrder
	Descending  bool
	// After is the cursor position: the id (created_at order) or name (name order) of
	// the last row of the previous page.
	AfterID   int64
	AfterName string
	Limit     int
}

// where is the filter of a repository list: only the parts opts asks for.
func (o RepoListOptions) where(v Viewer) squirrel.And {
	conds := squirrel.And{squirrel.Expr("r.deleted_at IS NULL"), sqlfCond(VisibleRepoCond(v, "r"))}
	if o.Query != "" {
		conds = append(conds, squirrel.ILike{"r.name": "%" + escapeLike(o.Query) + "%"})
	}
	if o.IDs != nil {
		conds = append(conds, squirrel.Expr("r.id = ANY(?)", o.IDs))
	}
	if o.Names != nil {
		conds = append(conds, squirrel.Expr("r.name = ANY(?::citext[])", o.Names))
	}
	if o.Cloned != nil {
		if *o.Cloned {
			conds = append(conds, squirrel.Eq{"r.clone_status": CloneStatusCloned})
		} else {
			conds = append(conds, squirrel.NotEq{"r.clone_status": CloneStatusCloned})
		}
	}
	if o.FailedFetch {
		conds = append(conds, squirrel.NotEq{"r.last_error": nil})
	}
	return conds
}

// List returns the repositories the viewer may see that match opts.
func (rs *RepoStore) List(ctx context.Context, v Viewer, opts RepoListOptions) ([]*Repo, error) {
	q := psql.Select(repoColumns).From("repo r").Where(opts.where(v))
	cmp, dir := ">", "ASC"
	if opts.Descending {
		cmp, dir = "<", "DESC"
	}
	switch opts.OrderBy {
	case RepoOrderCreatedAt:
		if opts.AfterID != 0 {
			q = q.Where("r.id "+cmp+" ?", opts.AfterID)
		}
		q = q.OrderBy("r.id " + dir)
	default:
		if opts.AfterName != "" {
			q = q.Where("r.name "+cmp+" ?::citext", opts.AfterName)
		}
		q = q.OrderBy("r.name " + dir)
	}
	if opts.Limit > 0 {
		q = q.Limit(uint64(opts.Limit))
	}
	return collectBuilt(ctx, rs.s, q, scanRepo)
}

// Count counts the repositories the viewer may see that match opts (ignoring the page).
func (rs *RepoStore) Count(ctx context.Context, v Viewer, opts RepoListOptions) (int, error) {
	return rs.s.countBuilt(ctx, psql.Select("count(*)").From("repo r").Where(opts.where(v)))
}

// HostKinds returns, per repository id, the kind of the first live connection that
// brings it (repositories no connection brings are left out).
func (rs *RepoStore) HostKinds(ctx context.Context, ids []int64) (map[int64]string, error) {
	rows, err := rs.s.query(ctx, sqlf.Sprintf(`SELECT DISTINCT ON (esr.repo_id) esr.repo_id, e.kind
FROM external_service_repos esr JOIN external_services e ON e.id = esr.external_service_id
WHERE esr.repo_id = ANY(%s) AND e.deleted_at IS NULL ORDER BY esr.repo_id, e.id`, ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]string, len(ids))
	for rows.Next() {
		var id int64
		var kind string
		if err := rows.Scan(&id, &kind); err != nil {
			return nil, err
		}
		out[id] = kind
	}
	return out, rows.Err()
}

// VisibleRepoIDs returns the ids of every live repository the viewer may see.
func (rs *RepoStore) VisibleRepoIDs(ctx context.Context, v Viewer) ([]int64, error) {
	return collect(ctx, rs.s, sqlf.Sprintf("SELECT r.id FROM repo r WHERE r.deleted_at IS NULL AND %s ORDER BY r.id", VisibleRepoCond(v, "r")), func(row pgx.Row) (int64, error) {
		var id int64
		err := row.Scan(&id)
		return id, err
	})
}

// SourcedRepo is a repository as a code host connection lists it.
type SourcedRepo struct {
	Name          string
	URI           string
	Description   string
	CloneURL      string
	ExternalID    string
	DefaultBranch string
	Fork          bool
	Archived      bool
	Private       bool
}

// SyncResult says what a connection sync changed.
type SyncResult struct {
	Added, Updated, Removed int
	NewRepoIDs              []int64
}

// SyncFromService makes the connection's repositories exactly repos: new ones are
// inserted (and queued for cloning), known ones updated, and ones the connection no longer
// lists are unlinked (and soft-deleted when no other connection brings them). With
// partial set (the code host answered for only some repositories), nothing is removed.
func (rs *RepoStore) SyncFromService(ctx context.Context, serviceID int64, repos []SourcedRepo, partial bool) (SyncResult, error) {
	var res SyncResult
	err := rs.s.Transact(ctx, func(tx *Store) error {
		n := len(repos)
		names, uris, descs, clones, extIDs, branches := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		forks, archived, private := make([]bool, n), make([]bool, n), make([]bool, n)
		seen := map[string]bool{}
		for i, r := range repos {
			if seen[r.Name] {
				return fmt.Errorf("the connection lists repository %q twice", r.Name)
			}
			seen[r.Name] = true
			names[i], uris[i], descs[i], clones[i], extIDs[i], branches[i] = r.Name, r.URI, r.Description, r.CloneURL, r.ExternalID, r.DefaultBranch
			forks[i], archived[i], private[i] = r.Fork, r.Archived, r.Private
		}
		rows, err := tx.query(ctx, sqlf.Sprintf(`INSERT INTO repo (name, uri, description, external_id, default_branch, fork, archived, private)
SELECT * FROM unnest(%s::citext[], %s::text[], %s::text[], %s::text[], %s::text[], %s::bool[], %s::bool[], %s::bool[])
ON CONFLICT (name) WHERE deleted_at IS NULL DO UPDATE SET
  uri = EXCLUDED.uri, description = EXCLUDED.description, external_id = EXCLUDED.external_id,
  default_branch = CASE WHEN EXCLUDED.default_branch <> '' THEN EXCLUDED.default_branch ELSE repo.default_branch END,
  fork = EXCLUDED.fork, archived = EXCLUDED.archived, private = EXCLUDED.private,
  updated_at = CASE WHEN (repo.uri, repo.description, repo.external_id, repo.fork, repo.archived, repo.private) IS DISTINCT FROM
    (EXCLUDED.uri, EXCLUDED.description, EXCLUDED.external_id, EXCLUDED.fork, EXCLUDED.archived, EXCLUDED.private) THEN now() ELSE repo.updated_at END
RETURNING id, (xmax = 0) AS inserted`, names, uris, descs, extIDs, branches, forks, archived, private))
		if err != nil {
			return err
		}
		ids := make([]int64, 0, n)
		for rows.Next() {
			var id int64
			var inserted bool
			if err := rows.Scan(&id, &inserted); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			if inserted {
				res.Added++
				res.NewRepoIDs = append(res.NewRepoIDs, id)
			} else {
				res.Updated++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf(`INSERT INTO external_service_repos (external_service_id, repo_id, clone_url)
SELECT %s, * FROM unnest(%s::bigint[], %s::text[])
ON CONFLICT (external_service_id, repo_id) DO UPDATE SET clone_url = EXCLUDED.clone_url`, serviceID, ids, clones)); err != nil {
			return err
		}
		if !partial {
			tag, err := tx.exec(ctx, sqlf.Sprintf("DELETE FROM external_service_repos WHERE external_service_id = %s AND NOT (repo_id = ANY(%s))", serviceID, ids))
			if err != nil {
				return err
			}
			res.Removed = int(tag.RowsAffected())
			if _, err := tx.Repos().deleteOrphans(ctx); err != nil {
				return err
			}
		}
		if len(res.NewRepoIDs) > 0 {
			_, err = tx.exec(ctx, sqlf.Sprintf(`INSERT INTO repo_fetch_jobs (repo_id, reason, priority) SELECT unnest(%s::bigint[]), 'clone', 5`, res.NewRepoIDs))
		}
		return err
	})
	return res, err
}

// deleteOrphans soft-deletes live repositories that no live connection brings.
func (rs *RepoStore) deleteOrphans(ctx context.Context) (int64, error) {
	tag, err := rs.s.exec(ctx, sqlf.Sprintf(`UPDATE repo r SET deleted_at = now() WHERE r.deleted_at IS NULL
AND NOT EXISTS (SELECT 1 FROM external_service_repos esr JOIN external_services e ON e.id = esr.external_service_id WHERE esr.repo_id = r.id AND e.deleted_at IS NULL)`))
	return tag.RowsAffected(), err
}

// CloneSource is where and how to fetch a repository.
type CloneSource struct {
	Repo     *Repo
	Service  *ExternalService
	CloneURL string
}

// CloneSources returns the repository with every connection that brings it (the first one
// is preferred for fetching).
func (rs *RepoStore) CloneSources(ctx context.Context, repoID int64) ([]CloneSource, error) {
	repo, err := rs.GetByID(ctx, InternalViewer, repoID)
	if err != nil {
		return nil, err
	}
	svcs, urls, err := rs.s.ExternalServices().ListForRepo(ctx, repoID)
	if err != nil {
		return nil, err
	}
	out := make([]CloneSource, len(svcs))
	for i := range svcs {
		out[i] = CloneSource{Repo: repo, Service: svcs[i], CloneURL: urls[i]}
	}
	return out, nil
}

// FindForWebhook returns the live repositories that the given connections bring and that
// match any of the names, clone URLs or external ids a webhook payload carries.
func (rs *RepoStore) FindForWebhook(ctx context.Context, serviceIDs []int64, names, cloneURLs, externalIDs []string) ([]*Repo, error) {
	for _, l := range []*[]string{&names, &cloneURLs, &externalIDs} {
		if *l == nil {
			*l = []string{}
		}
	}
	return collect(ctx, rs.s, sqlf.Sprintf(`SELECT `+repoColumns+` FROM repo r WHERE r.deleted_at IS NULL AND r.id IN (
  SELECT esr.repo_id FROM external_service_repos esr JOIN external_services e ON e.id = esr.external_service_id
  WHERE e.deleted_at IS NULL AND e.id = ANY(%s) AND (esr.clone_url = ANY(%s)))
OR (r.deleted_at IS NULL AND r.id IN (SELECT esr.repo_id FROM external_service_repos esr WHERE esr.external_service_id = ANY(%s))
  AND (r.name = ANY(%s::citext[]) OR (r.external_id <> '' AND r.external_id = ANY(%s))))
ORDER BY r.id`, serviceIDs, cloneURLs, serviceIDs, names, externalIDs), scanRepo)
}
