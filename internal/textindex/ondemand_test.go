package textindex_test

import (
	"context"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/textindex/textindextest"
	"github.com/lookout/lookout/internal/vcs"
)

type oneMirror struct{ m *vcs.Mirror }

func (o oneMirror) Mirror(context.Context, *store.Repo) (*vcs.Mirror, error) { return o.m, nil }

// TestOnDemand: a repository a search found without a current shard is built in the
// background, at the head its record names, and the same request made again while it
// waits or builds is not built twice.
func TestOnDemand(t *testing.T) {
	w := gittest.NewRepo(t)
	head := w.Commit(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "", "first", map[string]string{"a.go": "package a\n"})
	m, _ := mirrorOf(t, w, "example.com/od")
	ix, b := textindextest.New(t, textindex.Options{})
	heads := 0
	od := textindex.NewOnDemand(ix, oneMirror{m}, func(_ context.Context, r *store.Repo) ([]textindex.Branch, error) {
		heads++
		return []textindex.Branch{{Name: textindex.DefaultBranch, Commit: r.HeadOIDs["refs/heads/main"]}}, nil
	}, nil)
	od.Start(context.Background())
	repo := &store.Repo{ID: 9, Name: "example.com/od", HeadOIDs: map[string]string{"refs/heads/main": head}}
	for range 3 {
		od.Request([]*store.Repo{repo})
	}
	waitVersion(t, b, 9, textindex.ShardVersion(head, textindex.DefaultMaxFileSize))
	if err := od.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if heads != 1 {
		t.Errorf("%d builds for three requests of the same record; want 1", heads)
	}
}
