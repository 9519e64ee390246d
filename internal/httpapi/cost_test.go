package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/httpapi"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/throttle"
)

// searchEnv is the real API with search over one local repository holding files; a
// nil gate is the resolvers' default.
func searchEnv(t testing.TB, gate *throttle.Gate, files map[string]string) *apitest.Env {
	t.Helper()
	repo := gittest.NewRepo(t)
	repo.Commit(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), "Ada <ada@example.com>", "add files", files)
	return searchEnvWithRepo(t, gate, repo.Dir)
}

// searchEnvWithRepo is the real API with search over the repository in dir.
func searchEnvWithRepo(t testing.TB, gate *throttle.Gate, dir string) *apitest.Env {
	t.Helper()
	e := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) {
		d.Search = search.NewService(d.Store, d.Repos, search.NewBlobCache(0, nil), nil, search.Options{})
		d.Expensive = gate
	}})
	addLocalRepo(t, e, "local/code", dir)
	return e
}

// addLocalRepo registers dir as a public repository of a GIT connection and fetches it
// into the API's mirror cache.
func addLocalRepo(t testing.TB, e *apitest.Env, name, dir string) {
	t.Helper()
	ctx := context.Background()
	cfg, _ := json.Marshal(map[string]any{"repos": []string{dir}})
	svc, err := e.Store.ExternalServices().Create(ctx, "GIT", name, string(cfg), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{{Name: name, CloneURL: dir, DefaultBranch: "main"}}, false); err != nil {
		t.Fatal(err)
	}
	r, err := e.Store.Repos().GetByName(ctx, store.InternalViewer, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Repos.Fetch(ctx, r.ID, nil); err != nil {
		t.Fatal(err)
	}
}

// aliasedSearches is an operation with n aliases of one search.
func aliasedSearches(n int, q string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " s%d: search(query: %q) { results { matchCount } }", i, q)
	}
	b.WriteString(" }")
	return b.String()
}

func TestExpensiveFieldsAreCappedPerRequest(t *testing.T) {
	e := searchEnv(t, nil, map[string]string{"main.go": "package main\n\nfunc main() { exec.Command(\"ls\") }\n"})
	_, token := e.CreateUser(t, "alice", false)

	// The reported attack: 1,000 aliases of a diff search. Refused before anything runs.
	start := time.Now()
	r := e.Do(t, token, aliasedSearches(1000, "type:diff e"), nil)
	if r.Status != 400 || r.Code() != httpapi.CodeQueryTooComplex {
		t.Fatalf("1000 aliased searches: status %d code %q %+v", r.Status, r.Code(), r.Errors)
	}
	if msg := r.Errors[0].Message; !strings.Contains(msg, "search ×1000") || !strings.Contains(msg, fmt.Sprint("at most ", httpapi.DefaultMaxExpensiveFields)) {
		t.Fatalf("message %q does not say what and how many", msg)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("refusing took %s: the searches ran", elapsed)
	}

	// One over the cap, counted through fragments too.
	over := `query { ...S ...S2 f: search(query: "main") { results { matchCount } } }
fragment S on Query { a: search(query: "exec") { results { matchCount } } b: search(query: "exec") { results { matchCount } } }
fragment S2 on Query { ... on Query { c: search(query: "exec") { results { matchCount } } d: search(query: "exec") { results { matchCount } } e: search(query: "main") { results { matchCount } } } }`
	r = e.Do(t, token, over, nil)
	if r.Status != 400 || r.Code() != httpapi.CodeQueryTooComplex || r.Errors[0].Extensions["expensiveFields"] != float64(6) {
		t.Fatalf("six expensive fields: status %d %+v", r.Status, r.Errors)
	}

	// The cap itself runs, and every search answers.
	var data map[string]struct{ Results struct{ MatchCount int } }
	e.MustDo(t, token, aliasedSearches(httpapi.DefaultMaxExpensiveFields, "exec.Command"), nil, &data)
	if len(data) != httpapi.DefaultMaxExpensiveFields {
		t.Fatalf("got %d results", len(data))
	}
	for alias, s := range data {
		if s.Results.MatchCount != 1 {
			t.Fatalf("%s: matchCount %d, want 1", alias, s.Results.MatchCount)
		}
	}
}

