package faultsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/codehost/fakehost"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/notify"
)

// receiver is a real HTTP server that code monitor webhooks are delivered to. It may
// hold a delivery before answering, so that a fault can land while one is in flight.
type receiver struct {
	srv *httptest.Server

	mu   sync.Mutex
	got  []delivery
	hold time.Duration // upper bound of a random delay before answering
	// onDelivery, when set, is called as a delivery arrives (before the hold).
	onDelivery func()
}

// delivery is one webhook a monitor sent: its delivery id, the monitor and the commits of
// its results.
type delivery struct {
	id      string
	monitor string
	commits []string
}

// key identifies a notification by what it says.
func (d delivery) key() string { return d.monitor + " " + strings.Join(d.commits, ",") }

func startReceiver(t testing.TB) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var payload struct {
			MonitorDescription string
			Results            []struct{ Commit string }
		}
		_ = json.Unmarshal(body, &payload)
		d := delivery{id: r.Header.Get(notify.DeliveryHeader), monitor: payload.MonitorDescription}
		for _, res := range payload.Results {
			d.commits = append(d.commits, res.Commit)
		}
		sort.Strings(d.commits)
		rc.mu.Lock()
		rc.got = append(rc.got, d)
		hold, on := rc.hold, rc.onDelivery
		rc.mu.Unlock()
		if on != nil {
			on()
		}
		if hold > 0 {
			time.Sleep(rand.N(hold))
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) all() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// deliveryFigures checks the deliveries against the commits pushed: every (monitor,
// commit) was notified, in exactly one notification, and every notification under
// exactly one delivery id. It returns the number of notifications, of redeliveries (the
// same notification again under its id: at-least-once delivery) and of duplicates (a
// notification under a second id, or a commit in two notifications), with a description
// of what is wrong.
func deliveryFigures(got []delivery, monitors []string, pushed []string) (notifications, redeliveries, duplicates int, problems []string) {
	ids := map[string]map[string]bool{}     // notification → delivery ids
	inNotification := map[string][]string{} // monitor+commit → notifications
	for _, d := range got {
		k := d.key()
		if ids[k] == nil {
			ids[k] = map[string]bool{}
			for _, c := range d.commits {
				inNotification[d.monitor+" "+c] = append(inNotification[d.monitor+" "+c], k)
			}
		} else if ids[k][d.id] {
			redeliveries++
		}
		ids[k][d.id] = true
	}
	for k, set := range ids {
		notifications++
		if len(set) > 1 {
			duplicates += len(set) - 1
			problems = append(problems, fmt.Sprintf("notification %q delivered under %d ids", k, len(set)))
		}
	}
	for _, m := range monitors {
		for _, c := range pushed {
			switch n := len(inNotification[m+" "+c]); {
			case n == 0:
				problems = append(problems, fmt.Sprintf("monitor %q never notified commit %s", m, c))
			case n > 1:
				duplicates += n - 1
				problems = append(problems, fmt.Sprintf("monitor %q notified commit %s in %d notifications", m, c, n))
			}
		}
	}
	return notifications, redeliveries, duplicates, problems
}

