package search

import (
	"context"
	"slices"
	"sort"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// revSet is what to search in one repository: the revisions of a content search, or
// the include/exclude sets of a commit search.
type revSet struct {
	// revs are the revisions as named ("" is the default branch).
	revs    []string
	exclude []string
}

// Revisions are what a caller asks to search in one repository: Include revisions
// (each searched for content; their history for commits and diffs) without the history
// of Exclude (commits and diffs only): a code monitor's "new1 new2 ^old1 ^old2".
type Revisions struct {
	Include, Exclude []string
}

// revisionsFor returns the revisions of a repository a Basic query asks for.
func revisionsFor(ctx context.Context, b query.Basic, r *store.Repo, m *vcs.Mirror) (revSet, error) {
	include, _ := b.Repos()
	var specs []query.RevSpec
	for _, f := range include {
		specs = append(specs, f.Revs...)
	}
	if len(specs) == 0 {
		return revSet{revs: []string{""}}, nil
	}
	var rs revSet
	var globs, notGlobs []string
	timed := false
	for _, sp := range specs {
		switch {
		case !sp.AtTime.IsZero():
			timed = true
			commit, err := commitAtTime(ctx, r, m, sp)
			if err != nil {
				return revSet{}, err
			}
			if commit != "" {
				rs.revs = append(rs.revs, commit)
			}
		case sp.RefGlob != "" && sp.Exclude:
			notGlobs = append(notGlobs, sp.RefGlob)
		case sp.RefGlob != "":
			globs = append(globs, sp.RefGlob)
		case sp.Exclude:
			rs.exclude = append(rs.exclude, sp.Rev)
		default:
			rs.revs = append(rs.revs, sp.Rev)
		}
	}
	if len(globs) > 0 {
		refs, err := m.ListRefs(ctx)
		if err != nil {
			return revSet{}, err
		}
		for _, ref := range refs {
			if RefGlobMatch(globs, ref.Name) && !RefGlobMatch(notGlobs, ref.Name) {
				rs.revs = append(rs.revs, ref.Name)
			}
		}
		sort.Strings(rs.revs)
	}
	if len(rs.revs) == 0 && len(globs) == 0 && !timed {
		rs.revs = []string{""} // only exclusions: the default branch without them
	}
	rs.revs = slices.Compact(rs.revs)
	return rs, nil
}

// commitAtTime resolves at.time(T[, REV]): the newest commit reachable from REV (the
// default branch) committed at or before T, as an insight's backfill samples it; ""
// when the history starts after T.
func commitAtTime(ctx context.Context, r *store.Repo, m *vcs.Mirror, sp query.RevSpec) (string, error) {
	// A revision that does not exist fails as it does in rev:REV.
	tip, err := resolveRev(ctx, r, m, sp.Rev)
	if err != nil || tip == "" {
		return "", err
	}
	c, err := m.NewestCommitAt(ctx, tip, sp.AtTime)
	if err != nil || c == nil {
		return "", err
	}
	return c.OID, nil
}