func TestCostUsesVariableDefaults(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	const nested = `campaigns(first: %s) { nodes { changesets(first: %s) { nodes { id } } } }`
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		wantStatus  int
	}{
		{"literal", "{ " + fmt.Sprintf(nested, "1000", "1000") + " }", nil, 400},
		{"variable default", "query($n: Int = 1000) { " + fmt.Sprintf(nested, "$n", "$n") + " }", nil, 400},
		{"variable given", "query($n: Int = 1000) { " + fmt.Sprintf(nested, "$n", "$n") + " }", map[string]any{"n": 1000}, 400},
		{"variable given small over a large default", "query($n: Int = 1000) { " + fmt.Sprintf(nested, "$n", "$n") + " }", map[string]any{"n": 5}, 200},
		{"variable without default, unset", "query($n: Int) { " + fmt.Sprintf(nested, "$n", "$n") + " }", nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, e.AdminToken, tc.query, tc.vars)
			if r.Status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %+v", r.Status, tc.wantStatus, r.Errors)
			}
			if tc.wantStatus == 400 && r.Code() != httpapi.CodeQueryTooComplex {
				t.Fatalf("code %q, want %s", r.Code(), httpapi.CodeQueryTooComplex)
			}
		})
	}
}

func TestExpensiveWorkIsBoundedPerUser(t *testing.T) {
	// The default number of slots per user, with a shorter wait than the default so the
	// test is quick (a stricter setting than a user's).
	gate := throttle.NewGate(throttle.DefaultPerUser, 200*time.Millisecond)
	e := searchEnv(t, gate, map[string]string{"main.go": "package main\n\nfunc main() { exec.Command(\"ls\") }\n"})
	alice, aliceToken := e.CreateUser(t, "alice", false)
	_, bobToken := e.CreateUser(t, "bob", false)

	// Alice's slots are all busy (as if her own searches were running).
	var releases []func()
	for range gate.PerUser() {
		release, err := gate.Acquire(context.Background(), alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	const q = `{ search(query: "exec.Command") { results { matchCount } } }`
	r := e.Do(t, aliceToken, q, nil)
	if r.Status != 200 || r.Code() != "RATE_LIMITED" || !strings.Contains(r.Errors[0].Message, fmt.Sprintf("at most %d run together", throttle.DefaultPerUser)) {
		t.Fatalf("alice's search with her slots taken: %d %+v", r.Status, r.Errors)
	}
	// Bob is not affected by Alice.
	var data struct {
		Search struct{ Results struct{ MatchCount int } }
	}
	e.MustDo(t, bobToken, q, nil, &data)
	if data.Search.Results.MatchCount != 1 {
		t.Fatalf("bob's matchCount = %d", data.Search.Results.MatchCount)
	}
	// Alice runs again once a slot is free, even when it frees while she waits.
	go func() {
		time.Sleep(50 * time.Millisecond)
		releases[0]()
	}()
	e.MustDo(t, aliceToken, q, nil, &data)
	for _, release := range releases {
		release()
	}

	// Five concurrent requests of one user queue for her slots: each is answered, or
	// refused with RATE_LIMITED, never failed otherwise.
	var wg sync.WaitGroup
	errs := make(chan string, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.Do(t, aliceToken, q, nil)
			if len(r.Errors) > 0 {
				errs <- r.Code()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for code := range errs {
		if code != "RATE_LIMITED" {
			t.Fatalf("concurrent searches failed with %q", code)
		}
	}
}

// TestDefaultGate checks the resolvers' default: a user's third concurrent expensive
// operation is the one that waits.
func TestDefaultGate(t *testing.T) {
	if throttle.DefaultPerUser < 1 || throttle.DefaultWait <= 0 {
		t.Fatalf("defaults %d, %s", throttle.DefaultPerUser, throttle.DefaultWait)
	}
	r := resolvers.New(resolvers.Deps{})
	if r.Expensive == nil || r.Expensive.PerUser() != throttle.DefaultPerUser {
		t.Fatalf("resolvers.New did not install the default gate")
	}
}
