package search

import (
	"context"
	"runtime"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/vcs"
)

// MirrorSource gives this process's mirror of a repository (*repos.Service does).
type MirrorSource interface {
	Mirror(ctx context.Context, repo *store.Repo) (*vcs.Mirror, error)
}

// Options tune a Service. Zero fields take defaults.
type Options struct {
	// MaxFileSize: larger files are not searched (Skipped.Large). Default 1 MiB.
	MaxFileSize int64
	// Readers is the number of git object readers (and matching goroutines) one
	// repository's content search uses. Default GOMAXPROCS.
	Readers int
	// RepoConcurrency is the number of repositories searched at once. Default
	// 2×GOMAXPROCS (a repository's search waits on git much of the time).
	RepoConcurrency int
	// Index, when set, answers content searches at the default branch of the
	// repositories whose shard holds their recorded head (see indexed.go).
	Index textindex.Backend
	// IndexMode says when the index is used (IndexAuto by default).
	IndexMode IndexMode
	// OnMissingShard is told about the repositories a search would have read from the
	// index but whose shard is missing or not current (an on-demand indexer).
	OnMissingShard func(repos []*store.Repo)
}

// DefaultMaxFileSize is the size above which files are not searched, as in zoekt.
const DefaultMaxFileSize = 1 << 20

// Service runs searches over the repositories in the store and their git mirrors.
type Service struct {
	store   *store.Store
	mirrors MirrorSource
	cache   *BlobCache
	logger  log.Logger
	opts    Options
}

// NewService returns a search service. cache may be nil (no memoization); logger nil
// for none.
func NewService(st *store.Store, mirrors MirrorSource, cache *BlobCache, logger log.Logger, opts Options) *Service {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Readers <= 0 {
		opts.Readers = runtime.GOMAXPROCS(0)
	}
	if opts.RepoConcurrency <= 0 {
		opts.RepoConcurrency = 2 * runtime.GOMAXPROCS(0)
	}
	if logger == nil {
		logger = log.NoOp()
	}
	return &Service{store: st, mirrors: mirrors, cache: cache, logger: logger, opts: opts}
}

// Cache returns the service's blob cache (nil when it has none).
func (s *Service) Cache() *BlobCache { return s.cache }
