package resolvers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/httpapi"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/store"
)

// GitCommit.blob serves a file of a commit for the file page: its content with line
// breaks intact, its size, binary files marked, a file over 1 MiB sized but its content
// refused with FILE_TOO_LARGE, nothing for a directory or a missing path, and nothing
// from a repository the viewer may not see. Search results' files answer byteSize and
// binary too.
func TestCommitBlob(t *testing.T) {
	ctx := context.Background()
	e := newSearchAPI(t)
	alice, aliceToken := e.CreateUser(t, "alice", false)
	_, bobToken := e.CreateUser(t, "bob", false)
	big := strings.Repeat("0123456789abcdef\n", 70_000) // 1.1 MiB of text
	dir := makeRepo(t, "2024-03-01T12:00:00Z", "Ada <ada@example.com>", map[string]string{
		"cmd/main.go": "package main\n\nfunc main() {}\n",
		"logo.png":    "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
		"big.txt":     big,
		"docs/a b.md": "# spaced name\n",
	})
	svc, err := e.Store.ExternalServices().Create(ctx, "GIT", "local", gitConfig(dir), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{{Name: "local/files", CloneURL: dir, DefaultBranch: "main", Private: true}}, false); err != nil {
		t.Fatal(err)
	}
	repo, _ := e.Store.Repos().GetByName(ctx, store.InternalViewer, "local/files")
	if _, err := e.Repos.Fetch(ctx, repo.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Repos().SetRepoPermissions(ctx, repo.ID, []int64{alice.ID}, store.PermissionSourceAPI); err != nil {
		t.Fatal(err)
	}

	const q = `query($path: String!, $content: Boolean!) { repository(name: "local/files") { commit(rev: "HEAD") { oid blob(path: $path) {
		path name url byteSize binary language content @include(if: $content) commit { oid } } } } }`
	type blob struct {
		Path, Name, URL string
		ByteSize        int
		Binary          bool
		Language        *string
		Content         string
		Commit          struct{ OID string }
	}
	type data struct {
		Repository *struct {
			Commit struct {
				OID  string
				Blob *blob
			}
		}
	}
	read := func(token, path string, content bool) (*data, string) {
		t.Helper()
		r := e.Do(t, token, q, map[string]any{"path": path, "content": content})
		var d data
		if len(r.Data) > 0 {
			if err := json.Unmarshal(r.Data, &d); err != nil {
				t.Fatal(err)
			}
		}
		code := r.Code()
		if len(r.Errors) > 0 && code == "" {
			t.Fatalf("%s: %+v", path, r.Errors)
		}
		return &d, code
	}

	d, code := read(aliceToken, "cmd/main.go", true)
	b := d.Repository.Commit.Blob
	if code != "" || b == nil || b.Content != "package main\n\nfunc main() {}\n" || b.ByteSize != 29 || b.Binary || b.Name != "main.go" ||
		b.Language == nil || *b.Language != "Go" || b.Commit.OID != d.Repository.Commit.OID || b.URL != "/local/files@"+d.Repository.Commit.OID+"/-/blob/cmd/main.go" {
		t.Fatalf("cmd/main.go: %q %+v", code, b)
	}
	if d, _ := read(aliceToken, "/docs/a b.md", true); d.Repository.Commit.Blob == nil || d.Repository.Commit.Blob.Content != "# spaced name\n" {
		t.Errorf("a path with a space and a leading slash: %+v", d.Repository.Commit.Blob)
	}
	if d, _ := read(aliceToken, "logo.png", false); d.Repository.Commit.Blob == nil || !d.Repository.Commit.Blob.Binary || d.Repository.Commit.Blob.ByteSize != 16 {
		t.Errorf("logo.png: %+v", d.Repository.Commit.Blob)
	}
	// Too large: sized, not binary, and the content refused with a code and a message.
	if d, _ := read(aliceToken, "big.txt", false); d.Repository.Commit.Blob == nil || d.Repository.Commit.Blob.ByteSize != len(big) || d.Repository.Commit.Blob.Binary {
		t.Errorf("big.txt without content: %+v", d.Repository.Commit.Blob)
	}
	r := e.Do(t, aliceToken, q, map[string]any{"path": "big.txt", "content": true})
	if r.Code() != resolvers.FileTooLarge || !strings.Contains(r.Errors[0].Message, "1.1 MiB, larger than the 1 MiB") {
		t.Errorf("content of big.txt: %+v", r.Errors)
	}
	for _, p := range []string{"docs", "nope.go", "cmd/main.go/x"} {
		if d, code := read(aliceToken, p, true); code != "" || d.Repository == nil || d.Repository.Commit.Blob != nil {
			t.Errorf("%s: %q %+v", p, code, d.Repository)
		}
	}
	for _, p := range []string{"", "../etc/passwd", "cmd/../cmd/main.go", "a\nb"} {
		if _, code := read(aliceToken, p, false); code != "BAD_USER_INPUT" {
			t.Errorf("path %q: code %q, want BAD_USER_INPUT", p, code)
		}
	}
	// Bob may not see the repository: nothing, not even that it exists.
	if d, code := read(bobToken, "cmd/main.go", true); code != "" || d.Repository != nil {
		t.Errorf("bob read a private file: %q %+v", code, d.Repository)
	}

	// Search results' files: sizes, and binary for a path match of a binary file.
	var s struct {
		Search struct {
			Results struct {
				Results []struct {
					File struct {
						Path     string
						ByteSize int
						Binary   bool
					}
				}
			}
		}
	}
	e.MustDo(t, aliceToken, `{ search(query: "repo:^local/files$ file:(main.go|logo.png)$ type:path") { results { results { ... on FileMatch { file { path byteSize binary } } } } } }`, nil, &s)
	got := map[string]string{}
	for _, res := range s.Search.Results.Results {
		got[res.File.Path] = fmt.Sprint(res.File.ByteSize, res.File.Binary)
	}
	if got["cmd/main.go"] != "29 false" || got["logo.png"] != "16 true" {
		t.Errorf("search results' files: %v", got)
	}

	// Reading files whole is weighed in the cost: a request reading hundreds is refused
	// before it reads any.
	var many strings.Builder
	many.WriteString(`{ repository(name: "local/files") { commit(rev: "HEAD") {`)
	for i := range 300 {
		fmt.Fprintf(&many, " b%d: blob(path: \"big.txt\") { byteSize }", i)
	}
	many.WriteString(" } } }")
	if r := e.Do(t, aliceToken, many.String(), nil); r.Code() != httpapi.CodeQueryTooComplex {
		t.Errorf("300 files in one request: %d %+v", r.Status, r.Errors)
	}
}