// waitNotified waits until every push was notified by every monitor, once, and returns
// how long it took; on timeout it fails with what is missing or doubled.
func (e *estate) waitNotified(t testing.TB, rc *receiver, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, _, _, problems := deliveryFigures(rc.all(), monitorNames, e.pushedCommits())
		if len(problems) == 0 {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("after %s the notifications are not right:\n%s\ndeliveries: %+v", timeout, strings.Join(problems, "\n"), rc.all())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// estate is the estate the suite's scenarios run on: repositories with a year of
// history mentioning "needle" (which insights count), half behind a GIT connection (bare
// repositories campaigns push branches to) and half on a fake GitHub (pull requests).
type estate struct {
	d       *deployment
	gh      *fakehost.GitHub
	repos   []*estateRepo
	created time.Time

	mu     sync.Mutex
	pushed []string // commits pushed by push()
}

type estateRepo struct {
	name   string // repository name in Lookout
	ghPath string // "acme/x" on the fake GitHub, or ""
	work   *gittest.Repo
	bare   string
	id     string // GraphQL ID
}

// newEstate makes n repositories (n/2 on each kind of host), registers the connections
// through the API and waits until a worker cloned them all. A pre-receive hook makes
// every push to the bare repositories take a little while, so a fault can land during one.
func newEstate(t testing.TB, d *deployment, n int, slowPushes bool) *estate {
	t.Helper()
	e := &estate{d: d, gh: fakehost.NewGitHub(t), created: time.Now()}
	var gitPaths, ghPaths []string
	for i := 0; i < n; i++ {
		r := &estateRepo{work: gittest.NewRepo(t)}
		for m := 12; m >= 1; m-- {
			r.work.Commit(e.created.AddDate(0, -m, 0), "", fmt.Sprintf("month %d", m), map[string]string{
				"README.md":  "This repository uses a needle.\n",
				"history.md": strings.Repeat("needle\n", (m*(i+1))%5+1),
			})
		}
		r.bare = filepath.Join(t.TempDir(), fmt.Sprintf("r%d.git", i))
		gittest.Run(t, r.work.Dir, gittest.Env(), "clone", "-q", "--bare", r.work.Dir, r.bare)
		r.work.Git("remote", "add", "origin", r.bare)
		if slowPushes {
			hook := filepath.Join(r.bare, "hooks", "pre-receive")
			if err := os.WriteFile(hook, []byte("#!/bin/sh\ncat >/dev/null\nsleep 0.3\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if i%2 == 0 {
			gitPaths = append(gitPaths, r.bare)
			r.name = "" // the GIT kind names repositories after their path; filled in below
		} else {
			r.ghPath = fmt.Sprintf("acme/r%d", i)
			e.gh.AddRepo(fakehost.Repo{Owner: "acme", Name: fmt.Sprintf("r%d", i), GitDir: r.bare})
			ghPaths = append(ghPaths, r.ghPath)
		}
		e.repos = append(e.repos, r)
	}
	gitCfg, _ := json.Marshal(map[string]any{"repos": gitPaths})
	ghCfg, _ := json.Marshal(map[string]any{"url": e.gh.URL(), "token": fakehost.DefaultToken, "webhookSecret": fakehost.DefaultWebhookSecret, "repos": ghPaths})
	for kind, cfg := range map[string][]byte{"GIT": gitCfg, "GITHUB": ghCfg} {
		d.mustGQL(`mutation($kind: ExternalServiceKind!, $name: String!, $cfg: String!) { addExternalService(input: {kind: $kind, displayName: $name, config: $cfg}) { id } }`,
			map[string]any{"kind": kind, "name": kind + " repositories", "cfg": string(cfg)}, nil)
	}
	type repoNode struct {
		ID, Name   string
		MirrorInfo struct{ Cloned bool }
	}
	waitFor(t, "every repository to be cloned", 90*time.Second, func() bool {
		var out struct{ Repositories struct{ Nodes []repoNode } }
		if err := d.gql(`{ repositories(first: 50) { nodes { id name mirrorInfo { cloned } } } }`, nil, &out); err != nil {
			return false
		}
		if len(out.Repositories.Nodes) != n {
			return false
		}
		for _, node := range out.Repositories.Nodes {
			if !node.MirrorInfo.Cloned {
				return false
			}
		}
		for _, node := range out.Repositories.Nodes {
			for _, r := range e.repos {
				if (r.ghPath != "" && strings.HasSuffix(node.Name, "/"+r.ghPath)) || (r.ghPath == "" && strings.HasSuffix(node.Name, strings.TrimSuffix(filepath.Base(r.bare), ".git"))) {
					r.name, r.id = node.Name, node.ID
				}
			}
		}
		return true
	})
	for _, r := range e.repos {
		if r.id == "" {
			t.Fatalf("repository %s (%s) was not found by name among the cloned ones", r.bare, r.ghPath)
		}
	}
	return e
}

// push commits a change that both code monitors of addMonitors match to repository i,
// pushes it to its host and tells Lookout (a GitHub push webhook, or a fetch request for
// a GIT repository).
func (e *estate) push(t testing.TB, i, n int) string {
	t.Helper()
	r := e.repos[i%len(e.repos)]
	oid := r.work.Commit(time.Now(), "Dev <dev@example.com>", fmt.Sprintf("pushmark %d", n), map[string]string{"pushes.md": fmt.Sprintf("pushed-needle %d\n", n)})
	r.work.Git("push", "-q", "origin", "main")
	if r.ghPath != "" {
		dl, err := e.gh.PushDelivery(r.ghPath, "refs/heads/main", "0000000000000000000000000000000000000001", oid)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(dl.Request("http://" + e.d.frontend.addr + "/.api/webhooks/github"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("push webhook answered %d", resp.StatusCode)
		}
	} else {
		e.d.mustGQL(`mutation($id: ID!) { updateMirrorRepository(repository: $id) { alwaysNil } }`, map[string]any{"id": r.id}, nil)
	}
	e.mu.Lock()
	e.pushed = append(e.pushed, oid)
	e.mu.Unlock()
	return oid
}

func (e *estate) pushedCommits() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.pushed)
}

// Monitors of addMonitors: both match every commit push() makes.
var monitorNames = []string{"pushed diffs", "pushed commits"}

// addMonitors creates two code monitors with a webhook action to rc.
func (e *estate) addMonitors(t testing.TB, rc *receiver) {
	t.Helper()
	var me struct{ CurrentUser struct{ ID string } }
	e.d.mustGQL(`{ currentUser { id } }`, nil, &me)
	for i, q := range []string{"type:diff pushed-needle", "type:commit pushmark"} {
		e.d.mustGQL(`mutation($ns: ID!, $d: String!, $q: String!, $url: String!) { createCodeMonitor(monitor: {namespace: $ns, description: $d, enabled: true},
			trigger: {query: $q}, actions: [{webhook: {enabled: true, includeResults: true, url: $url}}]) { id } }`,
			map[string]any{"ns": me.CurrentUser.ID, "d": monitorNames[i], "q": q, "url": rc.srv.URL + "/hook"}, nil)
	}
}

// addInsight creates a line chart insight counting "needle" monthly over every
// repository, which queues its backfill.
func (e *estate) addInsight(t testing.TB, title string) string {
	t.Helper()
	var created struct {
		CreateLineChartSearchInsight struct{ View struct{ ID string } }
	}
	e.d.mustGQL(`mutation($input: LineChartSearchInsightInput!) { createLineChartSearchInsight(input: $input) { view { id } } }`, map[string]any{
		"input": map[string]any{
			"dataSeries":      []any{map[string]any{"query": "needle", "options": map[string]any{"label": "needles"}}},
			"repositoryScope": map[string]any{"repositories": []string{}},
			"timeScope":       map[string]any{"stepInterval": map[string]any{"unit": "MONTH", "value": 1}},
			"options":         map[string]any{"title": title},
		},
	}, &created)
	return created.CreateLineChartSearchInsight.View.ID
}

// checkInsightPoints compares every point of an insight view with git grep over the
// estate's repositories at the point's time: a repository counted twice (or skipped)
// after a fault shows here.
func (e *estate) checkInsightPoints(t testing.TB, viewID string) (points int) {
	t.Helper()
	var out struct {
		InsightViews struct {
			Nodes []struct {
				DataSeries []struct {
					Points []struct {
						DateTime time.Time
						Value    float64
					}
				}
			}
		}
	}
	e.d.mustGQL(`query($id: ID!) { insightViews(id: $id) { nodes { dataSeries { points { dateTime value } } } } }`, map[string]any{"id": viewID}, &out)
	if len(out.InsightViews.Nodes) != 1 || len(out.InsightViews.Nodes[0].DataSeries) != 1 {
		t.Fatalf("insight view %s: %+v", viewID, out)
	}
	for _, p := range out.InsightViews.Nodes[0].DataSeries[0].Points {
		want := 0
		for _, r := range e.repos {
			want += gittest.CountAt(t, r.work.Dir, "needle", p.DateTime)
		}
		if p.Value != float64(want) {
			t.Errorf("insight %s at %s: %v, git grep says %d", viewID, p.DateTime.Format(time.DateOnly), p.Value, want)
		}
		points++
	}
	if points == 0 {
		t.Errorf("insight %s has no points", viewID)
	}
	return points
}

// campaignSpec replaces the needle in every repository's README.
const campaignSpec = `
name: no-needles
description: Replace the needle.
on:
  - repositoriesMatchingQuery: uses a needle
steps:
  - run: sed -i 's/uses a needle/uses a pin/' README.md
changesetTemplate:
  title: Replace the needle
  body: Pins are safer.
  branch: campaigns/no-needles
  commit:
    message: Replace the needle
`

// startCampaign creates a plan from campaignSpec; once the plan finished, publish creates
// the campaign (pushing branches and opening pull requests).
func (e *estate) startPlan(t testing.TB) string {
	t.Helper()
	var created struct{ CreateCampaignPlanFromSpec struct{ ID string } }
	e.d.mustGQL(`mutation($s: String!) { createCampaignPlanFromSpec(spec: $s) { id } }`, map[string]any{"s": campaignSpec}, &created)
	return created.CreateCampaignPlanFromSpec.ID
}

// planState is the plan's status state (PROCESSING until every job finished).
func (e *estate) planState(planID string) string {
	var out struct {
		Node struct{ Status struct{ State string } }
	}
	if err := e.d.gql(`query($id: ID!) { node(id: $id) { ... on CampaignPlan { status { state } } } }`, map[string]any{"id": planID}, &out); err != nil {
		return ""
	}
	return out.Node.Status.State
}

func (e *estate) createCampaign(t testing.TB, planID string) {
	t.Helper()
	var me struct{ CurrentUser struct{ ID string } }
	e.d.mustGQL(`{ currentUser { id } }`, nil, &me)
	e.d.mustGQL(`mutation($ns: ID!, $plan: ID!) { createCampaign(input: {namespace: $ns, name: "No needles", plan: $plan}) { id } }`,
		map[string]any{"ns": me.CurrentUser.ID, "plan": planID}, nil)
}

// checkCampaign checks what the campaign left on the hosts: on every repository exactly
// the campaign's branch, at the commit its changeset recorded, and on the fake GitHub
// exactly one pull request per repository. It returns the branches and pull requests.
func (e *estate) checkCampaign(t testing.TB) (branches, pulls int) {
	t.Helper()
	rows, err := e.d.mainDB.Query(context.Background(), `SELECT r.name, c.pushed_commit, c.external_id FROM changesets c JOIN repo r ON r.id = c.repo_id`)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string][2]string{}
	for rows.Next() {
		var name string
		var commit, ext *string
		if err := rows.Scan(&name, &commit, &ext); err != nil {
			t.Fatal(err)
		}
		recorded[name] = [2]string{deref(commit), deref(ext)}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.repos {
		refs := gittest.Run(t, r.bare, gittest.Env(), "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/campaigns/")
		lines := strings.Split(strings.TrimSpace(refs), "\n")
		if refs == "" || len(lines) != 1 {
			t.Errorf("%s has campaign branches %q, want exactly one", r.name, refs)
			continue
		}
		branches++
		ref, oid, _ := strings.Cut(lines[0], " ")
		if ref != "refs/heads/campaigns/no-needles" || recorded[r.name][0] != oid {
			t.Errorf("%s: branch %s at %s, changeset recorded %q", r.name, ref, oid, recorded[r.name])
		}
		if r.ghPath != "" {
			prs := e.gh.PullRequests(r.ghPath)
			pulls += len(prs)
			if len(prs) != 1 {
				t.Errorf("%s has %d pull requests, want exactly 1", r.ghPath, len(prs))
			} else if recorded[r.name][1] != strconv.FormatInt(prs[0].Number, 10) || prs[0].HeadSHA != oid {
				t.Errorf("%s: pull request #%d at %s, changeset recorded %q", r.ghPath, prs[0].Number, prs[0].HeadSHA, recorded[r.name])
			}
		}
	}
	return branches, pulls
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
