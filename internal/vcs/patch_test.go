package vcs

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// bareRemote makes a bare repository holding the history, as a code host would.
func bareRemote(t *testing.T, h *history) Repo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "remote.git")
	gitT(t, "/", nil, "clone", "-q", "--bare", h.w.dir, dir)
	return Repo{Name: "example.com/campaign", URL: "file://" + dir}
}

const patchA = `diff --git a/src/a.go b/src/a.go
index 0000000..1111111 100644
--- a/src/a.go
+++ b/src/a.go
@@ -1,5 +1,5 @@
 package src
 
 func A() int {
-	return 2
+	return 3
 }
diff --git a/NEW.md b/NEW.md
new file mode 100644
--- /dev/null
+++ b/NEW.md
@@ -0,0 +1 @@
+created by a campaign
`

func TestCreateCommitFromPatchAndPush(t *testing.T) {
	t.Parallel()
	h := newHistory(t)
	repo := bareRemote(t, h)
	remoteDir := repo.URL[len("file://"):]
	c := newTestCache(t, "")
	ctx := testContext(t)
	m, err := c.EnsureCloned(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2021, 6, 1, 9, 30, 0, 0, time.FixedZone("", 2*3600))
	oid, err := m.CreateCommitFromPatch(ctx, PatchCommit{
		Base:    "main",
		Patch:   []byte(patchA),
		Message: "Campaign: bump A\n\nDetails.\n",
		Author:  Signature{Name: "Campaigner", Email: "campaigns@example.com", Date: date},
	})
	if err != nil {
		t.Fatal(err)
	}
	commits, err := m.Commits(ctx, LogOptions{Include: []string{oid}, MaxCount: 1, Diff: true})
	if err != nil {
		t.Fatal(err)
	}
	got := commits[0]
	if diff := cmp.Diff([]string{h.c3}, got.Parents); diff != "" {
		t.Errorf("parents (-want +got):\n%s", diff)
	}
	if got.Author.Name != "Campaigner" || !got.Author.Date.Equal(date) || got.Committer.Email != "campaigns@example.com" ||
		got.Message != "Campaign: bump A\n\nDetails.\n" {
		t.Errorf("commit = %+v", got)
	}
	if _, off := got.Author.Date.Zone(); off != 2*3600 {
		t.Errorf("author zone offset = %d, want +0200", off)
	}
	if len(got.Files) != 2 {
		t.Errorf("files = %+v", got.Files)
	}
	// No ref moved in the mirror.
	if main, _ := m.ResolveRevision(ctx, "main"); main != h.c3 {
		t.Errorf("main moved to %s", main)
	}

	// Same change as a -p0 patch (no a/ b/ prefixes).
	p0 := "--- src/a.go\n+++ src/a.go\n@@ -3,3 +3,3 @@ package src\n func A() int {\n-\treturn 2\n+\treturn 3\n }\n"
	oid0, err := m.CreateCommitFromPatch(ctx, PatchCommit{Base: h.c3, Patch: []byte(p0), Message: "p0", Author: Signature{Name: "A", Email: "a@example.com", Date: date}})
	if err != nil {
		t.Fatal(err)
	}
	blob := func(rev string) string { return gitT(t, m.Dir(), nil, "rev-parse", rev) }
	if blob(oid0+":src/a.go") != blob(oid+":src/a.go") {
		t.Error("-p0 patch produced a different file")
	}

	// Patches that cannot apply are typed errors.
	for name, patch := range map[string]string{
		"conflict": "--- a/src/a.go\n+++ b/src/a.go\n@@ -4 +4 @@\n-\treturn 99\n+\treturn 3\n",
		"garbage":  "this is not a patch\n",
		"empty":    "",
		"escape":   "--- /dev/null\n+++ b/../../etc/x\n@@ -0,0 +1 @@\n+x\n",
	} {
		_, err := m.CreateCommitFromPatch(ctx, PatchCommit{Base: "main", Patch: []byte(patch), Message: "x", Author: Signature{Name: "A", Email: "a@example.com"}})
		var pe *PatchError
		if !errors.As(err, &pe) || !errors.Is(err, ErrPatchDoesNotApply) {
			t.Errorf("%s patch: got %v, want PatchError", name, err)
		}
	}
	if _, err := m.CreateCommitFromPatch(ctx, PatchCommit{Base: "nope", Patch: []byte(patchA), Message: "x", Author: Signature{Name: "A", Email: "a@example.com"}}); !errors.Is(err, ErrRevisionNotFound) {
		t.Errorf("unknown base: %v", err)
	}
	if _, err := m.CreateCommitFromPatch(ctx, PatchCommit{Base: "main", Patch: []byte(patchA), Message: "x", Author: Signature{Name: "A>", Email: "a@example.com"}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("bad author: %v", err)
	}

	// Push to a new branch, then check it from the remote's side.
	if exists, err := c.BranchExists(ctx, repo, "campaign/bump-a"); err != nil || exists {
		t.Fatalf("BranchExists before push = %v, %v", exists, err)
	}
	if err := c.Push(ctx, repo, oid, "campaign/bump-a", false); err != nil {
		t.Fatal(err)
	}
	if got := gitT(t, remoteDir, nil, "rev-parse", "refs/heads/campaign/bump-a"); got != oid {
		t.Errorf("remote branch = %s, want %s", got, oid)
	}
	if exists, err := c.BranchExists(ctx, repo, "campaign/bump-a"); err != nil || !exists {
		t.Errorf("BranchExists after push = %v, %v", exists, err)
	}
	// The -p0 commit does not fast-forward from the pushed one: rejected
	// unless forced.
	err = c.Push(ctx, repo, oid0, "campaign/bump-a", false)
	var rejected *PushRejectedError
	if !errors.As(err, &rejected) || !errors.Is(err, ErrPushRejected) {
		t.Fatalf("non-fast-forward push = %v, want PushRejectedError", err)
	}
	if err := c.Push(ctx, repo, oid0, "campaign/bump-a", true); err != nil {
		t.Fatalf("forced push: %v", err)
	}
	if got := gitT(t, remoteDir, nil, "rev-parse", "refs/heads/campaign/bump-a"); got != oid0 {
		t.Errorf("remote branch after force = %s, want %s", got, oid0)
	}
	for _, bad := range []string{"-f", "a..b", "x.lock", "a b", ""} {
		if err := c.Push(ctx, repo, oid, bad, false); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Push to %q = %v, want ErrInvalidArgument", bad, err)
		}
	}
	if err := c.Push(ctx, repo, "main", "x", false); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Push of a non-oid = %v, want ErrInvalidArgument", err)
	}

	// ls-remote sees the branch, the tag (peeled) and HEAD's target.
	refs, err := c.LsRemote(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Ref{}
	for _, r := range refs {
		byName[r.Name] = r
	}
	if byName["refs/heads/campaign/bump-a"].OID != oid0 || byName["refs/tags/v1"].Peeled != h.c3 ||
		byName["HEAD"].Target != "refs/heads/main" || byName["HEAD"].OID != h.c3 {
		t.Errorf("LsRemote = %+v", refs)
	}
	refs, err = c.LsRemote(ctx, repo, "refs/heads/main")
	if err != nil || len(refs) != 1 || refs[0].OID != h.c3 {
		t.Errorf("LsRemote(main) = %+v, %v", refs, err)
	}
	if _, err := c.LsRemote(ctx, repo, "--upload-pack=x"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("LsRemote with option pattern = %v", err)
	}

	// The mirror's own refs.
	local, err := m.ListRefs(ctx, "refs/heads/")
	if err != nil {
		t.Fatal(err)
	}
	want := []Ref{{Name: "refs/heads/feature", OID: h.c4}, {Name: "refs/heads/main", OID: h.c3}}
	if diff := cmp.Diff(want, local); diff != "" {
		t.Errorf("ListRefs (-want +got):\n%s", diff)
	}
	tags, err := m.ListRefs(ctx, "refs/tags/")
	if err != nil || len(tags) != 1 || tags[0].Commit() != h.c3 || tags[0].OID == h.c3 {
		t.Errorf("ListRefs(tags) = %+v, %v", tags, err)
	}
}
