package codehost_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/lookout/lookout/internal/codehost"
)

func TestIndexedBranchesConfig(t *testing.T) {
	tooMany := make([]string, codehost.MaxIndexedBranches+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("b%d", i)
	}
	many, _ := json.Marshal(map[string]any{"repos": []string{"/srv/a"}, "indexedBranches": map[string]any{"*": tooMany}})
	for _, tc := range []struct {
		name string
		kind codehost.Kind
		raw  string
		want []string
	}{
		{"not an object", codehost.KindGit, `{"repos":["/srv/a"],"indexedBranches":["release"]}`, []string{`"indexedBranches" must be an object mapping repository names`}},
		{"not a list", codehost.KindGitHub, `{"token":"t","orgs":["a"],"indexedBranches":{"github.com/a/b":"release"}}`, []string{`indexedBranches["github.com/a/b"] must be a list of branch names`}},
		{"refs", codehost.KindGit, `{"repos":["/srv/a"],"indexedBranches":{"local/a":["refs/heads/release"]}}`, []string{`indexedBranches["local/a"][0]" must be a branch name without "refs/heads/"`}},
		{"bad names", codehost.KindGitLab, `{"token":"t","orgs":["a"],"indexedBranches":{"*":["ok","with space","a..b","HEAD","x.lock",""]}}`,
			[]string{`[1]" is not a valid git branch name`, `[2]" is not a valid git branch name`, `[3]" is not a valid git branch name`, `[4]" is not a valid git branch name`, `[5]" is not a valid git branch name`}},
		{"twice", codehost.KindGit, `{"repos":["/srv/a"],"indexedBranches":{"*":["release","release"]}}`, []string{`lists "release" twice`}},
		{"empty key", codehost.KindGit, `{"repos":["/srv/a"],"indexedBranches":{" ":["release"]}}`, []string{`the key must be a repository name or pattern`}},
		{"too many", codehost.KindGit, string(many), []string{fmt.Sprintf(`lists %d branches; at most %d`, len(tooMany), codehost.MaxIndexedBranches)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := codehost.ParseConfig(tc.kind, []byte(tc.raw))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}

	cfg, err := codehost.ParseConfig(codehost.KindGitHub, []byte(`{"token":"t","orgs":["acme"],"indexedBranches":{
		"github.com/acme/api": ["release", "release/1.2"], "github.com/acme/*": ["stable"], "*": ["release"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]string{
		"github.com/acme/api":  {"release", "release/1.2", "stable"},
		"GitHub.com/Acme/Tool": {"release", "stable"},
		"github.com/other/x":   {"release"},
	} {
		if got := cfg.IndexedBranchesFor(name); !slices.Equal(got, want) {
			t.Errorf("branches of %s: %q, want %q", name, got, want)
		}
	}
	// The list survives the round trip through the stored JSON.
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := codehost.ParseConfig(codehost.KindGitHub, out)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if got := again.IndexedBranchesFor("github.com/acme/api"); len(got) != 3 {
		t.Errorf("after the round trip (%s): %q", out, got)
	}
}
