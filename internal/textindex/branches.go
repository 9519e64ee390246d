package textindex

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/sourcegraph/zoekt"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/store"
)

// Branches of a shard. A shard holds the repository's default branch, under zoekt's name
// "HEAD" (which its branch queries take as the first branch), and the branches its code
// host connections list for indexing ("indexedBranches"), under their own names. A file
// that is the same blob on several branches is one document carrying all their names.
// The shard records each branch's version (ShardVersion: layout, size limit, commit), so
// a search at a branch reads the shard only when the branch's version there is that of
// the branch's recorded head.

// DefaultBranch is the shard's name for the repository's default branch.
const DefaultBranch = "HEAD"

// MaxBranches is how many branches a shard holds at most (zoekt's branch mask).
const MaxBranches = 64

// Branch is a branch a shard holds and the commit it holds it at.
type Branch struct {
	// Name is DefaultBranch or a branch name (refs/heads/<Name>).
	Name   string
	Commit string
}

// ShardBranches returns the branches a repository's shard is to hold: the default branch
// at head first, then each listed branch the last fetch recorded (heads maps refs to
// commits), in name order, leaving out the default branch itself and any beyond
// MaxBranches. It returns nil when head is "" (an empty repository has no shard).
func ShardBranches(head, defaultBranch string, heads map[string]string, listed []string) []Branch {
	if head == "" {
		return nil
	}
	out := []Branch{{Name: DefaultBranch, Commit: head}}
	listed = slices.Clone(listed)
	sort.Strings(listed)
	for _, name := range slices.Compact(listed) {
		if len(out) == MaxBranches {
			break
		}
		if commit := heads["refs/heads/"+name]; commit != "" && name != defaultBranch && name != DefaultBranch {
			out = append(out, Branch{Name: name, Commit: commit})
		}
	}
	return out
}

// ListedBranches returns the branches the live connections that bring repo list for
// indexing. A stored config that no longer parses lists none (its connection's sync
// reports the problem).
func ListedBranches(ctx context.Context, st *store.Store, repo *store.Repo) ([]string, error) {
	svcs, _, err := st.ExternalServices().ListForRepo(ctx, repo.ID)
	if err != nil {
		return nil, fmt.Errorf("connections of %s: %w", repo.Name, err)
	}
	var out []string
	for _, svc := range svcs {
		cfg, err := codehost.ParseConfig(codehost.Kind(svc.Kind), []byte(svc.Config))
		if err != nil {
			continue
		}
		out = append(out, cfg.IndexedBranchesFor(repo.Name)...)
	}
	return out, nil
}

// versionsOf returns the zoekt branches (names and versions) of branches.
func versionsOf(branches []Branch, maxFileSize int64) []zoekt.RepositoryBranch {
	out := make([]zoekt.RepositoryBranch, len(branches))
	for i, b := range branches {
		out[i] = zoekt.RepositoryBranch{Name: b.Name, Version: ShardVersion(b.Commit, maxFileSize)}
	}
	return out
}

// checkBranches refuses branches a shard cannot hold.
func checkBranches(branches []Branch) error {
	if len(branches) == 0 || branches[0].Name != DefaultBranch {
		return fmt.Errorf("a shard's first branch must be the default branch (%s)", DefaultBranch)
	}
	if len(branches) > MaxBranches {
		return fmt.Errorf("%d branches; a shard holds at most %d", len(branches), MaxBranches)
	}
	seen := map[string]bool{}
	for _, b := range branches {
		if b.Name == "" || b.Commit == "" || seen[b.Name] {
			return fmt.Errorf("branch %q at %q: empty or listed twice", b.Name, b.Commit)
		}
		seen[b.Name] = true
	}
	return nil
}

// branchVersion is the version of the branch name among a shard's branches ("" when it
// does not hold it).
func branchVersion(branches []zoekt.RepositoryBranch, name string) string {
	for _, b := range branches {
		if b.Name == name {
			return b.Version
		}
	}
	return ""
}
