// Package apitest runs Lookout's real HTTP API on a fresh database for tests: the same
// router, resolvers and authentication the frontend serves, on an httptest server.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/app"
	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/encryption"
	"github.com/lookout/lookout/internal/httpapi"
	"github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/webhooks"
)

// Env is a running API.
type Env struct {
	DB     *pgxpool.Pool
	Store  *store.Store
	Server *httptest.Server
	// Repos is the repository service the API uses (a mirror cache in a temp dir that
	// allows local clone URLs).
	Repos *repos.Service
	// Admin is a site admin and AdminToken its access token.
	Admin      *store.User
	AdminToken string
}

// Options change the environment before it starts.
type Options struct {
	// Deps, when set, adjusts the resolver dependencies (areas add their services).
	Deps func(*resolvers.Deps)
	// Extra routes, as in httpapi.RouterDeps.
	Extra map[string]http.Handler
	// MaxCost overrides the cost limit (0: the default).
	MaxCost float64
	// ChangesetEvents receives non-push webhook events.
	ChangesetEvents webhooks.ChangesetEventFunc
	// DB, when set, is used instead of a fresh database.
	DB *pgxpool.Pool
	// App serves the web app outside the API paths, as in httpapi.RouterDeps.
	App http.Handler
	// ExternalURL is the URL links are built with (default http://lookout.test).
	ExternalURL string
	// EncryptionKey, when set, encrypts secrets at rest as ENCRYPTION_KEY does.
	EncryptionKey *encryption.Key
}

// New starts an API on a fresh database with one site admin.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	db := opts.DB
	if db == nil {
		db = dbtest.NewDB(t)
	}
	logger := logtest.Scoped(t)
	st := store.New(db).WithEncryptionKey(opts.EncryptionKey)
	cache, err := vcs.NewCache(t.TempDir(), vcs.Options{Logger: logger, AllowLocal: true})
	if err != nil {
		t.Fatalf("mirror cache: %v", err)
	}
	repoSvc := &repos.Service{Store: st, VCS: cache, Logger: logger, Credentials: app.CloneCredential}
	externalURL := opts.ExternalURL
	if externalURL == "" {
		externalURL = "http://lookout.test"
	}
	deps := resolvers.Deps{Store: st, Logger: logger, ExternalURL: externalURL, Repos: repoSvc}
	if opts.Deps != nil {
		opts.Deps(&deps)
	}
	schema, err := resolvers.NewSchema(resolvers.New(deps), resolvers.DefaultLimits)
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	maxCost := opts.MaxCost
	if maxCost == 0 {
		maxCost = httpapi.DefaultMaxCost
	}
	reg := prometheus.NewRegistry()
	handler := httpapi.NewRouter(httpapi.RouterDeps{
		Logger: logger, Schema: schema, MaxCost: maxCost,
		Auth:     &auth.Authenticator{Store: st, Logger: logger},
		Ready:    map[string]httpapi.Pinger{"database": db.Ping},
		Gatherer: reg, Metrics: httpapi.NewMetrics(reg), Extra: opts.Extra,
		Webhooks: &webhooks.Handler{Store: st, Logger: logger, ChangesetEvents: opts.ChangesetEvents},
		App:      opts.App,
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	e := &Env{DB: db, Store: st, Server: srv, Repos: repoSvc}
	e.Admin, e.AdminToken = e.CreateUser(t, "admin", true)
	return e
}

// CreateUser creates a user with a verified email and returns it with an access token.
func (e *Env) CreateUser(t testing.TB, username string, siteAdmin bool) (*store.User, string) {
	t.Helper()
	ctx := context.Background()
	u, err := e.Store.Users().Create(ctx, store.NewUser{Username: username, Email: username + "@example.com", EmailVerified: true, SiteAdmin: siteAdmin})
	if err != nil {
		t.Fatalf("creating user %s: %v", username, err)
	}
	token := auth.NewToken()
	if _, err := e.Store.AccessTokens().Create(ctx, u.ID, u.ID, token, "test", []string{auth.ScopeUserAll}); err != nil {
		t.Fatalf("creating token: %v", err)
	}
	return u, token
}

// Response is a GraphQL response with its HTTP status.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// Code returns the code of the first error, or "".
func (r *Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Do posts a GraphQL request with token (empty: anonymous).
func (e *Env) Do(t testing.TB, token, query string, vars map[string]any) *Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.Server.URL+httpapi.GraphQLPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	return e.DoRequest(t, req)
}

// DoRequest sends req and decodes a GraphQL response.
func (e *Env) DoRequest(t testing.TB, req *http.Request) *Response {
	t.Helper()
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := &Response{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("response is not JSON (status %d): %s", resp.StatusCode, raw)
	}
	return out
}

// MustDo is Do that fails the test on any error and unmarshals data into out.
func (e *Env) MustDo(t testing.TB, token, query string, vars map[string]any, out any) {
	t.Helper()
	r := e.Do(t, token, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("GraphQL request failed (status %d): %+v", r.Status, r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decoding data: %v (%s)", err, r.Data)
		}
	}
}
