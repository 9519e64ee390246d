package resolvers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/encryption"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/store"
)

const testPatch = "diff --git a/README b/README\n--- a/README\n+++ b/README\n@@ -1 +1 @@\n-a\n+b\n"

type campaignsEnv struct {
	*apitest.Env
	aliceID, bobID int64
	alice, bob     string
	open, secret   *store.Repo
}

// newCampaignsEnv has alice, bob, a public and a private repository (no worker runs:
// tests move jobs along in the database).
func newCampaignsEnv(t *testing.T, opts apitest.Options) *campaignsEnv {
	t.Helper()
	ctx := context.Background()
	e := &campaignsEnv{Env: apitest.New(t, opts)}
	a, at := e.CreateUser(t, "alice", false)
	b, bt := e.CreateUser(t, "bob", false)
	e.aliceID, e.alice, e.bobID, e.bob = a.ID, at, b.ID, bt
	svc, err := e.Store.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{
		{Name: "local/open", CloneURL: "/tmp/open", DefaultBranch: "main"},
		{Name: "local/secret", CloneURL: "/tmp/secret", Private: true, DefaultBranch: "main"},
	}, false); err != nil {
		t.Fatal(err)
	}
	e.open, _ = e.Store.Repos().GetByName(ctx, store.InternalViewer, "local/open")
	e.secret, _ = e.Store.Repos().GetByName(ctx, store.InternalViewer, "local/secret")
	return e
}

func repoID(r *store.Repo) string    { return string(relay.MarshalID("Repository", r.ID)) }
func campaignUserID(id int64) string { return string(relay.MarshalID("User", id)) }

// patchPlan creates a plan from a patch of the public repository as token's user.
func (e *campaignsEnv) patchPlan(t *testing.T, token string) (string, int64) {
	t.Helper()
	var out struct{ CreateCampaignPlanFromPatches struct{ ID string } }
	e.MustDo(t, token, `mutation($r: ID!, $p: String!) { createCampaignPlanFromPatches(patches: [{repository: $r, baseRevision: "0123456789012345678901234567890123456789", baseRef: "refs/heads/main", patch: $p}]) { id } }`,
		map[string]any{"r": repoID(e.open), "p": testPatch}, &out)
	var n int64
	if err := relay.UnmarshalSpec(graphql.ID(out.CreateCampaignPlanFromPatches.ID), &n); err != nil {
		t.Fatal(err)
	}
	return out.CreateCampaignPlanFromPatches.ID, n
}

func (e *campaignsEnv) finishJobs(t *testing.T, planID int64, state string) {
	t.Helper()
	if _, err := e.DB.Exec(context.Background(), "UPDATE campaign_jobs SET state = $1, finished_at = now(), failure_message = CASE WHEN $1 = 'failed' THEN 'boom' END WHERE plan_id = $2", state, planID); err != nil {
		t.Fatal(err)
	}
}

const createCampaign = `mutation($ns: ID!, $name: String!, $branch: String, $plan: ID, $draft: Boolean) {
  createCampaign(input: {namespace: $ns, name: $name, branch: $branch, plan: $plan, draft: $draft}) { id publishedAt changesetPlans { totalCount nodes { id publicationEnqueued } } } }`

