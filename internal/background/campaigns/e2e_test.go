package campaigns_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/campaigns"
)

type apiChangeset struct {
	ID                 string
	ExternalID         *string
	State              string
	ReconcilerState    string
	ScheduleEstimateAt *string
	Head               *string
	Error              *string
	Repository         struct{ Name string }
	Events             struct{ Nodes []struct{ Kind string } }
}

type apiCampaign struct {
	ID         string
	Status     struct{ State string }
	Changesets struct {
		TotalCount int
		Nodes      []apiChangeset
	}
	ChangesetCountsOverTime []struct{ Total, Merged, Closed, Open, OpenPending int }
}

const campaignQuery = `query($id: ID!) { node(id: $id) { ... on Campaign {
  id status { state }
  changesets(first: 10) { totalCount nodes { id externalID state reconcilerState scheduleEstimateAt head error repository { name } events { nodes { kind } } } }
  changesetCountsOverTime { total merged closed open openPending }
} } }`

func (e *hostEnv) campaign(t *testing.T, api *apitest.Env, token, id string) apiCampaign {
	t.Helper()
	var out struct{ Node apiCampaign }
	api.MustDo(t, token, campaignQuery, map[string]any{"id": id}, &out)
	return out.Node
}

type apiPlan struct {
	Status struct {
		State          string
		CompletedCount int
		PendingCount   int
		Errors         []string
	}
	Jobs struct {
		Nodes []struct {
			State      string
			Error      *string
			Diff       *string
			Repository struct{ Name string }
			Log        []struct {
				Key      string
				Out      string
				ExitCode *int
			}
		}
	}
}

// createPlan creates a plan from a spec through the API and waits until it finished.
func createPlan(t *testing.T, api *apitest.Env, token, spec string) (string, apiPlan) {
	t.Helper()
	var created struct{ CreateCampaignPlanFromSpec struct{ ID string } }
	api.MustDo(t, token, `mutation($s: String!) { createCampaignPlanFromSpec(spec: $s) { id } }`, map[string]any{"s": spec}, &created)
	id := created.CreateCampaignPlanFromSpec.ID
	var plan apiPlan
	waitFor(t, "the plan to finish", 60*time.Second, func() bool {
		var out struct{ Node apiPlan }
		api.MustDo(t, token, `query($id: ID!) { node(id: $id) { ... on CampaignPlan {
  status { state completedCount pendingCount errors }
  jobs { nodes { state error diff repository { name } log { key out exitCode } } } } } }`, map[string]any{"id": id}, &out)
		plan = out.Node
		return plan.Status.State != "PROCESSING"
	})
	return id, plan
}

