package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/store"
)

func TestPruneBlobCounts(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDB(t)
	st := store.New(db)
	put := func(signature string, n int, age time.Duration) {
		t.Helper()
		counts := make([]store.BlobCount, n)
		for i := range counts {
			counts[i] = store.BlobCount{OID: fmt.Sprintf("%040x", i), Matches: 1, Lines: 1}
		}
		if err := st.Search().PutBlobCounts(ctx, []byte(signature), counts); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, "UPDATE search_blob_counts SET created_at = now() - $2::interval WHERE signature = $1", []byte(signature), age.String()); err != nil {
			t.Fatal(err)
		}
	}
	count := func(signature string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM search_blob_counts WHERE signature = $1", []byte(signature)).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// More old rows than one batch deletes, so the age pass loops.
	put("old", 12500, 40*24*time.Hour)
	put("mid", 3000, 48*time.Hour)
	put("new", 3000, 0)

	n, err := st.Search().PruneBlobCounts(ctx, time.Now().Add(-30*24*time.Hour), 0)
	if err != nil || n != 12500 {
		t.Fatalf("age prune: %d deleted, %v; want 12500", n, err)
	}
	if count("old") != 0 || count("mid") != 3000 || count("new") != 3000 {
		t.Fatalf("after the age prune: old %d, mid %d, new %d", count("old"), count("mid"), count("new"))
	}
	// The size bound deletes the oldest rows first.
	n, err = st.Search().PruneBlobCounts(ctx, time.Time{}, 4000)
	if err != nil || n != 2000 {
		t.Fatalf("size prune: %d deleted, %v; want 2000", n, err)
	}
	if count("mid") != 1000 || count("new") != 3000 {
		t.Fatalf("after the size prune: mid %d, new %d", count("mid"), count("new"))
	}
	// Within both bounds, or without any, nothing goes.
	for _, tc := range []struct {
		before time.Time
		max    int64
	}{{time.Now().Add(-time.Hour * 24 * 30), 4000}, {time.Time{}, 0}, {time.Time{}, -1}} {
		if n, err := st.Search().PruneBlobCounts(ctx, tc.before, tc.max); err != nil || n != 0 {
			t.Errorf("prune %v %d: %d deleted, %v", tc.before, tc.max, n, err)
		}
	}
	// What is left still reads back.
	got, err := st.Search().GetBlobCounts(ctx, []byte("new"), []string{fmt.Sprintf("%040x", 7)})
	if err != nil || len(got) != 1 || got[0].Matches != 1 {
		t.Errorf("a kept count: %+v, %v", got, err)
	}
}

func TestSearchContextsStore(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.NewDB(t))
	ss := st.Search()
	if _, err := ss.CreateSearchContext(ctx, "Acme", "the acme repos", "repo:acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.CreateSearchContext(ctx, "acme", "", "repo:x"); !errors.Is(err, store.ErrSearchContextExists) {
		t.Errorf("a name differing only in case: %v, want ErrSearchContextExists", err)
	}
	c, err := ss.SearchContextByName(ctx, "ACME")
	if err != nil || c.Name != "Acme" || c.Query != "repo:acme" || c.Description != "the acme repos" {
		t.Errorf("by name, case-insensitive: %+v, %v", c, err)
	}
	if _, err := ss.SearchContextByName(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	if byID, err := ss.SearchContextByID(ctx, c.ID); err != nil || byID.Name != "Acme" {
		t.Errorf("by id: %+v, %v", byID, err)
	}
	if _, err := ss.SearchContextByID(ctx, c.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing id: %v", err)
	}

	// Listing: by name regardless of case, filtered, in pages.
	for _, n := range []string{"beta", "Gamma", "delta"} {
		if _, err := ss.CreateSearchContext(ctx, n, "about "+n, "repo:"+n); err != nil {
			t.Fatal(err)
		}
	}
	list := func(opts store.SearchContextListOptions) []string {
		t.Helper()
		cs, err := ss.ListSearchContexts(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, c := range cs {
			out = append(out, c.Name)
		}
		return out
	}
	if diff := cmp.Diff([]string{"Acme", "beta", "delta", "Gamma"}, list(store.SearchContextListOptions{})); diff != "" {
		t.Errorf("all (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"delta", "Gamma"}, list(store.SearchContextListOptions{After: "beta", Limit: 2})); diff != "" {
		t.Errorf("page after beta (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Acme", "beta", "delta", "Gamma"}, list(store.SearchContextListOptions{Query: "A"})); diff != "" {
		t.Errorf("query A (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"delta"}, list(store.SearchContextListOptions{Query: "ELT"})); diff != "" {
		t.Errorf("query ELT, in another case (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Gamma"}, list(store.SearchContextListOptions{Query: "about gam"})); diff != "" {
		t.Errorf("query in the description (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{}, list(store.SearchContextListOptions{Query: "%"})); diff != "" {
		t.Errorf("a LIKE wildcard is literal (-want +got):\n%s", diff)
	}
	if n, err := ss.CountSearchContexts(ctx, store.SearchContextListOptions{Query: "ta", After: "zzz", Limit: 1}); err != nil || n != 2 {
		t.Errorf("count of ta: %d, %v; want 2 (beta, delta)", n, err)
	}

	if err := ss.DeleteSearchContext(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := ss.DeleteSearchContext(ctx, "acme"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	beta, _ := ss.SearchContextByName(ctx, "beta")
	if err := ss.DeleteSearchContextByID(ctx, beta.ID); err != nil {
		t.Fatal(err)
	}
	if err := ss.DeleteSearchContextByID(ctx, beta.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting by id twice: %v", err)
	}
	if diff := cmp.Diff([]string{"delta", "Gamma"}, list(store.SearchContextListOptions{})); diff != "" {
		t.Errorf("after deletes (-want +got):\n%s", diff)
	}
}
