package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// ExternalService is a code host connection. Config is the decrypted JSON; callers parse
// and validate it (internal/codehost).
type ExternalService struct {
	ID            int64
	Kind          string
	DisplayName   string
	Config        string
	SyncInterval  time.Duration
	NextSyncAt    time.Time
	LastSyncAt    *time.Time
	LastSyncError string
	RepoCount     int
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ExternalServiceStore reads and writes code host connections.
type ExternalServiceStore struct{ s *Store }

func (s *Store) ExternalServices() *ExternalServiceStore { return &ExternalServiceStore{s} }

const externalServiceColumns = "id, kind, display_name, config, extract(epoch from sync_interval)::float8, next_sync_at, last_sync_at, coalesce(last_sync_error, ''), repo_count, created_at, updated_at"

func (es *ExternalServiceStore) scan(row pgx.Row) (*ExternalService, error) {
	var e ExternalService
	var secs float64
	if err := row.Scan(&e.ID, &e.Kind, &e.DisplayName, &e.Config, &secs, &e.NextSyncAt, &e.LastSyncAt, &e.LastSyncError, &e.RepoCount, &e.CreatedAt, &e.UpdatedAt); err != nil {
		return nil, err
	}
	e.SyncInterval = time.Duration(secs * float64(time.Second))
	cfg, err := es.s.key.Decrypt(e.Config)
	if err != nil {
		return nil, fmt.Errorf("reading config of code host connection %d: %w", e.ID, err)
	}
	e.Config = cfg
	return &e, nil
}

// Create stores a connection and queues its first sync.
func (es *ExternalServiceStore) Create(ctx context.Context, kind, displayName, config string, syncInterval time.Duration) (*ExternalService, error) {
	stored, err := es.s.key.Encrypt(config)
	if err != nil {
		return nil, err
	}
	if syncInterval <= 0 {
		syncInterval = time.Hour
	}
	var svc *ExternalService
	err = es.s.Transact(ctx, func(tx *Store) error {
		var err error
		svc, err = tx.ExternalServices().scan(tx.queryRow(ctx, sqlf.Sprintf(
			"INSERT INTO external_services (kind, display_name, config, sync_interval) VALUES (%s, %s, %s, %s::interval) RETURNING "+externalServiceColumns,
			kind, displayName, stored, syncInterval.String())))
		if err != nil {
			return err
		}
		return tx.ExternalServices().EnqueueSync(ctx, svc.ID)
	})
	return svc, err
}

// Update changes a connection's name and/or config and queues a sync; reindex also
// queues a shard build of each of its repositories (its indexed branches changed).
func (es *ExternalServiceStore) Update(ctx context.Context, id int64, displayName, config *string, reindex bool) (*ExternalService, error) {
	sets := []*sqlf.Query{sqlf.Sprintf("updated_at = now()")}
	if displayName != nil {
		sets = append(sets, sqlf.Sprintf("display_name = %s", *displayName))
	}
	if config != nil {
		stored, err := es.s.key.Encrypt(*config)
		if err != nil {
			return nil, err
		}
		sets = append(sets, sqlf.Sprintf("config = %s", stored))
	}
	var svc *ExternalService
	err := es.s.Transact(ctx, func(tx *Store) error {
		var err error
		svc, err = tx.ExternalServices().scan(tx.queryRow(ctx, sqlf.Sprintf("UPDATE external_services SET %s WHERE id = %s AND deleted_at IS NULL RETURNING "+externalServiceColumns, sqlf.Join(sets, ", "), id)))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("code host connection %d", id)
		}
		if err != nil {
			return err
		}
		if reindex {
			if err := tx.Repos().enqueueTextIndexForService(ctx, id, TextIndexReasonConfig); err != nil {
				return err
			}
		}
		return tx.ExternalServices().EnqueueSync(ctx, id)
	})
	return svc, err
}

// Delete soft-deletes a connection and unlinks its repositories; repositories no other
// connection brings are soft-deleted too.
func (es *ExternalServiceStore) Delete(ctx context.Context, id int64) error {
	return es.s.Transact(ctx, func(tx *Store) error {
		tag, err := tx.exec(ctx, sqlf.Sprintf("UPDATE external_services SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL", id))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("code host connection %d", id)
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf("DELETE FROM external_service_repos WHERE external_service_id = %s", id)); err != nil {
			return err
		}
		_, err = tx.Repos().deleteOrphans(ctx)
		return err
	})
}