func TestCreateCampaignErrors(t *testing.T) {
	e := newCampaignsEnv(t, apitest.Options{})
	planID, planN := e.patchPlan(t, e.alice)
	vars := func(name, branch string) map[string]any {
		return map[string]any{"ns": campaignUserID(e.aliceID), "name": name, "branch": branch, "plan": planID}
	}
	expect := func(what, code, msg string, r *apitest.Response) {
		t.Helper()
		if r.Code() != code || len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, msg) {
			t.Fatalf("%s: got %+v, want %s containing %q", what, r.Errors, code, msg)
		}
	}
	expect("blank name", "BAD_USER_INPUT", "name must not be blank", e.Do(t, e.alice, createCampaign, vars("  ", "b")))
	expect("plan not finished", campaigns.CodePlanNotFinished, "has not finished", e.Do(t, e.alice, createCampaign, vars("c", "b")))
	e.finishJobs(t, planN, "failed")
	expect("no diffs", "BAD_USER_INPUT", "no diffs", e.Do(t, e.alice, createCampaign, vars("c", "b")))
	e.finishJobs(t, planN, "completed")
	expect("blank branch", "BAD_USER_INPUT", "branch must not be blank", e.Do(t, e.alice, createCampaign, vars("c", "")))
	expect("bad branch", "BAD_USER_INPUT", "not a valid branch name", e.Do(t, e.alice, createCampaign, vars("c", "a..b")))
	expect("someone else's namespace", "FORBIDDEN", "permission", e.Do(t, e.bob, createCampaign, vars("c", "b")))
	r := e.Do(t, e.bob, createCampaign, map[string]any{"ns": campaignUserID(e.bobID), "name": "c", "branch": "b", "plan": planID})
	expect("someone else's plan", "NOT_FOUND", "not found", r)

	var ok struct {
		CreateCampaign struct {
			ID             string
			PublishedAt    *string
			ChangesetPlans struct{ TotalCount int }
		}
	}
	e.MustDo(t, e.alice, createCampaign, map[string]any{"ns": campaignUserID(e.aliceID), "name": "c", "branch": "b", "plan": planID, "draft": true}, &ok)
	if ok.CreateCampaign.PublishedAt != nil || ok.CreateCampaign.ChangesetPlans.TotalCount != 1 {
		t.Fatalf("draft campaign %+v", ok.CreateCampaign)
	}
	expect("reused plan", "CONFLICT", "already used", e.Do(t, e.alice, createCampaign, vars("c2", "b")))
	expect("canceling a used plan", "CONFLICT", "used by a campaign", e.Do(t, e.alice, `mutation($p: ID!) { cancelCampaignPlan(plan: $p) { alwaysNil } }`, map[string]any{"p": planID}))

	// A canceled plan cannot make a campaign.
	plan2, plan2N := e.patchPlan(t, e.alice)
	e.MustDo(t, e.alice, `mutation($p: ID!) { cancelCampaignPlan(plan: $p) { alwaysNil } }`, map[string]any{"p": plan2}, nil)
	var st struct {
		Node struct {
			Status struct{ State string }
			Jobs   struct{ Nodes []struct{ State string } }
		}
	}
	e.MustDo(t, e.alice, `query($p: ID!) { node(id: $p) { ... on CampaignPlan { status { state } jobs { nodes { state } } } } }`, map[string]any{"p": plan2}, &st)
	if st.Node.Status.State != "CANCELED" || st.Node.Jobs.Nodes[0].State != "CANCELED" {
		t.Fatalf("canceled plan %+v", st.Node)
	}
	_ = plan2N
	expect("canceled plan", "BAD_USER_INPUT", "canceled", e.Do(t, e.alice, createCampaign, map[string]any{"ns": campaignUserID(e.aliceID), "name": "c3", "branch": "b", "plan": plan2}))
}

