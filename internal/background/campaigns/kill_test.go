package campaigns_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/store"
)

// The kill test runs a worker in a child process (this test binary with
// CAMPAIGNS_TEST_WORKER set to a kill mode) that SIGKILLs itself around the request
// that opens a pull request.
func TestMain(m *testing.M) {
	if mode := os.Getenv("CAMPAIGNS_TEST_WORKER"); mode != "" {
		os.Exit(workerMain(mode))
	}
	os.Exit(m.Run())
}

// killingTransport kills its process when it sees the first request that opens a pull
// request: before sending it ("before-create": the branch is pushed, no pull request
// exists) or after the host answered ("after-create": the pull request exists, the
// worker never recorded it).
type killingTransport struct {
	mode string
	next http.RoundTripper
}

func (k killingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	create := req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/pulls")
	if create && k.mode == "before-create" {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	resp, err := k.next.RoundTrip(req)
	if create && k.mode == "after-create" && err == nil && resp.StatusCode == http.StatusCreated {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	return resp, err
}

func workerMain(mode string) int {
	ctx := context.Background()
	db, err := database.Open(ctx, os.Getenv("CAMPAIGNS_TEST_DB_URL"), database.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir := os.Getenv("CAMPAIGNS_TEST_DIR") // the parent test's temporary directory
	client := &http.Client{Timeout: 30 * time.Second, Transport: killingTransport{mode: mode, next: http.DefaultTransport}}
	rs, err := buildWorker(db, dir, log.NoOp(), workerConfig{httpClient: client, hostname: "child-" + mode, changesetConcurrency: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, r := range rs {
		r.Start()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	return 0
}

// runChild runs a worker process until it kills itself, and fails the test if it exits
// any other way.
func runChild(t *testing.T, dbURL, mode string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CAMPAIGNS_TEST_WORKER="+mode, "CAMPAIGNS_TEST_DB_URL="+dbURL, "CAMPAIGNS_TEST_DIR="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("worker %s did not reach the pull request within 60s\n%s", mode, stderr.String())
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("worker %s ended with %v, want SIGKILL\n%s", mode, cmd.ProcessState, stderr.String())
	}
}

// ageHeartbeats makes the jobs a killed worker held look as they would once the stalled
// age (the default, 15 s) had passed since its last heartbeat, so the next worker's
// resetter returns them to the queue at its next pass instead of the test waiting that
// long.
func ageHeartbeats(t *testing.T, e *hostEnv, hostname string) {
	t.Helper()
	tag, err := e.db.Exec(context.Background(), "UPDATE changesets SET last_heartbeat_at = now() - interval '1 hour' WHERE state = 'processing' AND worker_hostname = $1", hostname+"/changesets")
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != 1 {
		t.Fatalf("worker %s died holding %d changesets, want the 1 it was opening a pull request for", hostname, tag.RowsAffected())
	}
}

// TestKilledWorkerOpensOnePullRequestPerRepository kills a worker after it pushed a
// branch but before it opened the pull request, then another after it opened one but
// before it recorded it; the retries open the missing pull request and adopt the
// unrecorded one, so every repository ends with exactly one pull request, recorded.
func TestKilledWorkerOpensOnePullRequestPerRepository(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newHostEnv(t, "app", "lib", "web")
	svc := newService(t, e)
	plan, err := svc.CreatePlanFromSpec(ctx, store.Viewer{UserID: e.user.ID}, e.user.ID, fooSpec)
	if err != nil {
		t.Fatal(err)
	}
	stop := startWorker(t, e.db, workerConfig{})
	waitFor(t, "plan finished", 60*time.Second, func() bool {
		st, err := svc.PlanStatus(ctx, plan)
		return err == nil && st.State == "COMPLETED"
	})
	stop()

	c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: e.user.ID, AuthorID: e.user.ID, Name: "Foo to bar", PlanID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	runChild(t, e.dbURL, "before-create")
	ageHeartbeats(t, e, "child-before-create")
	pushedNoPR := 0
	for n := range e.repos {
		if e.branchHead(t, n, "campaigns/foo-to-bar") != "" && len(e.gh.PullRequests("acme/"+n)) == 0 {
			pushedNoPR++
		}
	}
	if pushedNoPR != 1 {
		t.Fatalf("after the first kill, %d repositories have a pushed branch without a pull request, want 1", pushedNoPR)
	}
	runChild(t, e.dbURL, "after-create")
	ageHeartbeats(t, e, "child-after-create")
	unrecorded := 0
	for n, r := range e.repos {
		if len(e.gh.PullRequests("acme/"+n)) == 1 {
			if ch, err := e.st.Campaigns().GetChangesetByExternalID(ctx, r.ID, "1"); err != nil || ch == nil {
				unrecorded++
			}
		}
	}
	if unrecorded != 1 {
		t.Fatalf("after the second kill, %d pull requests are not recorded, want 1", unrecorded)
	}

	startWorker(t, e.db, workerConfig{})
	var list []*store.Changeset
	waitFor(t, "three recorded pull requests", 60*time.Second, func() bool {
		list, err = e.st.Campaigns().ListChangesets(ctx, store.ChangesetListOptions{CampaignID: c.ID, Viewer: store.InternalViewer})
		if err != nil || len(list) != 3 {
			return false
		}
		for _, ch := range list {
			if ch.ExternalState != "OPEN" || ch.State != "completed" {
				return false
			}
		}
		return true
	})
	creates := map[string]int{}
	for _, req := range e.gh.Requests() {
		for n := range e.repos {
			if req == "POST /api/v3/repos/acme/"+n+"/pulls" {
				creates[n]++
			}
		}
	}
	adopted := 0
	for _, ch := range list {
		r, _ := e.st.Repos().GetByID(ctx, store.InternalViewer, ch.RepoID)
		n := r.Name[strings.LastIndex(r.Name, "/")+1:]
		prs := e.gh.PullRequests("acme/" + n)
		if len(prs) != 1 {
			t.Fatalf("%s has %d pull requests, want exactly 1", n, len(prs))
		}
		if ch.ExternalID != "1" || prs[0].Head != ch.Branch || prs[0].HeadSHA != ch.PushedCommit {
			t.Fatalf("%s: changeset %+v, pull request %+v", n, ch, prs[0])
		}
		if creates[n] == 2 {
			adopted++ // the retry's create was answered "already exists" and adopted
		}
	}
	if adopted != 1 {
		t.Fatalf("create requests per repository %v: want one repository whose pull request was adopted", creates)
	}
}
