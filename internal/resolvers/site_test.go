package resolvers_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/version"
)

func TestSiteAndLicenseFeatures(t *testing.T) {
	for _, insights := range []bool{true, false} {
		opts := apitest.Options{}
		if insights {
			opts.Deps = func(d *resolvers.Deps) { d.Insights = &resolvers.InsightsDeps{} }
		}
		e := apitest.New(t, opts)
		_, aliceToken := e.CreateUser(t, "alice", false)
		const q = `{
			site { id buildVersion productVersion externalURL viewerCanAdminister }
			insights: enterpriseLicenseHasFeature(feature: "code-insights")
			campaigns: enterpriseLicenseHasFeature(feature: "campaigns")
			batchChanges: enterpriseLicenseHasFeature(feature: "batch-changes")
			monitors: enterpriseLicenseHasFeature(feature: "code-monitoring")
			sso: enterpriseLicenseHasFeature(feature: "sso")
			repository(name: null) { id }
		}`
		type site struct {
			ID, BuildVersion, ProductVersion, ExternalURL string
			ViewerCanAdminister                           bool
		}
		type answer struct {
			Site                                             site
			Insights, Campaigns, BatchChanges, Monitors, SSO bool
			Repository                                       *struct{ ID string }
		}
		var admin, alice answer
		e.MustDo(t, e.AdminToken, q, nil, &admin)
		e.MustDo(t, aliceToken, q, nil, &alice)
		want := answer{Site: site{ID: string(relay.MarshalID("Site", 1)), BuildVersion: version.Version(), ProductVersion: version.Version(), ExternalURL: "http://lookout.test", ViewerCanAdminister: true},
			Insights: insights, Campaigns: true, BatchChanges: true, Monitors: true}
		if diff := cmp.Diff(want, admin); diff != "" {
			t.Errorf("insights=%v, admin: %s", insights, diff)
		}
		want.Site.ViewerCanAdminister = false
		if diff := cmp.Diff(want, alice); diff != "" {
			t.Errorf("insights=%v, alice: %s", insights, diff)
		}
		// The site is a node.
		var n struct {
			Node struct {
				Typename string `json:"__typename"`
			}
		}
		e.MustDo(t, aliceToken, `query($id: ID!) { node(id: $id) { __typename } }`, map[string]any{"id": admin.Site.ID}, &n)
		if n.Node.Typename != "Site" {
			t.Errorf("node(site id): %+v", n)
		}
		if r := e.Do(t, "", `{ site { id } }`, nil); r.Code() != "UNAUTHENTICATED" {
			t.Errorf("anonymous site: %+v", r.Errors)
		}
	}
}

// Every part of a monitor is a node its owner (and site admins) can load, and nobody else.
func TestMonitorPartsAreNodes(t *testing.T) {
	ctx := context.Background()
	e := apitest.New(t, apitest.Options{})
	alice, aliceToken := e.CreateUser(t, "alice", false)
	_, bobToken := e.CreateUser(t, "bob", false)
	var created struct{ CreateCodeMonitor monitorView }
	e.MustDo(t, aliceToken, createMonitor, map[string]any{"ns": userID(alice.ID), "q": "type:diff TODO", "actions": []map[string]any{
		{"email": map[string]any{"enabled": true, "includeResults": false, "priority": "NORMAL", "recipients": []string{userID(alice.ID)}, "header": "hi"}},
		{"webhook": map[string]any{"enabled": true, "includeResults": true, "url": "https://93.184.215.14/hook"}},
		{"slackWebhook": map[string]any{"enabled": true, "includeResults": false, "url": "https://hooks.slack.com/services/T0/B0/X0"}},
	}}, &created)
	m := created.CreateCodeMonitor

	// One run of the trigger with one notification of the email action.
	if _, err := e.Store.CodeMonitors().EnqueueDueTriggers(ctx); err != nil {
		t.Fatal(err)
	}
	var emailID int64
	if err := relay.UnmarshalSpec(graphql.ID(m.Actions.Nodes[0].ID), &emailID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.Exec(ctx, `INSERT INTO cm_action_jobs (email, trigger_event) SELECT $1, max(id) FROM cm_trigger_jobs`, emailID); err != nil {
		t.Fatal(err)
	}
	var logs struct {
		Node struct {
			Trigger struct {
				Events struct {
					Nodes []struct {
						ID      string
						Actions struct {
							Nodes []struct {
								Events struct{ Nodes []struct{ ID string } }
							}
						}
					}
				}
			}
		}
	}
	e.MustDo(t, aliceToken, `query($id: ID!) { node(id: $id) { ... on Monitor { trigger { ... on MonitorQuery {
		events(first: 5) { nodes { id actions(first: 5) { nodes { ... on MonitorEmail { events(first: 5) { nodes { id } } } } } } } } } } } }`, map[string]any{"id": m.ID}, &logs)
	events := logs.Node.Trigger.Events.Nodes
	if len(events) != 1 || len(events[0].Actions.Nodes) != 3 || len(events[0].Actions.Nodes[0].Events.Nodes) != 1 {
		t.Fatalf("monitor logs: %+v", logs)
	}
	parts := map[string]string{
		m.Trigger.ID:          "MonitorQuery",
		events[0].ID:          "MonitorTriggerEvent",
		m.Actions.Nodes[0].ID: "MonitorEmail",
		m.Actions.Nodes[1].ID: "MonitorWebhook",
		m.Actions.Nodes[2].ID: "MonitorSlackWebhook",
		events[0].Actions.Nodes[0].Events.Nodes[0].ID: "MonitorActionEvent",
	}
	const q = `query($id: ID!) { node(id: $id) { __typename id } }`
	for id, typename := range parts {
		for _, tc := range []struct {
			who   string
			token string
			sees  bool
		}{{"alice (owner)", aliceToken, true}, {"admin", e.AdminToken, true}, {"bob", bobToken, false}} {
			var res struct {
				Node *struct {
					Typename string `json:"__typename"`
					ID       string
				}
			}
			e.MustDo(t, tc.token, q, map[string]any{"id": id}, &res)
			switch {
			case tc.sees && (res.Node == nil || res.Node.Typename != typename || res.Node.ID != id):
				t.Errorf("%s loading %s %s: %+v", tc.who, typename, id, res.Node)
			case !tc.sees && res.Node != nil:
				t.Errorf("%s loads alice's %s: %+v", tc.who, typename, res.Node)
			}
		}
	}
	// A deleted monitor's parts are gone.
	e.MustDo(t, aliceToken, `mutation($id: ID!) { deleteCodeMonitor(id: $id) { alwaysNil } }`, map[string]any{"id": m.ID}, nil)
	for id := range parts {
		var res struct{ Node *struct{ ID string } }
		e.MustDo(t, aliceToken, q, map[string]any{"id": id}, &res)
		if res.Node != nil {
			t.Errorf("node %s of a deleted monitor: %+v", id, res.Node)
		}
	}
}