func TestCampaignPlanInputErrorsAndVisibility(t *testing.T) {
	e := newCampaignsEnv(t, apitest.Options{})
	expect := func(what, code, msg string, r *apitest.Response) {
		t.Helper()
		if r.Code() != code || len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, msg) {
			t.Fatalf("%s: got %+v, want %s containing %q", what, r.Errors, code, msg)
		}
	}
	patches := `mutation($r: ID!, $rev: String!, $ref: String!, $p: String!) { createCampaignPlanFromPatches(patches: [{repository: $r, baseRevision: $rev, baseRef: $ref, patch: $p}]) { id } }`
	expect("private repository", "NOT_FOUND", "repository not found", e.Do(t, e.alice, patches, map[string]any{"r": repoID(e.secret), "rev": "main", "ref": "main", "p": testPatch}))
	expect("empty patch", "BAD_USER_INPUT", "patch is empty", e.Do(t, e.alice, patches, map[string]any{"r": repoID(e.open), "rev": "main", "ref": "main", "p": " "}))
	expect("bad revision", "BAD_USER_INPUT", "baseRevision", e.Do(t, e.alice, patches, map[string]any{"r": repoID(e.open), "rev": "-x", "ref": "main", "p": testPatch}))
	expect("bad ref", "BAD_USER_INPUT", "baseRef", e.Do(t, e.alice, patches, map[string]any{"r": repoID(e.open), "rev": "main", "ref": "a b", "p": testPatch}))

	spec := `mutation($s: String!) { createCampaignPlanFromSpec(spec: $s) { id } }`
	expect("invalid spec", "BAD_USER_INPUT", "steps: must list", e.Do(t, e.alice, spec, map[string]any{"s": "on: [{repository: local/open}]"}))
	expect("a typo in the spec", "BAD_USER_INPUT", "line 4: steps[0].contianer: unknown key (the keys here are container, env, run)",
		e.Do(t, e.alice, spec, map[string]any{"s": "on: [{repository: local/open}]\nsteps:\n  - run: 'true'\n    contianer: alpine"}))
	expect("local steps", "FORBIDDEN", "container image", e.Do(t, e.alice, spec, map[string]any{"s": "on: [{repository: local/open}]\nsteps: [{run: 'true'}]"}))
	expect("private repository in on:", "BAD_USER_INPUT", `repository "local/secret" not found`, e.Do(t, e.alice, spec, map[string]any{"s": "on: [{repository: local/secret}]\nsteps: [{run: 'true', container: alpine}]"}))
	expect("anonymous", "UNAUTHENTICATED", "", e.Do(t, "", spec, map[string]any{"s": "x"}))

	var created struct{ CreateCampaignPlanFromSpec struct{ ID string } }
	e.MustDo(t, e.alice, spec, map[string]any{"s": "on: [{repository: local/open, branch: dev}]\nsteps: [{run: 'true', container: alpine}]"}, &created)
	id := created.CreateCampaignPlanFromSpec.ID
	var view struct {
		Node *struct {
			Spec string
			Jobs struct {
				Nodes []struct {
					BaseRef    string
					State      string
					Repository struct{ Name string }
				}
			}
		}
	}
	e.MustDo(t, e.alice, `query($id: ID!) { node(id: $id) { ... on CampaignPlan { spec jobs { nodes { baseRef state repository { name } } } } } }`, map[string]any{"id": id}, &view)
	if view.Node == nil || len(view.Node.Jobs.Nodes) != 1 || view.Node.Jobs.Nodes[0].BaseRef != "dev" || view.Node.Jobs.Nodes[0].State != "QUEUED" {
		t.Fatalf("plan %+v", view.Node)
	}
	view.Node = nil
	e.MustDo(t, e.bob, `query($id: ID!) { node(id: $id) { ... on CampaignPlan { spec } } }`, map[string]any{"id": id}, &view)
	if view.Node != nil {
		t.Fatal("bob sees alice's plan")
	}
	expect("bob cancels alice's plan", "NOT_FOUND", "", e.Do(t, e.bob, `mutation($p: ID!) { cancelCampaignPlan(plan: $p) { alwaysNil } }`, map[string]any{"p": id}))
}

