package search

import (
	"context"
	"errors"

	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// ReadBlobs returns the contents of the blobs oids of a repository's mirror, for callers
// that show whole files of results (the API's GitBlob.content): one batch, one reader.
// Objects missing from the mirror are left out of the map. The caller has checked that
// its actor may see the repository (the blobs come from a search's results).
func (s *Service) ReadBlobs(ctx context.Context, repo *store.Repo, oids []string) (map[string][]byte, error) {
	if s.mirrors == nil {
		return nil, errors.New("the search service has no mirror source")
	}
	m, err := s.mirrors.Mirror(ctx, repo)
	if err != nil {
		return nil, err
	}
	r, err := m.NewBlobReader(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := make(map[string][]byte, len(oids))
	err = r.ReadBatch(oids, func(info vcs.ObjectInfo, data []byte) error {
		if !info.Missing {
			out[info.Name] = append([]byte(nil), data...) // data is the reader's until fn returns
		}
		return nil
	})
	return out, err
}
