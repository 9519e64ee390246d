package search_test

import (
	"context"
	"errors"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// TestSearch runs every search type against one fixture (see newFixture), with
// expectations computed independently by git where git can compute them.
func TestSearch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	head := f.commits[len(f.commits)-1]

	t.Run("content counts agree with git grep", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			grep  []string // git grep options and pattern, then "--" and pathspecs
		}{
			{`TODO`, []string{"-i", "-F", "TODO"}},
			{`case:yes TODO`, []string{"-F", "TODO"}},
			{`errors.New`, []string{"-i", "-F", "errors.New"}},
			{`/err[a-z]+\.New/`, []string{"-i", "-E", `err[a-z]+\.New`}},
			{`/^func/`, []string{"-i", "-E", `^func`}},
			{`case:yes /TODO|FIXME/`, []string{"-E", `TODO|FIXME`}},
			{`case:yes /string\)/`, []string{"-E", `string\)`}},
			{`"TODO:"`, []string{"-i", "-F", "TODO:"}},
			{`file:\.go$ TODO`, []string{"-i", "-F", "TODO", "--", "*.go"}},
			{`lang:go TODO`, []string{"-i", "-F", "TODO", "--", "*.go"}},
			{`-file:\.go$ TODO`, []string{"-i", "-F", "TODO", "--", ".", ":(exclude)*.go", ":(exclude)big.txt"}},
			{`patterntype:regexp todo\s+todo`, []string{"-i", "-E", `todo[[:space:]]+todo`}},
		} {
			for _, commit := range []string{f.commits[0], head} {
				plan, err := query.Parse(tc.query)
				if err != nil {
					t.Fatal(err)
				}
				c, err := f.svc.NewCounter(ctx, f.alice, f.repo["acme/api"].ID, plan, search.CountOptions{})
				if err != nil {
					t.Fatal(err)
				}
				got, err := c.At(ctx, commit)
				c.Close()
				if err != nil {
					t.Fatal(err)
				}
				args, paths := tc.grep, []string{".", ":(exclude)big.txt"}
				if i := indexOf(args, "--"); i >= 0 {
					args, paths = args[:i], args[i+1:]
				}
				want := f.api.grepCountPaths(commit, args, paths)
				if got.Lines != want {
					t.Errorf("%s at %s: %d matching lines, git grep -c says %d", tc.query, commit[:7], got.Lines, want)
				}
				// The search's line matches say the same.
				res := f.search(t, f.alice, "repo:^acme/api$@"+commit+" count:all "+tc.query)
				lines := 0
				for _, m := range res.Matches {
					if fm, ok := m.(*search.FileMatch); ok {
						lines += len(fm.LineMatches)
					}
				}
				if lines != want {
					t.Errorf("search %s at %s: %d line matches, git grep -c says %d", tc.query, commit[:7], lines, want)
				}
			}
		}
	})

	t.Run("rev:at.time searches the code as it was", func(t *testing.T) {
		commitsOf := func(q string) []string {
			t.Helper()
			var out []string
			for _, m := range f.search(t, f.alice, q).Matches {
				switch m := m.(type) {
				case *search.FileMatch:
					out = append(out, m.Commit)
				case *search.CommitMatch:
					out = append(out, m.Commit.OID)
				}
			}
			return out
		}
		// Between the second and third commits: the second.
		got := commitsOf(`repo:^acme/api$ rev:at.time(2024-02-20) count:all TODO`)
		if len(got) == 0 || slices.ContainsFunc(got, func(c string) bool { return c != f.commits[1] }) {
			t.Errorf("at 2024-02-20: matches at %v, want all at %s", got, f.commits[1][:7])
		}
		// The same from a named branch, and as repo:x@at.time(...).
		if got2 := commitsOf(`repo:^acme/api$ rev:at.time(2024-02-20T00:00:00Z, main) count:all TODO`); !cmp.Equal(got, got2) {
			t.Errorf("with main: %v, want %v", got2, got)
		}
		if got2 := commitsOf(`repo:^acme/api$@at.time(2024-02-20) count:all TODO`); !cmp.Equal(got, got2) {
			t.Errorf("repo:x@at.time: %v, want %v", got2, got)
		}
		// Commits: the history up to that time.
		if got := commitsOf(`repo:^acme/api$ rev:at.time(2024-02-20) type:commit`); !cmp.Equal(got, []string{f.commits[1], f.commits[0]}) {
			t.Errorf("commits at 2024-02-20: %v", got)
		}
		// Before the history: nothing, and no error.
		if got := commitsOf(`repo:^acme/api$ rev:at.time(2023-12-31) TODO`); len(got) != 0 {
			t.Errorf("before the history: %v", got)
		}
	})

	t.Run("file match details", func(t *testing.T) {
		res := f.search(t, f.alice, `repo:^acme/api$ case:yes errBoom`)
		if len(res.Matches) != 1 {
			t.Fatalf("want 1 match, got %d", len(res.Matches))
		}
		fm := res.Matches[0].(*search.FileMatch)
		want := []search.LineMatch{{LineNumber: 4, Preview: `var errBoom = errors.New("bang") // fixed`, Ranges: []search.Range{{Start: 4, End: 11}}}}
		if diff := cmp.Diff(want, fm.LineMatches); diff != "" {
			t.Errorf("line matches (-want +got):\n%s", diff)
		}
		if fm.Path != "main.go" || fm.Commit != head || fm.Repo.Name != "acme/api" || fm.Language != "" && fm.Language != "Go" || fm.MatchCount != 1 {
			t.Errorf("file match %+v", fm)
		}
		if k := fm.Key(); !strings.Contains(k, "main.go") {
			t.Errorf("key %q", k)
		}
		if rr := fm.LineMatches[0].RuneRanges(); rr[0] != [2]int{4, 7} {
			t.Errorf("rune ranges %v", rr)
		}
	})

	t.Run("binary and large files are skipped and reported", func(t *testing.T) {
		res := f.search(t, f.alice, `repo:^acme/api$ TODO`)
		for _, m := range res.Matches {
			if fm := m.(*search.FileMatch); fm.Path == "data.bin" || fm.Path == "big.txt" {
				t.Errorf("%s should be skipped", fm.Path)
			}
		}
		if res.Skipped.Binary != 1 || res.Skipped.Large != 1 {
			t.Errorf("skipped %+v, want 1 binary and 1 large", res.Skipped)
		}
	})

	t.Run("path search", func(t *testing.T) {
		res := f.search(t, f.alice, `repo:^acme/api$ type:path todo`)
		if got := paths(res); !cmp.Equal(got, []string{"docs/todo_list.txt"}) {
			t.Errorf("paths %v", got)
		}
		fm := res.Matches[0].(*search.FileMatch)
		if diff := cmp.Diff([]search.Range{{Start: 5, End: 9}}, fm.PathMatches); diff != "" {
			t.Errorf("path ranges: %s", diff)
		}
		// The default types find content and paths.
		res = f.search(t, f.alice, `repo:^acme/api$ todo`)
		if got := paths(res); !contains(got, "docs/todo_list.txt") || !contains(got, "main.go") {
			t.Errorf("default search paths %v", got)
		}
		// A query without a pattern lists the files its filters select.
		res = f.search(t, f.alice, `repo:^acme/api$ file:^util/`)
		if got := paths(res); !cmp.Equal(got, []string{"util/strings.go"}) {
			t.Errorf("file listing %v", got)
		}
	})

	t.Run("language filter", func(t *testing.T) {
		res := f.search(t, f.alice, `repo:^acme/api$ lang:markdown todo`)
		if got := paths(res); !cmp.Equal(got, []string{"README.md"}) {
			t.Errorf("lang:markdown %v", got)
		}
		res = f.search(t, f.alice, `repo:^acme/api$ -lang:go -lang:markdown todo`)
		for _, p := range paths(res) {
			if strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".md") {
				t.Errorf("-lang: let %s through", p)
			}
		}
		// lib.h is ambiguous by name (C, C++, Objective-C): its content decides.
		res = f.search(t, f.alice, `repo:^acme/api$ lang:c document`)
		res2 := f.search(t, f.alice, `repo:^acme/api$ lang:c++ document`)
		if len(res.Matches)+len(res2.Matches) != 1 {
			t.Errorf("lib.h should be exactly one of C and C++: C %v, C++ %v", paths(res), paths(res2))
		}
	})

	t.Run("repository search, forks and visibility", func(t *testing.T) {
		for _, tc := range []struct {
			v     store.Viewer
			query string
			want  []string
		}{
			{f.bob, `type:repo acme`, []string{"acme/api", "acme/new"}},
			{f.alice, `type:repo acme`, []string{"acme/api", "acme/new", "acme/secret"}},
			{f.alice, `type:repo fork:yes acme`, []string{"acme/api", "acme/fork", "acme/new", "acme/secret"}},
			{f.alice, `type:repo fork:only acme`, []string{"acme/fork"}},
			{f.alice, `type:repo visibility:private acme`, []string{"acme/secret"}},
			{f.alice, `type:repo repo:^acme/fork$`, []string{"acme/fork"}},
			{f.alice, `type:repo -repo:api acme`, []string{"acme/new", "acme/secret"}},
			{store.Viewer{}, `type:repo acme`, nil},
		} {
			res := f.search(t, tc.v, tc.query)
			var got []string
			for _, m := range res.Matches {
				got = append(got, m.(*search.RepoMatch).Repo.Name)
			}
			if !cmp.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
			}
		}
		// A fork named exactly, or chosen by id, is searched without fork:yes.
		res := f.search(t, f.alice, `repo:^acme/fork$ TODO`)
		if len(res.Matches) != 1 {
			t.Errorf("named fork: %d matches", len(res.Matches))
		}
		res, err := f.svc.Search(ctx, search.Request{Query: "TODO", Viewer: f.alice, RepoIDs: []int64{f.repo["acme/fork"].ID}})
		if err != nil || len(res.Matches) != 1 {
			t.Errorf("fork by id: %v matches, %v", len(res.Matches), err)
		}
		res, err = f.svc.Search(ctx, search.Request{Query: "TODO fork:no", Viewer: f.alice, RepoIDs: []int64{f.repo["acme/fork"].ID}})
		if err != nil || len(res.Matches) != 0 {
			t.Errorf("fork by id with fork:no: %v matches, %v", len(res.Matches), err)
		}
		res, err = f.svc.Search(ctx, search.Request{Query: "TODO", Viewer: f.alice, RepoIDs: []int64{}})
		if err != nil || len(res.Matches) != 0 {
			t.Errorf("no repository ids: %v matches, %v", len(res.Matches), err)
		}
	})

	t.Run("private repositories never leak", func(t *testing.T) {
		for _, q := range []string{`hunter2`, `repo:secret TODO`, `type:repo secret`, `type:commit secret`, `type:diff hunter2`, `TODO count:all`} {
			res := f.search(t, f.bob, q)
			for _, m := range res.Matches {
				if m.Repository().Name == "acme/secret" {
					t.Errorf("bob sees acme/secret with %q", q)
				}
			}
			for _, list := range [][]*store.Repo{res.Cloning, res.Missing, res.TimedOut} {
				for _, r := range list {
					if r.Name == "acme/secret" {
						t.Errorf("bob is told about acme/secret with %q", q)
					}
				}
			}
		}
		if res := f.search(t, f.alice, `hunter2`); len(res.Matches) != 1 || res.Matches[0].Repository().Name != "acme/secret" {
			t.Errorf("alice should find the secret: %v", res.Matches)
		}
		plan, _ := query.Parse("TODO")
		if _, err := f.svc.NewCounter(ctx, f.bob, f.repo["acme/secret"].ID, plan, search.CountOptions{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob's counter on acme/secret: %v, want not found", err)
		}
	})

	t.Run("commit search agrees with git log", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			log   []string
		}{
			{`type:commit TODO`, []string{"-i", "--grep=TODO"}},
			{`type:commit author:alice`, []string{"--author=alice"}},
			{`type:commit -author:alice`, []string{"--author=bob"}},
			{`type:commit message:util`, []string{"--grep=util"}},
			{`type:commit after:2024-02-01 before:2024-03-01`, []string{"--since=2024-02-01", "--until=2024-03-01"}},
			{`type:commit file:^util/`, []string{"--", "util"}},
			{`type:diff TODO`, []string{"-i", "-G", "TODO"}},
			{`type:diff case:yes FIXME`, []string{"-G", "FIXME"}},
			{`type:diff lang:markdown docs`, []string{"-i", "-G", "docs", "--", "*.md"}},
		} {
			res := f.search(t, f.alice, "repo:^acme/api$ "+tc.query)
			var got []string
			for _, m := range res.Matches {
				got = append(got, m.(*search.CommitMatch).Commit.OID)
			}
			want := f.api.logOIDs(tc.log...)
			if !cmp.Equal(got, want) {
				t.Errorf("%s: %v, git log says %v", tc.query, got, want)
			}
		}
	})

	t.Run("commit and diff match details", func(t *testing.T) {
		res := f.search(t, f.alice, `repo:^acme/api$ type:commit TODO`)
		cm := res.Matches[0].(*search.CommitMatch)
		msg, hs := cm.MessagePreview()
		if msg != "util: add Reverse\n\nFixes the TODO in util.\n" || !cmp.Equal(hs, []search.Highlight{{Line: 2, Character: 10, Length: 4}}) {
			t.Errorf("message preview %q %v", msg, hs)
		}
		if cm.Commit.Author.Name != "Bob Roe" || cm.Commit.Author.Email != "bob@example.com" {
			t.Errorf("author %+v", cm.Commit.Author)
		}
		res = f.search(t, f.alice, `repo:^acme/api$ type:diff case:yes FIXME`)
		cm = res.Matches[0].(*search.CommitMatch)
		preview, hs := cm.DiffPreview()
		lines := strings.Split(preview, "\n")
		if lines[0] != "util/strings.go util/strings.go" || !strings.HasPrefix(lines[1], "@@ ") {
			t.Fatalf("diff preview header: %q", preview)
		}
		if len(hs) != 1 {
			t.Fatalf("highlights %v", hs)
		}
		h := hs[0]
		if got := []rune(lines[h.Line])[h.Character : h.Character+h.Length]; string(got) != "FIXME" {
			t.Errorf("highlight %+v points at %q in %q", h, string(got), lines[h.Line])
		}
		if !strings.HasPrefix(lines[h.Line], "+") {
			t.Errorf("highlighted line %q is not an added line", lines[h.Line])
		}
	})

	t.Run("diff search over a monitor's revision range", func(t *testing.T) {
		res, err := f.svc.Search(ctx, search.Request{Query: "type:diff TODO", Viewer: f.alice,
			RepoIDs:   []int64{f.repo["acme/api"].ID},
			Revisions: map[int64]search.Revisions{f.repo["acme/api"].ID: {Include: []string{head}, Exclude: []string{f.commits[1]}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Matches) != 1 || res.Matches[0].(*search.CommitMatch).Commit.OID != head {
			t.Errorf("want only the newest commit, got %v", commitOIDs(res))
		}
		res = f.search(t, f.alice, "repo:^acme/api$ type:diff select:commit.diff.removed TODO")
		if got := commitOIDs(res); !cmp.Equal(got, []string{head}) {
			t.Errorf("removed TODO lines: %v, want only %s", got, head)
		}
		res = f.search(t, f.alice, "repo:^acme/api$ type:diff select:commit.diff.added errBoom")
		if got := commitOIDs(res); !cmp.Equal(got, []string{head, f.commits[0]}) {
			t.Errorf("added errBoom lines: %v", got)
		}
	})

	t.Run("limits, timeouts and partial results", func(t *testing.T) {
		res := f.search(t, f.alice, `TODO count:2`)
		if res.MatchCount != 2 || !res.LimitHit {
			t.Errorf("count:2: match count %d, limitHit %v", res.MatchCount, res.LimitHit)
		}
		all := f.search(t, f.alice, `TODO count:all`)
		if all.LimitHit || all.MatchCount <= 2 {
			t.Errorf("count:all: match count %d, limitHit %v", all.MatchCount, all.LimitHit)
		}
		if got := names(all.Cloning); !cmp.Equal(got, []string{"acme/new"}) || !all.Partial {
			t.Errorf("cloning %v, partial %v", got, all.Partial)
		}
		sum := 0
		for _, n := range all.RepoCounts {
			sum += n
		}
		if sum != all.MatchCount {
			t.Errorf("repo counts sum to %d, match count %d", sum, all.MatchCount)
		}
		res = f.search(t, f.alice, `TODO timeout:1ns`)
		if !res.Partial || len(res.TimedOut) == 0 {
			t.Errorf("timeout:1ns: partial %v, timed out %v", res.Partial, names(res.TimedOut))
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		res, err := f.svc.Search(cctx, search.Request{Query: "TODO", Viewer: f.alice})
		if err == nil && !res.Partial {
			t.Errorf("a cancelled search must be partial")
		}
		res = f.search(t, f.alice, `repo:^acme/api$@nosuchbranch TODO`)
		if got := names(res.Missing); !cmp.Equal(got, []string{"acme/api"}) || len(res.Errors) != 1 {
			t.Errorf("missing revision: missing %v, errors %v", got, res.Errors)
		}
	})

	t.Run("invalid and unsupported queries", func(t *testing.T) {
		for _, q := range []string{`/a(/`, `type:symbol foo`, `context:nosuch foo`, `patterntype:structural foo`} {
			_, err := f.svc.Search(ctx, search.Request{Query: q, Viewer: f.alice})
			var qe *query.Error
			if !errors.As(err, &qe) {
				t.Errorf("%s: %v, want a *query.Error", q, err)
			}
		}
	})

	t.Run("search contexts", func(t *testing.T) {
		if _, err := search.CreateSearchContext(ctx, f.st, "acme-api", "the API", `repo:^acme/api$ fork:no`); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{`repo:x TODO`, `type:commit repo:x`, `context:acme-api`, `repo:(`} {
			var qe *query.Error
			if _, err := search.CreateSearchContext(ctx, f.st, "bad", "", bad); !errors.As(err, &qe) {
				t.Errorf("context query %q: %v, want a *query.Error", bad, err)
			}
		}
		if _, err := search.CreateSearchContext(ctx, f.st, "acme-api", "again", `repo:x`); !errors.Is(err, store.ErrSearchContextExists) {
			t.Errorf("duplicate context: %v", err)
		}
		res := f.search(t, f.alice, `context:acme-api TODO`)
		for _, m := range res.Matches {
			if m.Repository().Name != "acme/api" {
				t.Errorf("context leaks %s", m.Repository().Name)
			}
		}
		if len(res.Matches) == 0 {
			t.Errorf("context search found nothing")
		}
	})

	t.Run("select and aggregations", func(t *testing.T) {
		res := f.search(t, f.alice, `TODO select:repo`)
		var got []string
		for _, m := range res.Matches {
			got = append(got, m.(*search.RepoMatch).Repo.Name)
		}
		if !cmp.Equal(got, []string{"acme/api", "acme/secret"}) {
			t.Errorf("select:repo %v", got)
		}
		res = f.search(t, f.alice, `repo:^acme/api$ TODO select:file`)
		for _, m := range res.Matches {
			if fm := m.(*search.FileMatch); len(fm.LineMatches) != 0 {
				t.Errorf("select:file keeps line matches of %s", fm.Path)
			}
		}
		res = f.search(t, f.alice, `repo:^acme/api$ TODO select:file.directory`)
		var dirs []string
		for _, m := range res.Matches {
			dirs = append(dirs, m.(*search.FileMatch).Path)
		}
		if !cmp.Equal(dirs, []string{"", "docs/", "util/"}) {
			t.Errorf("select:file.directory %v", dirs)
		}

		res = f.search(t, f.alice, `repo:^acme/api$ case:yes TODO count:all`)
		byPath := search.GroupMatches(res.Matches, search.GroupByPath)
		want := []search.Group{{Value: "util/strings.go", Count: 3}, {Value: "README.md", Count: 1}, {Value: "lib.h", Count: 1}}
		if diff := cmp.Diff(want, byPath); diff != "" {
			t.Errorf("group by path (-want +got):\n%s", diff)
		}
		byRepo := search.GroupMatches(f.search(t, f.alice, `TODO count:all`).Matches, search.GroupByRepo)
		if len(byRepo) != 2 || byRepo[0].Value != "acme/api" {
			t.Errorf("group by repo %v", byRepo)
		}
		byAuthor := search.GroupMatches(f.search(t, f.alice, `repo:^acme/api$ type:commit count:all`).Matches, search.GroupByAuthor)
		if diff := cmp.Diff([]search.Group{{Value: "Alice Doe <alice@example.com>", Count: 2}, {Value: "Bob Roe <bob@example.com>", Count: 1}}, byAuthor); diff != "" {
			t.Errorf("group by author (-want +got):\n%s", diff)
		}

		// Capture groups: the first group's values, counted.
		res = f.search(t, f.alice, `repo:^acme/api$ case:yes /TODO:? (\w+)/ count:all`)
		if diff := cmp.Diff(map[string]int{"document": 1, "use": 1, "TODO": 1, "write": 1}, res.Captures); diff != "" {
			t.Errorf("captures (-want +got):\n%s", diff)
		}
		plan, _ := query.Parse(`case:yes /TODO:? (\w+)/`)
		c, err := f.svc.NewCounter(ctx, f.alice, f.repo["acme/api"].ID, plan, search.CountOptions{Languages: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		counts, err := c.At(ctx, head)
		if err != nil {
			t.Fatal(err)
		}
		if !cmp.Equal(counts.Captures, res.Captures) {
			t.Errorf("counter captures %v, search captures %v", counts.Captures, res.Captures)
		}
		langs := counts.ByLanguage()
		if len(langs) == 0 || langs[0].Value != "Go" {
			t.Errorf("by language %v", langs)
		}
	})

	t.Run("language statistics", func(t *testing.T) {
		plan, _ := query.Parse("x")
		c, err := f.svc.NewCounter(ctx, f.alice, f.repo["acme/api"].ID, plan, search.CountOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		stats, skipped, err := c.Languages(ctx, head)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]search.LanguageStat{}
		for _, s := range stats {
			byName[s.Name] = s
		}
		goFiles := f.api.git(nil, "show", head+":main.go") + f.api.git(nil, "show", head+":util/strings.go")
		if g := byName["Go"]; g.Files != 2 || g.Bytes != int64(len(goFiles)) || g.Lines != strings.Count(goFiles, "\n") {
			t.Errorf("Go stats %+v, want 2 files, %d bytes, %d lines", g, len(goFiles), strings.Count(goFiles, "\n"))
		}
		if md := byName["Markdown"]; md.Files != 1 || md.Lines != 3 {
			t.Errorf("Markdown stats %+v", md)
		}
		if skipped.Binary != 1 || skipped.Large != 1 {
			t.Errorf("skipped %+v", skipped)
		}
		res, err := f.svc.Search(ctx, search.Request{Query: "repo:^acme/api$ TODO", Viewer: f.alice, Languages: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Languages) == 0 || res.Languages[0].Name != "Go" || res.Languages[0].Files != 2 {
			t.Errorf("search languages %+v", res.Languages)
		}
	})
}

// TestMemoization checks that counts with and without the blob cache agree, that a
// different pattern never reuses a count, and that persisted counts survive a restart.
func TestMemoization(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	repoID := f.repo["acme/api"].ID
	countAll := func(svc *search.Service, q string, persist bool) ([]*search.Counts, int) {
		t.Helper()
		plan, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		c, err := svc.NewCounter(ctx, f.alice, repoID, plan, search.CountOptions{Persist: persist})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var out []*search.Counts
		read := 0
		for _, commit := range f.commits {
			cs, err := c.At(ctx, commit)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, cs)
			read += cs.BlobsRead
		}
		return out, read
	}
	noCache := search.NewService(f.st, f.reposSvc, nil, nil, search.Options{MaxFileSize: 4096})
	for _, q := range []string{"TODO", "case:yes TODO", "todo", "/TODO|FIXME/", "errBoom", `/TODO:? (\w+)/`} {
		want, _ := countAll(noCache, q, false)
		got, read := countAll(f.svc, q, true)
		if read == 0 {
			t.Errorf("%s: the first count read no blob", q)
		}
		if diff := cmp.Diff(want, got, ignoreRead); diff != "" {
			t.Errorf("%s: cached counts differ (-uncached +cached):\n%s", q, diff)
		}
		again, read := countAll(f.svc, q, true)
		if read != 0 {
			t.Errorf("%s: the second count read %d blobs", q, read)
		}
		if diff := cmp.Diff(want, again, ignoreRead); diff != "" {
			t.Errorf("%s: memoized counts differ:\n%s", q, diff)
		}
		// A new process: empty memory, counts from Postgres.
		fresh := search.NewService(f.st, f.reposSvc, search.NewBlobCache(0, f.st), nil, search.Options{MaxFileSize: 4096})
		restarted, read := countAll(fresh, q, true)
		if read != 0 {
			t.Errorf("%s: after a restart the count read %d blobs", q, read)
		}
		if diff := cmp.Diff(want, restarted, ignoreRead); diff != "" {
			t.Errorf("%s: persisted counts differ:\n%s", q, diff)
		}
	}
	// Same blobs, a pattern differing only in case: no reuse.
	ci, _ := countAll(f.svc, "FixMe", false)
	cs, _ := countAll(f.svc, "case:yes FixMe", false)
	if ci[1].Matches != 1 || cs[1].Matches != 0 {
		t.Errorf("FixMe: case-insensitive %d, case-sensitive %d; want 1 and 0", ci[1].Matches, cs[1].Matches)
	}
	// Different file filters share the content count but not the file set.
	all, _ := countAll(f.svc, "TODO", false)
	goOnly, _ := countAll(f.svc, "lang:go TODO", false)
	if goOnly[2].Matches >= all[2].Matches || goOnly[2].Matches == 0 {
		t.Errorf("lang:go TODO counts %d, TODO %d", goOnly[2].Matches, all[2].Matches)
	}
}

var ignoreRead = cmpopts.IgnoreFields(search.Counts{}, "BlobsRead")

func (r *gitRepo) grepCountPaths(rev string, args, paths []string) int {
	r.t.Helper()
	cmd := exec.Command("git", append(append(append([]string{"-C", r.dir, "grep", "-c", "-I"}, args...), rev, "--"), paths...)...)
	out, err := cmd.Output()
	if err != nil && len(out) > 0 {
		r.t.Fatalf("git grep: %v", err)
	}
	total := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		var n int
		for _, c := range line[strings.LastIndexByte(line, ':')+1:] {
			n = n*10 + int(c-'0')
		}
		total += n
	}
	return total
}

func (r *gitRepo) logOIDs(args ...string) []string {
	r.t.Helper()
	rest := []string{}
	if i := indexOf(args, "--"); i >= 0 {
		args, rest = args[:i], args[i:]
	}
	out := strings.TrimSpace(r.git(nil, append(append([]string{"log", "--format=%H"}, args...), append([]string{"main"}, rest...)...)...))
	if out == "" {
		return nil
	}
	return strings.Split(out, "\n")
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func paths(res *search.Results) []string {
	var out []string
	for _, m := range res.Matches {
		if fm, ok := m.(*search.FileMatch); ok {
			out = append(out, fm.Path)
		}
	}
	sort.Strings(out)
	return out
}

func contains(s []string, v string) bool { return indexOf(s, v) >= 0 }

func names(rs []*store.Repo) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func commitOIDs(res *search.Results) []string {
	var out []string
	for _, m := range res.Matches {
		out = append(out, m.(*search.CommitMatch).Commit.OID)
	}
	return out
}