func TestCampaignPermissionsAndLifecycle(t *testing.T) {
	ctx := context.Background()
	e := newCampaignsEnv(t, apitest.Options{})
	planID, planN := e.patchPlan(t, e.alice)
	e.finishJobs(t, planN, "completed")
	var created struct {
		CreateCampaign struct {
			ID             string
			ChangesetPlans struct {
				Nodes []struct {
					ID                  string
					PublicationEnqueued bool
				}
			}
		}
	}
	e.MustDo(t, e.alice, createCampaign, map[string]any{"ns": campaignUserID(e.aliceID), "name": "c", "branch": "b", "plan": planID, "draft": true}, &created)
	id := created.CreateCampaign.ID
	cp := created.CreateCampaign.ChangesetPlans.Nodes[0]

	// Everyone signed in reads campaigns; only the namespace owner (or a site admin)
	// changes them.
	var read struct {
		Node *struct {
			Name                string
			ViewerCanAdminister bool
		}
	}
	e.MustDo(t, e.bob, `query($id: ID!) { node(id: $id) { ... on Campaign { name viewerCanAdminister } } }`, map[string]any{"id": id}, &read)
	if read.Node == nil || read.Node.ViewerCanAdminister {
		t.Fatalf("bob's view %+v", read.Node)
	}
	for name, q := range map[string]string{
		"update":  `mutation($id: ID!) { updateCampaign(input: {id: $id, name: "x"}) { id } }`,
		"close":   `mutation($id: ID!) { closeCampaign(campaign: $id) { id } }`,
		"delete":  `mutation($id: ID!) { deleteCampaign(campaign: $id) { alwaysNil } }`,
		"retry":   `mutation($id: ID!) { retryCampaignChangesets(campaign: $id) { id } }`,
		"publish": `mutation($id: ID!) { publishCampaign(campaign: $id) { id } }`,
	} {
		if r := e.Do(t, e.bob, q, map[string]any{"id": id}); r.Code() != "FORBIDDEN" {
			t.Fatalf("bob %s: %+v", name, r.Errors)
		}
	}
	if r := e.Do(t, e.bob, `mutation($p: ID!) { publishChangeset(changesetPlan: $p) { alwaysNil } }`, map[string]any{"p": cp.ID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("bob publishChangeset: %+v", r.Errors)
	}

	// Publishing one changeset plan queues its changeset for the reconciler.
	e.MustDo(t, e.alice, `mutation($p: ID!) { publishChangeset(changesetPlan: $p) { alwaysNil } }`, map[string]any{"p": cp.ID}, nil)
	var after struct {
		Node struct {
			ChangesetPlans struct {
				Nodes []struct{ PublicationEnqueued bool }
			}
			Changesets struct {
				Nodes []struct{ State, ReconcilerState, PublicationState string }
			}
			Status struct{ State string }
		}
	}
	e.MustDo(t, e.alice, `query($id: ID!) { node(id: $id) { ... on Campaign { changesetPlans { nodes { publicationEnqueued } } changesets { nodes { state reconcilerState publicationState } } status { state } } } }`, map[string]any{"id": id}, &after)
	if len(after.Node.ChangesetPlans.Nodes) != 1 || !after.Node.ChangesetPlans.Nodes[0].PublicationEnqueued || len(after.Node.Changesets.Nodes) != 1 {
		t.Fatalf("after publishChangeset %+v", after.Node)
	}
	if ch := after.Node.Changesets.Nodes[0]; ch.State != "UNPUBLISHED" || ch.ReconcilerState != "QUEUED" || ch.PublicationState != "PUBLISHED" || after.Node.Status.State != "PROCESSING" {
		t.Fatalf("queued changeset %+v, status %s", ch, after.Node.Status.State)
	}

	// Close and delete refuse while a changeset is being processed.
	if _, err := e.DB.Exec(ctx, "UPDATE changesets SET state = 'processing'"); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]string{
		"update": `mutation($id: ID!) { updateCampaign(input: {id: $id, name: "x"}) { id } }`,
		"close":  `mutation($id: ID!) { closeCampaign(campaign: $id, closeChangesets: true) { id } }`,
		"delete": `mutation($id: ID!) { deleteCampaign(campaign: $id) { alwaysNil } }`,
	} {
		if r := e.Do(t, e.alice, q, map[string]any{"id": id}); r.Code() != campaigns.CodeProcessing {
			t.Fatalf("%s while processing: %+v", name, r.Errors)
		}
	}
	// Failed changesets are retried, and only those.
	if _, err := e.DB.Exec(ctx, "UPDATE changesets SET state = 'failed', failure_message = 'push rejected', num_failures = 5"); err != nil {
		t.Fatal(err)
	}
	var retried struct {
		RetryCampaignChangesets struct {
			Changesets struct {
				Nodes []struct{ ReconcilerState string }
			}
		}
	}
	e.MustDo(t, e.alice, `mutation($id: ID!) { retryCampaignChangesets(campaign: $id) { changesets { nodes { reconcilerState } } } }`, map[string]any{"id": id}, &retried)
	if got := retried.RetryCampaignChangesets.Changesets.Nodes[0].ReconcilerState; got != "QUEUED" {
		t.Fatalf("retried changeset %s", got)
	}
	// Closing stops publishing what is not published yet.
	if _, err := e.DB.Exec(ctx, "UPDATE changesets SET state = 'completed'"); err != nil {
		t.Fatal(err)
	}
	var closed struct {
		CloseCampaign struct {
			ClosedAt   *string
			Changesets struct{ TotalCount int }
		}
	}
	e.MustDo(t, e.alice, `mutation($id: ID!) { closeCampaign(campaign: $id) { closedAt changesets { totalCount } } }`, map[string]any{"id": id}, &closed)
	if closed.CloseCampaign.ClosedAt == nil || closed.CloseCampaign.Changesets.TotalCount != 0 {
		t.Fatalf("closed campaign %+v", closed.CloseCampaign)
	}
	if r := e.Do(t, e.alice, `mutation($id: ID!) { publishCampaign(campaign: $id) { id } }`, map[string]any{"id": id}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("publishing a closed campaign: %+v", r.Errors)
	}
	e.MustDo(t, e.alice, `mutation($id: ID!) { deleteCampaign(campaign: $id) { alwaysNil } }`, map[string]any{"id": id}, nil)
	var gone struct{ Node *struct{ ID string } }
	e.MustDo(t, e.alice, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, &gone)
	if gone.Node != nil {
		t.Fatal("a deleted campaign is still found")
	}
}

