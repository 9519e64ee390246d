// Package repos joins the repository records in Postgres to the git mirrors of this
// process: it finds where and with which credential to fetch a repository, clones or
// fetches it, and records the outcome. Both binaries use it: the worker fetches on a
// schedule and on push, the frontend clones on demand to answer API calls.
package repos

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// CredentialFunc derives the credential to clone with from a connection's kind and config.
type CredentialFunc func(kind, config string) (*vcs.Credential, error)

// Service fetches repositories into this process's mirror cache.
type Service struct {
	Store       *store.Store
	VCS         *vcs.Cache
	Logger      log.Logger
	Credentials CredentialFunc
}

// ErrNoSource is returned for a repository no live connection brings.
var ErrNoSource = errors.New("no code host connection provides this repository")

// Remote returns how to reach the repository: its first connection's clone URL and
// credential.
func (s *Service) Remote(ctx context.Context, repo *store.Repo) (vcs.Repo, error) {
	sources, err := s.Store.Repos().CloneSources(ctx, repo.ID)
	if err != nil {
		return vcs.Repo{}, err
	}
	if len(sources) == 0 {
		return vcs.Repo{}, fmt.Errorf("%s: %w", repo.Name, ErrNoSource)
	}
	src := sources[0]
	var cred *vcs.Credential
	if s.Credentials != nil {
		if cred, err = s.Credentials(src.Service.Kind, src.Service.Config); err != nil {
			return vcs.Repo{}, fmt.Errorf("credential of connection %q: %w", src.Service.DisplayName, err)
		}
	}
	return vcs.Repo{Name: repo.Name, URL: src.CloneURL, Credential: cred}, nil
}

// Mirror returns this process's mirror of the repository, at least as fresh as the last
// fetch any worker recorded (so every process sees the heads the database lists): it clones
// a missing mirror and fetches one older than the recorded fetch. The caller has already
// checked that its actor may see the repository.
func (s *Service) Mirror(ctx context.Context, repo *store.Repo) (*vcs.Mirror, error) {
	if m, err := s.VCS.Mirror(repo.Name); err == nil {
		if last, err := s.VCS.LastFetch(repo.Name); err == nil && (repo.LastFetchedAt == nil || !last.Before(*repo.LastFetchedAt)) {
			return m, nil
		}
	}
	remote, err := s.Remote(ctx, repo)
	if err != nil {
		return nil, err
	}
	maxAge := time.Duration(0)
	if repo.LastFetchedAt != nil {
		maxAge = time.Since(*repo.LastFetchedAt)
	}
	if maxAge <= 0 {
		return s.VCS.EnsureCloned(ctx, remote)
	}
	res, err := s.VCS.EnsureFresh(ctx, remote, maxAge)
	if err != nil {
		return nil, err
	}
	return res.Mirror, nil
}

// FetchReport says what a fetch found.
type FetchReport struct {
	Repo     *store.Repo
	OldHeads map[string]string
	NewHeads map[string]string
	// Changed is true when the branch heads differ from what the database last recorded
	// (by any process), which is what monitors care about: this process's own mirror may
	// have been behind or ahead.
	Changed bool
}

// ChangeListener is told about a fetch that changed a repository's branch heads. It runs
// in the transaction that records the new heads and writes only through tx (never the
// pool: that would hold one connection while waiting for another), so the heads and what
// the listener queues commit together: a failed listener, or a process that dies before
// the commit, leaves the change unrecorded for the next fetch to report again.
type ChangeListener func(ctx context.Context, tx *store.Store, report *FetchReport) error

// Fetch clones or fetches the repository and records the outcome (status, error, heads,
// next fetch time) on its row. When the heads differ from the recorded ones, onChange
// (when set) runs in the transaction that records them (see ChangeListener).
func (s *Service) Fetch(ctx context.Context, repoID int64, onChange ChangeListener) (*FetchReport, error) {
	repo, err := s.Store.Repos().GetByID(ctx, store.InternalViewer, repoID)
	if err != nil {
		return nil, err
	}
	remote, err := s.Remote(ctx, repo)
	if err != nil {
		return nil, err
	}
	if repo.CloneStatus != store.CloneStatusCloned {
		if err := s.Store.Repos().SetCloning(ctx, repoID); err != nil {
			return nil, err
		}
	}
	f, fetchErr := s.fetch(ctx, remote, repo)
	if fetchErr != nil {
		if ctx.Err() != nil {
			return nil, fetchErr // shutting down or timed out: not the repository's fault
		}
		if _, err := s.Store.Repos().RecordFetch(ctx, repoID, store.FetchOutcome{Err: fetchErr}); err != nil {
			return nil, errors.Join(fetchErr, err)
		}
		return nil, fetchErr
	}
	changed := !maps.Equal(f.heads, repo.HeadOIDs)
	outcome := store.FetchOutcome{Changed: changed, Heads: f.heads, DefaultBranch: f.branch, SizeBytes: f.size, Language: f.language}
	if !changed || onChange == nil {
		old, err := s.Store.Repos().RecordFetch(ctx, repoID, outcome)
		if err != nil {
			return nil, err
		}
		return &FetchReport{Repo: repo, OldHeads: old, NewHeads: f.heads, Changed: changed}, nil
	}
	report := &FetchReport{Repo: repo, NewHeads: f.heads}
	err = s.Store.Transact(ctx, func(tx *store.Store) error {
		old, err := tx.Repos().RecordFetch(ctx, repoID, outcome)
		if err != nil {
			return err
		}
		// Another process may have recorded (and reported) the same heads meanwhile.
		report.OldHeads, report.Changed = old, !maps.Equal(f.heads, old)
		if !report.Changed {
			return nil
		}
		return onChange(ctx, tx, report)
	})
	if err != nil {
		return nil, err
	}
	return report, nil
}

// fetched is what a fetch reads from the mirror.
type fetched struct {
	heads  map[string]string
	branch string
	// size is 0 and language nil when they were not measured (the recorded ones stay).
	size     int64
	language *string
}

// fetch fetches the mirror and reads its branches and default branch. The size and the
// primary language are measured only when the fetch brought something or they are not
// known yet: they describe the repository (order work, answer Repository.language) and
// are not worth a walk of the tree per fetch.
func (s *Service) fetch(ctx context.Context, remote vcs.Repo, repo *store.Repo) (fetched, error) {
	res, err := s.VCS.Fetch(ctx, remote)
	if err != nil {
		return fetched{}, err
	}
	refs, err := res.Mirror.ListRefs(ctx, "refs/heads/")
	if err != nil {
		return fetched{}, err
	}
	f := fetched{heads: make(map[string]string, len(refs))}
	for _, r := range refs {
		f.heads[r.Name] = r.OID
	}
	if f.branch, _, err = res.Mirror.DefaultBranch(ctx); err != nil {
		return fetched{}, err
	}
	brought := len(res.Changes) > 0
	if brought || repo.SizeBytes == 0 {
		if f.size, err = res.Mirror.DiskSize(ctx); err != nil {
			s.Logger.Warn("measuring the mirror", log.String("repo", remote.Name), log.Error(err))
			f.size = 0
		}
	}
	if head := f.heads["refs/heads/"+f.branch]; head != "" && (brought || repo.Language == nil) {
		lang, err := PrimaryLanguage(ctx, res.Mirror, head)
		if err != nil {
			s.Logger.Warn("measuring the languages of the mirror", log.String("repo", remote.Name), log.Error(err))
		} else {
			f.language = &lang
		}
	}
	return f, nil
}
