// Package cmsearch is the search side of code monitors, shared by the API (which checks a
// query and snapshots what it covers when a monitor is created or its query changes) and
// the worker (which runs it only over commits it has not searched yet).
//
// A monitor's revisions are resolved from the branch heads the last fetch recorded on
// each repository row (repo.head_oids), not from a mirror: that is the state every
// process agrees on, it costs no git command, and it is what a push changes.
package cmsearch

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// ParseQuery parses a monitor's query as of now and checks that every branch of it is a
// commit or diff search. Errors are *query.Error or query.ErrCommitOrDiffRequired.
func ParseQuery(q string, now time.Time) (query.Plan, error) {
	if strings.TrimSpace(q) == "" {
		return nil, &query.Error{Pos: -1, Msg: "the query is empty"}
	}
	plan, err := query.ParseWith(q, query.Options{Now: now})
	if err != nil {
		return nil, err
	}
	if err := plan.CheckCommitOrDiff(); err != nil {
		return nil, err
	}
	return plan, nil
}

// Covers reports whether some branch of plan may search repo: its repository scope as
// the search applies it (repo:, -repo:, fork:, archived:, visibility:). A context:
// filter is left to the search, which applies it again, so Covers errs on the side of
// yes there (search.ScopeMayAdmit: a fork the context names passes): a repository
// wrongly left out would be a missed notification.
func Covers(plan query.Plan, repo *store.Repo) bool {
	for _, b := range plan {
		if search.ScopeMayAdmit(b, repo) {
			return true
		}
	}
	return false
}

var fullOID = regexp.MustCompile(`^[0-9a-f]{40}$`)

// Revisions resolves what plan searches in repo to commit ids: include is the sorted,
// deduplicated set of heads to search from, exclude the heads whose history the query
// itself leaves out (^rev). An empty include means nothing can be searched (an empty or
// not yet fetched repository, or revisions it does not have).
func Revisions(plan query.Plan, repo *store.Repo) (include, exclude []string) {
	for _, b := range plan {
		if !search.ScopeAdmits(b, nil, repo) {
			continue
		}
		inc, exc := basicRevisions(b, repo)
		include = append(include, inc...)
		exclude = append(exclude, exc...)
	}
	slices.Sort(include)
	slices.Sort(exclude)
	return slices.Compact(include), slices.Compact(exclude)
}

func basicRevisions(b query.Basic, repo *store.Repo) (include, exclude []string) {
	filters, _ := b.Repos()
	var specs []query.RevSpec
	for _, f := range filters {
		specs = append(specs, f.Revs...)
	}
	var globs, notGlobs []string
	named := false
	for _, sp := range specs {
		switch {
		case sp.RefGlob != "" && sp.Exclude:
			notGlobs = append(notGlobs, sp.RefGlob)
		case sp.RefGlob != "":
			globs = append(globs, sp.RefGlob)
			named = true
		case sp.Exclude:
			if oid := resolve(repo, sp.Rev); oid != "" {
				exclude = append(exclude, oid)
			}
		default:
			named = true
			if oid := resolve(repo, sp.Rev); oid != "" {
				include = append(include, oid)
			}
		}
	}
	for ref, oid := range repo.HeadOIDs {
		if len(globs) > 0 && search.RefGlobMatch(globs, ref) && !search.RefGlobMatch(notGlobs, ref) {
			include = append(include, oid)
		}
	}
	if !named {
		if oid := resolve(repo, ""); oid != "" {
			include = append(include, oid)
		}
	}
	return include, exclude
}

// resolve finds a revision among the recorded heads: "" and HEAD are the default branch,
// a branch by short or full name, or a full commit id as it is.
func resolve(repo *store.Repo, rev string) string {
	if rev == "" || rev == "HEAD" {
		return search.RecordedDefaultHead(repo)
	}
	if oid := repo.HeadOIDs["refs/heads/"+rev]; oid != "" {
		return oid
	}
	if oid := repo.HeadOIDs[rev]; oid != "" {
		return oid
	}
	if fullOID.MatchString(rev) {
		return rev
	}
	return ""
}

// Snapshot returns the current heads of every repository the viewer may see that plan
// covers: what a new monitor (or a changed query) starts from, so that it reports only
// commits pushed from now on.
func Snapshot(ctx context.Context, st *store.Store, viewer store.Viewer, plan query.Plan) (map[int64][]string, error) {
	repos, err := st.Repos().List(ctx, viewer, store.RepoListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing repositories for the monitor's snapshot: %w", err)
	}
	snap := map[int64][]string{}
	for _, r := range repos {
		if !Covers(plan, r) {
			continue
		}
		if inc, _ := Revisions(plan, r); len(inc) > 0 {
			snap[r.ID] = inc
		}
	}
	return snap, nil
}
