package insights

import (
	"context"
	"sort"
	"time"

	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// DefaultHead returns the commit of the repository's default branch as the search
// reads it (search.DefaultHead: the head the last fetch recorded, else the mirror's
// HEAD), or "" for an empty repository.
func DefaultHead(ctx context.Context, repo *store.Repo, m *vcs.Mirror) (string, error) {
	return search.DefaultHead(ctx, repo, m)
}

// SampleCommits returns, for each time, the newest commit reachable from head with a
// committer date at or before it ("" when the time precedes the history), as
// NewestCommitAt would, but from one walk of the log that stops at the oldest time.
func SampleCommits(ctx context.Context, m *vcs.Mirror, head string, times []time.Time) (map[time.Time]string, error) {
	out := make(map[time.Time]string, len(times))
	pending := make([]time.Time, len(times))
	copy(pending, times)
	sort.Slice(pending, func(i, j int) bool { return pending[i].After(pending[j]) }) // newest first
	for _, t := range pending {
		out[t] = ""
	}
	if head == "" || len(pending) == 0 {
		return out, nil
	}
	i := 0
	for c, err := range m.Log(ctx, vcs.LogOptions{Include: []string{head}}) {
		if err != nil {
			return nil, err
		}
		// In walk order, the first commit dated at or before a time is the newest one.
		for i < len(pending) && !c.Committer.Date.After(pending[i]) {
			out[pending[i]] = c.OID
			i++
		}
		if i == len(pending) {
			break
		}
	}
	return out, nil
}
