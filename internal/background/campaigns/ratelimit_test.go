package campaigns_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/store"
)

// TestHostRateLimitHoldsBackTheOtherChangesets: without a publish rate for the host, a
// rate limit the host answers still holds back every changeset waiting to be published
// there, not only the one that ran into it.
func TestHostRateLimitHoldsBackTheOtherChangesets(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newHostEnv(t, "app", "lib")
	svc := newService(t, e)
	plan := finishedPlanWithWorker(t, ctx, svc, e, specFor(e, "bar", "app", "lib"))
	var mu sync.Mutex
	var creates []time.Time
	e.gh.OnRequest(func(r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/pulls") {
			mu.Lock()
			creates = append(creates, time.Now())
			mu.Unlock()
		}
	})
	const wait = 2 * time.Second
	e.gh.RateLimitNext(1, wait)
	// One handler, so the changesets are taken one after the other (unlimited rates).
	startWorker(t, e.db, workerConfig{changesetConcurrency: 1})
	c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: e.user.ID, AuthorID: e.user.ID, Name: "Foo", PlanID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "both pull requests opened", allOpen("app", "lib"))
	for n, ch := range got {
		if ch.NumFailures != 0 {
			t.Fatalf("%s: a rate limit counted as a failure: %+v", n, ch)
		}
		if prs := e.gh.PullRequests("acme/" + n); len(prs) != 1 {
			t.Fatalf("%s has %d pull requests", n, len(prs))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(creates) != 3 {
		t.Fatalf("%d requests to open a pull request, want 3 (one rate limited)", len(creates))
	}
	for _, at := range creates[1:] {
		if d := at.Sub(creates[0]); d < wait-200*time.Millisecond {
			t.Fatalf("a pull request was opened %s after the host answered a %s rate limit", d, wait)
		}
	}
}
