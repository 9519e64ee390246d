package campaigns_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/executor"
	"github.com/lookout/lookout/internal/store"
)

// TestOnlySiteAdminsStepsRunAsLocalProcesses: the worker runs a plan's steps as local
// processes only for a site admin's plan, whatever stored it, and a container step of
// anyone else never falls back to a local process (CAMPAIGNS_CONTAINER_FALLBACK).
func TestOnlySiteAdminsStepsRunAsLocalProcesses(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newHostEnv(t, "app")
	bob, err := e.st.Users().Create(ctx, store.NewUser{Username: "bob", Email: "bob@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, e.db, workerConfig{container: executor.ContainerConfig{Engine: "none", Fallback: true}})
	svc := newService(t, e)
	on := "on: [{repository: " + e.repos["app"].Name + "}]\n"
	for name, tc := range map[string]struct {
		user *store.User
		spec string
		want string // in the failure; "" for success
	}{
		"admin, local":              {e.user, on + "steps: [{run: 'echo x > x.txt'}]", ""},
		"admin, container fallback": {e.user, on + "steps: [{run: 'echo x > x.txt', container: alpine:3}]", ""},
		"user, local":               {bob, on + "steps: [{run: 'echo x > x.txt'}]", "only a site admin's plan may have them"},
		"user, container":           {bob, on + "steps: [{run: 'echo x > x.txt', container: alpine:3}]", "no container engine available"},
	} {
		plan, err := svc.CreatePlanFromSpec(ctx, store.Viewer{UserID: tc.user.ID}, tc.user.ID, tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, name+": plan finished", 60*time.Second, func() bool {
			st, err := svc.PlanStatus(ctx, plan)
			return err == nil && st.State != "PROCESSING"
		})
		st, _ := svc.PlanStatus(ctx, plan)
		jobs, _ := e.st.Campaigns().ListJobs(ctx, store.CampaignJobListOptions{PlanID: plan.ID})
		switch {
		case tc.want == "":
			if st.State != "COMPLETED" || len(jobs) != 1 || !jobs[0].HasDiff() {
				t.Fatalf("%s: status %+v", name, st)
			}
		case st.State != "ERRORED" || len(st.Errors) != 1 || !strings.Contains(st.Errors[0], tc.want) || jobs[0].Diff != nil:
			t.Fatalf("%s: status %+v, want an error with %q", name, st, tc.want)
		}
	}
}
