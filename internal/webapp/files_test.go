package webapp_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/gittest"
)

// The file page shows a file with numbered lines, reached from a search result (whose
// link names the commit) or by the URL an issue notification builds; a binary file and
// one over the size limit say why they are not shown.
func TestFilePage(t *testing.T) {
	t.Parallel()
	e := startEnv(t, true)
	repo := gittest.NewRepo(t)
	oid := repo.Commit(time.Now().Add(-time.Hour), "Ann Author <ann@example.com>", "add files", map[string]string{
		"cmd/main.go": "package main\n\nfunc main() {\n\tneedleValue()\n}\n",
		"logo.png":    "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
		"big.txt":     strings.Repeat("0123456789abcdef\n", 70_000),
	})
	r := repostest.AddLocalRepo(t, e.st, repo.Dir)
	e.user(t, "fiona", false)

	tab := e.signIn(t, "fiona", "/search?q=needleValue")
	tab.WaitText("#result-summary", "1 result")
	tab.ClickLink("cmd/main.go")
	tab.WaitText("main h1", "cmd/main.go")
	if loc := tab.Location(); !strings.HasSuffix(loc, "/"+r.Name+"/-/blob/cmd/main.go") {
		t.Errorf("the search result links %s", loc)
	}
	tab.WaitText("main pre", "needleValue()")
	tab.WaitText("#file-facts", "5 lines")
	tab.WaitText("#file-facts", "Go")
	if got := tab.Text("main pre #L4"); !strings.HasPrefix(got, "4") || !strings.HasSuffix(got, "needleValue()") {
		t.Errorf("line 4 reads %q", got)
	}
	tab.WaitText("main", "add files") // the commit the file is at
	tab.CheckA11y()
	tab.CheckPhoneWidth()

	// At a commit, as GitCommit.blob's url names it; then the form issue notifications
	// use (the default branch, no revision).
	tab.Go(e.url + "/" + r.Name + "@" + oid + "/-/blob/cmd/main.go")
	tab.WaitText("main pre", "needleValue()")
	tab.WaitText("main", oid[:7])
	tab.Go(e.url + "/" + r.Name + "/-/blob/cmd/main.go")
	tab.WaitText("main pre", "func main() {")
	tab.Go(e.url + "/" + r.Name + "/-/blob/logo.png")
	tab.WaitText("main [role=status]", "binary file")
	if strings.Contains(tab.Text("main"), "IHDR") {
		t.Error("the binary file's bytes are shown")
	}
	tab.Go(e.url + "/" + r.Name + "/-/blob/big.txt")
	tab.WaitText("main [role=status]", "too large to show")
	tab.WaitText("main [role=status]", "larger than the 1 MiB")
	tab.WaitText("#file-facts", "MiB")
	tab.CheckA11y()
	tab.Go(e.url + "/" + r.Name + "/-/blob/nope.go")
	tab.WaitText("main", "There is no such file nope.go")
}
