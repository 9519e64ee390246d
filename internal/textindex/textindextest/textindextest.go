// Package textindextest holds what tests of the text search index share: starting an
// indexer with the searcher over its directory, and waiting until the searcher serves a
// repository's shard with given branches (zoekt loads a new shard within seconds of its
// build, so tests poll). Used by the tests of textindex, search, the index routines and
// the API.
package textindextest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/textindex"
)

// New returns an indexer writing into a fresh directory with opts (Dir is set), and the
// searcher over that directory, closed when the test ends.
func New(t testing.TB, opts textindex.Options) (*textindex.Indexer, *textindex.Local) {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	ix, err := textindex.NewIndexer(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := textindex.NewLocal(ix.Dir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return ix, b
}

// Served returns the branches b serves repository id with (its shard whose default
// branch is at the first of want, else any), default branch first.
func Served(ctx context.Context, b textindex.Backend, id uint32, head string, maxFileSize int64) ([]textindex.Branch, error) {
	e, err := b.Entry(ctx, id, textindex.ShardVersion(head, maxFileSize))
	if err != nil || e == nil {
		return nil, err
	}
	var out []textindex.Branch
	for _, rb := range e.Repository.Branches {
		out = append(out, textindex.Branch{Name: rb.Name, Commit: textindex.CommitOf(rb.Version)})
	}
	return out, nil
}

// WaitBranches waits (up to 30s) until b serves repository id with exactly want, built
// with the size limit maxFileSize.
func WaitBranches(t testing.TB, b textindex.Backend, id uint32, maxFileSize int64, want []textindex.Branch) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := Served(context.Background(), b, id, want[0].Commit, maxFileSize)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("repository %d is served with branches %v, want %v", id, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