func TestCampaignsCredentialsAreEncryptedAndPrivate(t *testing.T) {
	ctx := context.Background()
	key, err := encryption.NewKey("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	e := newCampaignsEnv(t, apitest.Options{Deps: func(d *resolvers.Deps) { d.Store = d.Store.WithEncryptionKey(key) }})
	create := `mutation($u: ID, $c: String!) { createCampaignsCredential(user: $u, externalServiceKind: GITHUB, externalServiceURL: "https://GitHub.example.com/", credential: $c) { id externalServiceURL isSiteCredential user { username } } }`
	var mine struct {
		CreateCampaignsCredential struct {
			ID                 string
			ExternalServiceURL string
			IsSiteCredential   bool
			User               *struct{ Username string }
		}
	}
	e.MustDo(t, e.alice, create, map[string]any{"u": campaignUserID(e.aliceID), "c": "alice-secret-token"}, &mine)
	if c := mine.CreateCampaignsCredential; c.ExternalServiceURL != "https://github.example.com" || c.IsSiteCredential || c.User == nil || c.User.Username != "alice" {
		t.Fatalf("credential %+v", c)
	}
	if r := e.Do(t, e.bob, create, map[string]any{"u": campaignUserID(e.aliceID), "c": "x"}); r.Code() != "FORBIDDEN" {
		t.Fatalf("bob setting alice's credential: %+v", r.Errors)
	}
	if r := e.Do(t, e.alice, create, map[string]any{"c": "x"}); r.Code() != "FORBIDDEN" {
		t.Fatalf("alice setting a site credential: %+v", r.Errors)
	}
	e.MustDo(t, e.AdminToken, create, map[string]any{"c": "site-secret-token"}, nil)

	// At rest the secrets are encrypted.
	rows, err := e.DB.Query(ctx, "SELECT credential FROM campaigns_credentials")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, "secret-token") {
			t.Fatalf("credential stored in clear: %q", raw)
		}
		n++
	}
	rows.Close()
	if n != 2 {
		t.Fatalf("%d stored credentials, want 2", n)
	}
	// The user's own credential wins over the site's; the site's serves everyone else.
	st := e.Store.WithEncryptionKey(key)
	for uid, want := range map[int64]string{e.aliceID: "alice-secret-token", e.bobID: "site-secret-token"} {
		c, err := st.Campaigns().CredentialFor(ctx, uid, "GITHUB", "https://github.example.com")
		if err != nil || c == nil || c.Secret != want {
			t.Fatalf("credential for user %d: %+v %v, want %s", uid, c, err, want)
		}
	}

	var listed struct {
		CurrentUser struct {
			CampaignsCredentials []struct{ ID string }
		}
	}
	e.MustDo(t, e.alice, `{ currentUser { campaignsCredentials { id } } }`, nil, &listed)
	if len(listed.CurrentUser.CampaignsCredentials) != 1 {
		t.Fatalf("alice's credentials %+v", listed)
	}
	if r := e.Do(t, e.alice, `{ siteCampaignsCredentials { id } }`, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("alice listing site credentials: %+v", r.Errors)
	}
	if r := e.Do(t, e.bob, `mutation($id: ID!) { deleteCampaignsCredential(campaignsCredential: $id) { alwaysNil } }`, map[string]any{"id": mine.CreateCampaignsCredential.ID}); r.Code() != "NOT_FOUND" {
		t.Fatalf("bob deleting alice's credential: %+v", r.Errors)
	}
	e.MustDo(t, e.alice, `mutation($id: ID!) { deleteCampaignsCredential(campaignsCredential: $id) { alwaysNil } }`, map[string]any{"id": mine.CreateCampaignsCredential.ID}, nil)
	if c, _ := st.Campaigns().CredentialFor(ctx, e.aliceID, "GITHUB", "https://github.example.com"); c == nil || c.Secret != "site-secret-token" {
		t.Fatalf("after deleting hers, alice gets %+v", c)
	}
}

