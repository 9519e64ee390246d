package codehost

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/lookout/lookout/internal/vcs"
)

// MaxIndexedBranches is how many branches "indexedBranches" may list for a repository
// besides its default branch: a zoekt shard holds at most 64 branches (a bit mask per
// document), and the default branch is always one of them.
const MaxIndexedBranches = 63

// IndexedBranches is a connection's "indexedBranches": for its repositories whose name
// matches a key, the branches that the text search index holds besides the default
// branch, as Sourcegraph's search.index.branches setting maps repository names to
// branches. A key is a repository name as Lookout shows it ("github.com/acme/api"), or a
// pattern in which "*" stands for any characters, "/" included ("github.com/acme/*",
// or "*" for every repository of the connection); keys match case-insensitively, and a
// repository matched by several keys gets the branches of all. Branches are plain
// branch names ("release", "release/1.2"), not refs.
type IndexedBranches map[string][]string

// For returns the branches listed for the repository with this name, sorted and
// without duplicates; nil when no key matches.
func (ib IndexedBranches) For(repoName string) []string {
	var out []string
	for key, branches := range ib {
		if keyPattern(key).MatchString(repoName) {
			out = append(out, branches...)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// keyPattern compiles a key of IndexedBranches.
func keyPattern(key string) *regexp.Regexp {
	return regexp.MustCompile("(?i)^" + strings.ReplaceAll(regexp.QuoteMeta(key), `\*`, ".*") + "$")
}

// IndexedBranchesFor implements [Config].
func (c *HostedConfig) IndexedBranchesFor(repoName string) []string {
	return c.IndexedBranches.For(repoName)
}

// IndexedBranchesFor implements [Config].
func (c *GitConfig) IndexedBranchesFor(repoName string) []string {
	return c.IndexedBranches.For(repoName)
}

// indexedBranches parses and validates "indexedBranches".
func (p *configParser) indexedBranches(fields map[string]json.RawMessage) IndexedBranches {
	raw, ok := fields["indexedBranches"]
	if !ok || string(raw) == "null" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		p.problem(`"indexedBranches" must be an object mapping repository names (or patterns with "*") to lists of branch names, like {"github.com/acme/api": ["release"]}`)
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := IndexedBranches{}
	for _, key := range keys {
		field := fmt.Sprintf("indexedBranches[%q]", key)
		if strings.TrimSpace(key) == "" || strings.TrimSpace(key) != key {
			p.problem("%s: the key must be a repository name or pattern, without surrounding whitespace", field)
			continue
		}
		var branches []string
		if err := json.Unmarshal(m[key], &branches); err != nil {
			p.problem("%s must be a list of branch names", field)
			continue
		}
		if len(branches) > MaxIndexedBranches {
			p.problem("%s lists %d branches; at most %d may be indexed besides the default branch (a zoekt shard holds 64)", field, len(branches), MaxIndexedBranches)
			continue
		}
		seen := map[string]bool{}
		valid := true
		for i, b := range branches {
			if msg := checkBranchName(b); msg != "" {
				p.problem("\"%s[%d]\" %s, got %q", field, i, msg, b)
				valid = false
			} else if seen[b] {
				p.problem("%s lists %q twice", field, b)
				valid = false
			}
			seen[b] = true
		}
		if valid {
			out[key] = branches
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// checkBranchName returns why name is not a branch name git accepts, or "" when it is
// one.
func checkBranchName(name string) string {
	switch {
	case strings.HasPrefix(name, "refs/"):
		return `must be a branch name without "refs/heads/"`
	case vcs.CheckBranchName(name) != nil:
		return "is not a valid git branch name (see git check-ref-format --branch)"
	}
	return ""
}
