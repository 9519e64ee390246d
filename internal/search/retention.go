package search

import (
	"context"
	"fmt"
	"time"

	"github.com/lookout/lookout/internal/env"
	"github.com/lookout/lookout/internal/store"
)

// BlobCountRetention bounds the per-blob counts persisted in search_blob_counts (see
// BlobCache): insight backfills add a row per distinct blob and pattern, and nothing
// else removes them. A pruned count is recomputed when a search needs it again.
type BlobCountRetention struct {
	// MaxAge: counts stored longer ago are deleted (0: no age bound).
	MaxAge time.Duration
	// MaxRows: the oldest counts beyond this many are deleted (0: no size bound).
	MaxRows int64
}

// Defaults of BlobCountRetention: a month of counts (a backfill that runs again within
// it reads them back), and at most two million rows (a few hundred MB with indexes).
const (
	DefaultBlobCountMaxAge  = 30 * 24 * time.Hour
	DefaultBlobCountMaxRows = 2_000_000
)

// BlobCountRetentionFromEnv reads SEARCH_BLOB_COUNTS_MAX_AGE and
// SEARCH_BLOB_COUNTS_MAX_ROWS.
func BlobCountRetentionFromEnv() BlobCountRetention {
	return BlobCountRetention{
		MaxAge:  env.Duration("SEARCH_BLOB_COUNTS_MAX_AGE", DefaultBlobCountMaxAge, "Persisted per-blob search counts older than this are deleted by the janitor (0: kept regardless of age)."),
		MaxRows: int64(env.Int("SEARCH_BLOB_COUNTS_MAX_ROWS", DefaultBlobCountMaxRows, "The janitor deletes the oldest persisted per-blob search counts beyond this many rows (0: no limit).")),
	}
}

// Prune deletes the counts the retention does not keep, as of now, and returns how
// many it deleted.
func (r BlobCountRetention) Prune(ctx context.Context, st *store.Store, now time.Time) (int64, error) {
	var before time.Time
	if r.MaxAge > 0 {
		before = now.Add(-r.MaxAge)
	}
	n, err := st.Search().PruneBlobCounts(ctx, before, r.MaxRows)
	if err != nil {
		return n, fmt.Errorf("pruning persisted search counts: %w", err)
	}
	return n, nil
}