// TestChangesetsInPrivateRepositoriesAreHidden: a campaign's changesets, their errors
// and counts leave out repositories the viewer may not see.
func TestChangesetsInPrivateRepositoriesAreHidden(t *testing.T) {
	ctx := context.Background()
	e := newCampaignsEnv(t, apitest.Options{})
	c := &store.Campaign{Name: "tracking", NamespaceUserID: e.aliceID, AuthorID: e.aliceID}
	if err := e.Store.Campaigns().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*store.Repo{e.open, e.secret} {
		ch, err := e.Store.Campaigns().InsertChangeset(ctx, c.ID, store.NewChangeset{RepoID: r.ID, ExternalServiceID: 0, ExternalID: "7"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Exec(ctx, "UPDATE changesets SET state = 'failed', failure_message = 'no access to '||$1, external_state = 'OPEN' WHERE id = $2", r.Name, ch.ID); err != nil {
			t.Fatal(err)
		}
	}
	id := string(relay.MarshalID("Campaign", c.ID))
	q := `query($id: ID!) { node(id: $id) { ... on Campaign { changesets { totalCount nodes { repository { name } } } status { errors } } } }`
	type view struct {
		Node struct {
			Changesets struct {
				TotalCount int
				Nodes      []struct{ Repository struct{ Name string } }
			}
			Status struct{ Errors []string }
		}
	}
	for token, want := range map[string]int{e.AdminToken: 2, e.bob: 1} {
		var v view
		e.MustDo(t, token, q, map[string]any{"id": id}, &v)
		if v.Node.Changesets.TotalCount != want || len(v.Node.Changesets.Nodes) != want || len(v.Node.Status.Errors) != want {
			t.Fatalf("want %d visible changesets, got %+v", want, v.Node)
		}
		if want == 1 && (v.Node.Changesets.Nodes[0].Repository.Name != "local/open" || strings.Contains(strings.Join(v.Node.Status.Errors, " "), "secret")) {
			t.Fatalf("bob sees the private repository: %+v", v.Node)
		}
	}
}

// TestCampaignMutationEdges: a site admin naming a namespace that does not exist gets
// NOT_FOUND; syncChangeset is for those who administer the changeset; createChangesets
// checks every input before it tracks any.
func TestCampaignMutationEdges(t *testing.T) {
	ctx := context.Background()
	e := newCampaignsEnv(t, apitest.Options{})
	for _, kind := range []string{"User", "Org"} {
		r := e.Do(t, e.AdminToken, `mutation($ns: ID!) { createCampaign(input: {namespace: $ns, name: "x"}) { id } }`, map[string]any{"ns": string(relay.MarshalID(kind, 9999))})
		if r.Code() != "NOT_FOUND" {
			t.Fatalf("a campaign in a missing %s namespace: %+v", kind, r.Errors)
		}
	}

	svc, err := e.Store.ExternalServices().Create(ctx, "GITHUB", "GitHub", `{"url":"https://github.example.com","token":"t","repos":["acme/hosted"]}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{{Name: "github.example.com/acme/hosted", CloneURL: "https://github.example.com/acme/hosted.git", DefaultBranch: "main"}}, false); err != nil {
		t.Fatal(err)
	}
	hosted, err := e.Store.Repos().GetByName(ctx, store.InternalViewer, "github.example.com/acme/hosted")
	if err != nil {
		t.Fatal(err)
	}
	track := `mutation($in: [CreateChangesetInput!]!) { createChangesets(input: $in) { id externalID } }`
	in := func(pairs ...string) []map[string]any {
		var out []map[string]any
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, map[string]any{"repository": pairs[i], "externalID": pairs[i+1]})
		}
		return out
	}
	for name, tc := range map[string]struct {
		in   []map[string]any
		code string
	}{
		"not a number":       {in(repoID(hosted), "7", repoID(hosted), "abc"), "BAD_USER_INPUT"},
		"zero":               {in(repoID(hosted), "0"), "BAD_USER_INPUT"},
		"plain git remote":   {in(repoID(hosted), "7", repoID(e.open), "3"), "BAD_USER_INPUT"},
		"private repository": {in(repoID(hosted), "7", repoID(e.secret), "3"), "NOT_FOUND"},
	} {
		if r := e.Do(t, e.bob, track, map[string]any{"in": tc.in}); r.Code() != tc.code {
			t.Fatalf("%s: %+v, want %s", name, r.Errors, tc.code)
		}
	}
	many := make([]map[string]any, campaigns.MaxChangesetsPerCall+1)
	for i := range many {
		many[i] = map[string]any{"repository": repoID(hosted), "externalID": fmt.Sprint(i + 1)}
	}
	if r := e.Do(t, e.bob, track, map[string]any{"in": many}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("tracking %d pull requests at once: %+v", len(many), r.Errors)
	}
	if n, _ := e.Store.Campaigns().CountChangesets(ctx, store.ChangesetListOptions{Viewer: store.InternalViewer}); n != 0 {
		t.Fatalf("refused inputs left %d changesets behind", n)
	}
	var tracked struct {
		CreateChangesets []struct{ ID, ExternalID string }
	}
	e.MustDo(t, e.bob, track, map[string]any{"in": in(repoID(hosted), "7", repoID(hosted), " 7 ")}, &tracked)
	if len(tracked.CreateChangesets) != 2 || tracked.CreateChangesets[0].ID != tracked.CreateChangesets[1].ID {
		t.Fatalf("the same pull request twice: %+v", tracked.CreateChangesets)
	}
	chID := tracked.CreateChangesets[0].ID

	// bob tracked it: he may sync it, alice may not until it is in a campaign of hers.
	sync := `mutation($c: ID!) { syncChangeset(changeset: $c) { alwaysNil } }`
	if _, err := e.DB.Exec(ctx, "UPDATE changesets SET external_state = 'OPEN'"); err != nil {
		t.Fatal(err)
	}
	e.MustDo(t, e.bob, sync, map[string]any{"c": chID}, nil)
	if r := e.Do(t, e.alice, sync, map[string]any{"c": chID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("alice syncs bob's changeset: %+v", r.Errors)
	}
	var created struct{ CreateCampaign struct{ ID string } }
	e.MustDo(t, e.alice, `mutation($ns: ID!) { createCampaign(input: {namespace: $ns, name: "tracking"}) { id } }`, map[string]any{"ns": campaignUserID(e.aliceID)}, &created)
	e.MustDo(t, e.alice, `mutation($c: ID!, $ch: ID!) { addChangesetsToCampaign(campaign: $c, changesets: [$ch]) { id } }`, map[string]any{"c": created.CreateCampaign.ID, "ch": chID}, nil)
	e.MustDo(t, e.alice, sync, map[string]any{"c": chID}, nil)
	if r := e.Do(t, e.AdminToken, sync, map[string]any{"c": chID}); len(r.Errors) != 0 {
		t.Fatalf("a site admin syncs: %+v", r.Errors)
	}
}

// TestUpdateCampaignWritesWithTheUpdatersCredential: in an organization's campaign, a
// member who updates the campaign (a new plan, a new name) does not get to write to the
// code host with the author's credential: the changesets the update changes are written
// with the updater's.
func TestUpdateCampaignWritesWithTheUpdatersCredential(t *testing.T) {
	ctx := context.Background()
	e := newCampaignsEnv(t, apitest.Options{})
	org, err := e.Store.Orgs().Create(ctx, "acme", "", e.aliceID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Orgs().AddMember(ctx, org.ID, e.bobID); err != nil {
		t.Fatal(err)
	}
	planID, planN := e.patchPlan(t, e.alice)
	e.finishJobs(t, planN, "completed")
	var created struct{ CreateCampaign struct{ ID string } }
	e.MustDo(t, e.alice, createCampaign, map[string]any{"ns": string(relay.MarshalID("Org", org.ID)), "name": "c", "branch": "b", "plan": planID}, &created)
	author := func() int64 {
		t.Helper()
		var id int64
		if err := e.DB.QueryRow(ctx, "SELECT author_id FROM changesets").Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	if a := author(); a != e.aliceID {
		t.Fatalf("the new changeset writes as user %d, want alice (%d)", a, e.aliceID)
	}
	// The pull request was opened.
	if _, err := e.DB.Exec(ctx, "UPDATE changesets SET state = 'completed', external_id = '1', external_state = 'OPEN', external_service_id = (SELECT id FROM external_services LIMIT 1)"); err != nil {
		t.Fatal(err)
	}
	update := `mutation($id: ID!, $name: String, $plan: ID) { updateCampaign(input: {id: $id, name: $name, plan: $plan}) { id } }`
	e.MustDo(t, e.bob, update, map[string]any{"id": created.CreateCampaign.ID, "name": "renamed by bob"}, nil)
	if a := author(); a != e.bobID {
		t.Fatalf("after bob renamed the campaign, its pull request is updated as user %d, want bob (%d)", a, e.bobID)
	}
	if _, err := e.DB.Exec(ctx, "UPDATE changesets SET state = 'completed', author_id = $1", e.aliceID); err != nil {
		t.Fatal(err)
	}
	bobPlan, bobPlanN := e.patchPlan(t, e.bob)
	e.finishJobs(t, bobPlanN, "completed")
	e.MustDo(t, e.bob, update, map[string]any{"id": created.CreateCampaign.ID, "plan": bobPlan}, nil)
	if a := author(); a != e.bobID {
		t.Fatalf("after bob's plan was applied, the changeset pushes as user %d, want bob (%d)", a, e.bobID)
	}
	var c struct {
		Node struct{ Author struct{ Username string } }
	}
	e.MustDo(t, e.bob, `query($id: ID!) { node(id: $id) { ... on Campaign { author { username } } } }`, map[string]any{"id": created.CreateCampaign.ID}, &c)
	if c.Node.Author.Username != "alice" {
		t.Fatalf("the campaign's author became %q", c.Node.Author.Username)
	}
}

func TestCampaignsCredentialsNeedAnEncryptionKey(t *testing.T) {
	e := newCampaignsEnv(t, apitest.Options{})
	r := e.Do(t, e.AdminToken, `mutation { createCampaignsCredential(externalServiceKind: GITHUB, externalServiceURL: "https://github.com", credential: "ghp_x") { id } }`, nil)
	if r.Code() != "FAILED_PRECONDITION" {
		t.Fatalf("storing a credential without ENCRYPTION_KEY: %+v", r.Errors)
	}
	var n int
	if err := e.DB.QueryRow(context.Background(), "SELECT count(*) FROM campaigns_credentials").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d credentials stored (%v)", n, err)
	}
}

// TestPlanStatusNeverAheadOfItsJobs: status and jobs resolve in parallel, and a job may
// finish while they do. Whatever the timing, a response whose status counts the job as
// completed shows the job finished too (a client polling until the plan has finished
// reads the jobs of the same response). Each round puts the job back to PROCESSING and
// finishes it at a different moment around the query.
func TestPlanStatusNeverAheadOfItsJobs(t *testing.T) {
	e := newCampaignsEnv(t, apitest.Options{})
	ctx := context.Background()
	planID, planN := e.patchPlan(t, e.alice)
	const q = `query($p: ID!) { node(id: $p) { ... on CampaignPlan { status { completedCount } jobs { nodes { state } } } } }`
	// The completion lands anywhere from before the query to its end: delays spread
	// over the time one query takes on this machine now.
	var took time.Duration
	for i := 0; i < 3; i++ {
		start := time.Now()
		e.MustDo(t, e.alice, q, map[string]any{"p": planID}, nil)
		took = time.Since(start)
	}
	const rounds = 40
	seenBoth, seenNeither := 0, 0
	for round := 0; round < rounds; round++ {
		if _, err := e.DB.Exec(ctx, "UPDATE campaign_jobs SET state = 'processing', started_at = now(), finished_at = NULL WHERE plan_id = $1", planN); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(round) * took / rounds
		done := make(chan error, 1)
		go func() {
			time.Sleep(delay)
			_, err := e.DB.Exec(ctx, "UPDATE campaign_jobs SET state = 'completed', finished_at = now() WHERE plan_id = $1", planN)
			done <- err
		}()
		var out struct {
			Node struct {
				Status struct{ CompletedCount int }
				Jobs   struct{ Nodes []struct{ State string } }
			}
		}
		e.MustDo(t, e.alice, q, map[string]any{"p": planID}, &out)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if len(out.Node.Jobs.Nodes) != 1 {
			t.Fatalf("round %d: jobs %+v", round, out.Node.Jobs.Nodes)
		}
		state := out.Node.Jobs.Nodes[0].State
		switch {
		case out.Node.Status.CompletedCount == 1 && state != "COMPLETED":
			t.Fatalf("round %d: the status counted the job as completed while its row in the same response said %s", round, state)
		case out.Node.Status.CompletedCount == 1:
			seenBoth++
		case state == "PROCESSING":
			seenNeither++
		}
	}
	t.Logf("%d rounds saw the job finished, %d saw it running", seenBoth, seenNeither)
}