// GetByID returns a live connection.
func (es *ExternalServiceStore) GetByID(ctx context.Context, id int64) (*ExternalService, error) {
	svc, err := es.scan(es.s.queryRow(ctx, sqlf.Sprintf("SELECT "+externalServiceColumns+" FROM external_services WHERE id = %s AND deleted_at IS NULL", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("code host connection %d", id)
	}
	return svc, err
}

// List returns live connections in id order.
func (es *ExternalServiceStore) List(ctx context.Context, page Page) ([]*ExternalService, error) {
	return collect(ctx, es.s, sqlf.Sprintf("SELECT "+externalServiceColumns+" FROM external_services WHERE deleted_at IS NULL AND id > %s ORDER BY id %s", page.After, page.limitSQL()), es.scan)
}

// ListByKind returns the live connections of a kind.
func (es *ExternalServiceStore) ListByKind(ctx context.Context, kind string) ([]*ExternalService, error) {
	return collect(ctx, es.s, sqlf.Sprintf("SELECT "+externalServiceColumns+" FROM external_services WHERE deleted_at IS NULL AND kind = %s ORDER BY id", kind), es.scan)
}

// ListForRepo returns the live connections that bring repoID, with the clone URL each gives.
func (es *ExternalServiceStore) ListForRepo(ctx context.Context, repoID int64) ([]*ExternalService, []string, error) {
	rows, err := es.s.query(ctx, sqlf.Sprintf(`SELECT e.id, e.kind, e.display_name, e.config, extract(epoch from e.sync_interval)::float8, e.next_sync_at, e.last_sync_at, coalesce(e.last_sync_error, ''), e.repo_count, e.created_at, e.updated_at, r.clone_url
FROM external_services e JOIN external_service_repos r ON r.external_service_id = e.id
WHERE r.repo_id = %s AND e.deleted_at IS NULL ORDER BY e.id`, repoID))
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var svcs []*ExternalService
	var urls []string
	for rows.Next() {
		var url string
		var e ExternalService
		var secs float64
		if err := rows.Scan(&e.ID, &e.Kind, &e.DisplayName, &e.Config, &secs, &e.NextSyncAt, &e.LastSyncAt, &e.LastSyncError, &e.RepoCount, &e.CreatedAt, &e.UpdatedAt, &url); err != nil {
			return nil, nil, err
		}
		e.SyncInterval = time.Duration(secs * float64(time.Second))
		if e.Config, err = es.s.key.Decrypt(e.Config); err != nil {
			return nil, nil, err
		}
		svcs = append(svcs, &e)
		urls = append(urls, url)
	}
	return svcs, urls, rows.Err()
}

// Count counts live connections.
func (es *ExternalServiceStore) Count(ctx context.Context) (int, error) {
	return es.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM external_services WHERE deleted_at IS NULL"))
}

// EnqueueSync queues a sync of the connection unless one is already queued.
func (es *ExternalServiceStore) EnqueueSync(ctx context.Context, id int64) error {
	_, err := es.s.exec(ctx, sqlf.Sprintf(`INSERT INTO external_service_sync_jobs (external_service_id) SELECT %s
WHERE NOT EXISTS (SELECT 1 FROM external_service_sync_jobs WHERE external_service_id = %s AND state = 'queued')`, id, id))
	return err
}

// EnqueueDueSyncs queues a sync for every connection whose next sync is due and that has
// no queued or running sync, and returns how many it queued.
func (es *ExternalServiceStore) EnqueueDueSyncs(ctx context.Context) (int64, error) {
	tag, err := es.s.exec(ctx, sqlf.Sprintf(`INSERT INTO external_service_sync_jobs (external_service_id)
SELECT e.id FROM external_services e
WHERE e.deleted_at IS NULL AND e.next_sync_at <= now()
AND NOT EXISTS (SELECT 1 FROM external_service_sync_jobs j WHERE j.external_service_id = e.id AND j.state IN ('queued', 'processing', 'errored'))`))
	return tag.RowsAffected(), err
}

// RecordSync stores a sync's outcome and schedules the next one.
func (es *ExternalServiceStore) RecordSync(ctx context.Context, id int64, repoCount int, syncErr error) error {
	msg := ""
	if syncErr != nil {
		msg = syncErr.Error()
	}
	_, err := es.s.exec(ctx, sqlf.Sprintf(`UPDATE external_services SET last_sync_at = now(), last_sync_error = nullif(%s, ''),
repo_count = CASE WHEN %s = '' THEN %s ELSE repo_count END, next_sync_at = now() + sync_interval WHERE id = %s`, msg, msg, repoCount, id))
	return err
}

// SyncJob is a row of external_service_sync_jobs.
type SyncJob struct {
	ID                int64
	ExternalServiceID int64
	State             string
	FailureMessage    string
	QueuedAt          time.Time
	FinishedAt        *time.Time
	NumFailures       int
	ReposAdded        *int
	ReposRemoved      *int
}

func (j *SyncJob) RecordID() int64 { return j.ID }

// SyncJobColumns are read by the sync worker's queue store.
var SyncJobColumns = []string{"id", "external_service_id", "state", "coalesce(failure_message, '')", "queued_at", "finished_at", "num_failures", "repos_added", "repos_removed"}

// ScanSyncJob scans SyncJobColumns.
func ScanSyncJob(row pgx.Row) (*SyncJob, error) {
	var j SyncJob
	err := row.Scan(&j.ID, &j.ExternalServiceID, &j.State, &j.FailureMessage, &j.QueuedAt, &j.FinishedAt, &j.NumFailures, &j.ReposAdded, &j.ReposRemoved)
	return &j, err
}

// RecordSyncJobResult stores how many repositories a sync added and removed.
func (es *ExternalServiceStore) RecordSyncJobResult(ctx context.Context, jobID int64, added, removed int) error {
	_, err := es.s.exec(ctx, sqlf.Sprintf("UPDATE external_service_sync_jobs SET repos_added = %s, repos_removed = %s WHERE id = %s", added, removed, jobID))
	return err
}

// LastSyncJobs returns the newest sync jobs of a connection.
func (es *ExternalServiceStore) LastSyncJobs(ctx context.Context, id int64, limit int) ([]*SyncJob, error) {
	q := sqlf.Sprintf("SELECT id, external_service_id, state, coalesce(failure_message, ''), queued_at, finished_at, num_failures, repos_added, repos_removed FROM external_service_sync_jobs WHERE external_service_id = %s ORDER BY id DESC LIMIT %s", id, limit)
	return collect(ctx, es.s, q, ScanSyncJob)
}

// ListAllConfigs returns every connection, deleted ones too (their configs may still hold
// secrets), for start-up upgrades of what earlier versions stored.
func (es *ExternalServiceStore) ListAllConfigs(ctx context.Context) ([]*ExternalService, error) {
	return collect(ctx, es.s, sqlf.Sprintf("SELECT "+externalServiceColumns+" FROM external_services ORDER BY id"), es.scan)
}

// RewriteConfig replaces a connection's config on Lookout's own account (a start-up
// upgrade, not a user's update), stored encrypted. Without a flag, a live connection is
// queued for a sync; a flag instead becomes its last sync error, so that admins see what
// needs their attention until the next scheduled sync.
func (es *ExternalServiceStore) RewriteConfig(ctx context.Context, id int64, config, flag string) error {
	stored, err := es.s.key.Encrypt(config)
	if err != nil {
		return err
	}
	return es.s.Transact(ctx, func(tx *Store) error {
		var live bool
		err := tx.queryRow(ctx, sqlf.Sprintf(`UPDATE external_services SET config = %s, last_sync_error = coalesce(nullif(%s, ''), last_sync_error)
WHERE id = %s RETURNING deleted_at IS NULL`, stored, flag, id)).Scan(&live)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("code host connection %d", id)
		}
		if err != nil || !live || flag != "" {
			return err
		}
		return tx.ExternalServices().EnqueueSync(ctx, id)
	})
}
