package search_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
)

func TestBlobCountRetention(t *testing.T) {
	t.Setenv("SEARCH_BLOB_COUNTS_MAX_AGE", "72h")
	t.Setenv("SEARCH_BLOB_COUNTS_MAX_ROWS", "5")
	r := search.BlobCountRetentionFromEnv()
	if r.MaxAge != 72*time.Hour || r.MaxRows != 5 {
		t.Fatalf("from the environment: %+v", r)
	}

	ctx := context.Background()
	db := dbtest.NewDB(t)
	st := store.New(db)
	// Ten counts a week old and ten fresh ones: the age bound takes the old ones, the
	// size bound five of the fresh ones.
	for sig, age := range map[string]string{"old": "7 days", "new": "0"} {
		var counts []store.BlobCount
		for i := range 10 {
			counts = append(counts, store.BlobCount{OID: fmt.Sprintf("%040x", i), Matches: i})
		}
		if err := st.Search().PutBlobCounts(ctx, []byte(sig), counts); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, "UPDATE search_blob_counts SET created_at = now() - $2::interval WHERE signature = $1", []byte(sig), age); err != nil {
			t.Fatal(err)
		}
	}
	n, err := r.Prune(ctx, st, time.Now())
	if err != nil || n != 15 {
		t.Fatalf("pruned %d, %v; want 15", n, err)
	}
	var left int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM search_blob_counts WHERE signature = 'new'").Scan(&left); err != nil || left != 5 {
		t.Errorf("%d fresh counts left, want 5 (%v)", left, err)
	}
	if n, err := (search.BlobCountRetention{}).Prune(ctx, st, time.Now()); err != nil || n != 0 {
		t.Errorf("no bounds: pruned %d, %v", n, err)
	}
}