// TestCampaignEndToEnd goes through the API and the worker: a plan from a spec whose step
// edits files in three repositories served by a fake GitHub, a campaign created from it,
// branches pushed, pull requests opened and listed as OPEN changesets; the fake merges
// one, its webhook arrives at the webhook endpoint, and the counts show it at once.
func TestCampaignEndToEnd(t *testing.T) {
	t.Parallel()
	e := newHostEnv(t, "app", "lib", "web")
	api := apitest.New(t, apitest.Options{DB: e.db, ChangesetEvents: campaigns.WebhookHandler(e.st)})
	_, bobToken := api.CreateUser(t, "bob", false)
	startWorker(t, e.db, workerConfig{})

	// Steps without a container image run as the worker's user: site admins only.
	if r := api.Do(t, bobToken, `mutation($s: String!) { createCampaignPlanFromSpec(spec: $s) { id } }`, map[string]any{"s": fooSpec}); r.Code() != "FORBIDDEN" {
		t.Fatalf("a user's plan with local steps: %+v", r.Errors)
	}
	token := api.AdminToken
	planID, plan := createPlan(t, api, token, fooSpec)
	if plan.Status.State != "COMPLETED" || plan.Status.CompletedCount != 3 || len(plan.Jobs.Nodes) != 3 {
		t.Fatalf("plan %+v", plan)
	}
	for _, j := range plan.Jobs.Nodes {
		if j.Diff == nil || !strings.Contains(*j.Diff, "+bar()") || len(j.Log) != 1 || j.Log[0].ExitCode == nil || *j.Log[0].ExitCode != 0 {
			t.Fatalf("job %+v", j)
		}
	}

	var created struct {
		CreateCampaign struct{ ID, Branch, URL string }
	}
	api.MustDo(t, token, `mutation($ns: ID!, $plan: ID!) { createCampaign(input: {namespace: $ns, name: "Foo to bar", description: "We prefer bar.", plan: $plan}) { id branch url } }`,
		map[string]any{"ns": string(relay.MarshalID("User", api.Admin.ID)), "plan": planID}, &created)
	if created.CreateCampaign.Branch != "campaigns/foo-to-bar" {
		t.Fatalf("campaign %+v", created.CreateCampaign)
	}
	id := created.CreateCampaign.ID
	var c apiCampaign
	waitFor(t, "three OPEN changesets", 60*time.Second, func() bool {
		c = e.campaign(t, api, token, id)
		if c.Changesets.TotalCount != 3 {
			return false
		}
		for _, ch := range c.Changesets.Nodes {
			if ch.State != "OPEN" || ch.ReconcilerState != "COMPLETED" {
				return false
			}
		}
		return c.Status.State == "COMPLETED"
	})
	for _, ch := range c.Changesets.Nodes {
		name := ch.Repository.Name[strings.LastIndex(ch.Repository.Name, "/")+1:]
		prs := e.gh.PullRequests("acme/" + name)
		if len(prs) != 1 || ch.ExternalID == nil || *ch.ExternalID != "1" || ch.Head == nil || prs[0].Head != *ch.Head {
			t.Fatalf("%s: changeset %+v, pull requests %+v", name, ch, prs)
		}
		if e.branchHead(t, name, *ch.Head) != prs[0].HeadSHA {
			t.Fatalf("%s: branch %s not pushed at the pull request's head", name, *ch.Head)
		}
		if len(ch.Events.Nodes) != 1 || ch.Events.Nodes[0].Kind != "OPENED" {
			t.Fatalf("%s events %+v", name, ch.Events.Nodes)
		}
	}
	if last := c.ChangesetCountsOverTime[len(c.ChangesetCountsOverTime)-1]; last.Total != 3 || last.Open != 3 || last.Merged != 0 {
		t.Fatalf("counts before the merge: %+v", last)
	}

	// The fake merges app's pull request and delivers the webhook to the endpoint.
	if err := e.gh.MergePullRequest("acme/app", 1); err != nil {
		t.Fatal(err)
	}
	d, err := e.gh.PullRequestDelivery("acme/app", 1, "closed")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(d.Request(api.Server.URL + "/.api/webhooks/github"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook answered %d, want 202", resp.StatusCode)
	}
	c = e.campaign(t, api, token, id)
	last := c.ChangesetCountsOverTime[len(c.ChangesetCountsOverTime)-1]
	if last.Total != 3 || last.Merged != 1 || last.Open != 2 || last.OpenPending != 2 {
		t.Fatalf("counts after the merge webhook: %+v", last)
	}
	merged := 0
	for _, ch := range c.Changesets.Nodes {
		if ch.State == "MERGED" {
			merged++
			kinds := []string{}
			for _, ev := range ch.Events.Nodes {
				kinds = append(kinds, ev.Kind)
			}
			if strings.Join(kinds, ",") != "OPENED,MERGED" {
				t.Fatalf("events of the merged changeset: %v", kinds)
			}
		}
	}
	if merged != 1 {
		t.Fatalf("%d MERGED changesets, want 1", merged)
	}
	var filtered struct {
		Node struct{ Changesets struct{ TotalCount int } }
	}
	api.MustDo(t, token, `query($id: ID!) { node(id: $id) { ... on Campaign { changesets(state: MERGED) { totalCount } } } }`, map[string]any{"id": id}, &filtered)
	if filtered.Node.Changesets.TotalCount != 1 {
		t.Fatalf("changesets(state: MERGED): %d", filtered.Node.Changesets.TotalCount)
	}
}

// TestStepLimitsFailOnlyTheirRepository: a step that runs forever and one that prints
// without end are stopped at their limits, and the plan reports why per repository.
func TestStepLimitsFailOnlyTheirRepository(t *testing.T) {
	t.Parallel()
	e := newHostEnv(t, "app", "lib")
	api := apitest.New(t, apitest.Options{DB: e.db})
	token := api.AdminToken
	startWorker(t, e.db, workerConfig{})

	start := time.Now()
	_, forever := createPlan(t, api, token, `
on:
  - repository: `+e.repos["app"].Name+`
steps:
  - run: while true; do :; done
timeLimit: 1s
`)
	if forever.Status.State != "ERRORED" || len(forever.Status.Errors) != 1 || !strings.Contains(forever.Status.Errors[0], "time limit exceeded") {
		t.Fatalf("endless step: %+v", forever.Status)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("the endless step took %s to stop", took)
	}
	_, chatty := createPlan(t, api, token, `
on:
  - repository: `+e.repos["app"].Name+`
  - repository: `+e.repos["lib"].Name+`
steps:
  - run: if [ -f README.md ] && grep -q lib README.md; then echo fine > ok.txt; else yes "gigabytes of output"; fi
outputLimit: 1MiB
`)
	if chatty.Status.State != "ERRORED" || chatty.Status.CompletedCount != 2 || len(chatty.Status.Errors) != 1 ||
		!strings.Contains(chatty.Status.Errors[0], "output limit exceeded") || !strings.HasPrefix(chatty.Status.Errors[0], e.repos["app"].Name+": ") {
		t.Fatalf("chatty step: %+v", chatty.Status)
	}
	for _, j := range chatty.Jobs.Nodes {
		switch j.Repository.Name {
		case e.repos["app"].Name:
			if j.State != "FAILED" || j.Error == nil || !strings.Contains(*j.Error, "output limit exceeded") || len(j.Log) != 1 || !strings.Contains(j.Log[0].Out, "gigabytes of output") {
				t.Fatalf("app job %+v, error %v", j, strVal(j.Error))
			}
			if len(j.Log[0].Out) > 2<<20 {
				t.Fatalf("app's log holds %d bytes", len(j.Log[0].Out))
			}
		default:
			if j.State != "COMPLETED" || j.Diff == nil || !strings.Contains(*j.Diff, "+fine") {
				t.Fatalf("lib job %+v", j)
			}
		}
	}
	b, _ := json.Marshal(chatty.Status)
	t.Logf("status: %s", b)
}

// strVal shows an optional string in a failure message.
func strVal(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
