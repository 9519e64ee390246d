package webapp_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/background/codemonitors"
	"github.com/lookout/lookout/internal/background/issuemonitors"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/browsertest"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/webapp"
)

// browser is shared by every test of the package; each test has its own tab and context.
var (
	browser    *browsertest.Browser
	skipReason string
)

func TestMain(m *testing.M) {
	if !webapp.Installed() {
		skipReason = "the web app is not built into this package: run `make web` first"
		if os.Getenv("CI") == "true" {
			fmt.Fprintln(os.Stderr, "browser tests:", skipReason)
			os.Exit(1)
		}
	} else {
		browser, skipReason = browsertest.StartForTests()
	}
	code := m.Run()
	if browser != nil {
		browser.Close()
	}
	os.Exit(code)
}

// env is the whole system for one browser test: the frontend (API and app) on an
// httptest server and a worker's routines, on a fresh database.
type env struct {
	api *apitest.Env
	st  *store.Store
	url string
}

// startEnv starts the frontend and, with worker set, the routines of the repos,
// codemonitors and issuemonitors jobs.
func startEnv(t *testing.T, worker bool) *env {
	t.Helper()
	if browser == nil {
		t.Skip(skipReason)
	}
	n, err := notify.New(notify.Config{Outgoing: notify.OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	api := apitest.New(t, apitest.Options{App: webapp.Handler(webapp.App()), Deps: func(d *resolvers.Deps) {
		d.Notifier = n
		d.Search = search.NewService(d.Store, d.Repos, nil, d.Logger, search.Options{})
	}})
	e := &env{api: api, st: api.Store, url: api.Server.URL}
	if !worker {
		return e
	}
	renv := repostest.Env(t, api.DB)
	renv.Hostname = "browser-test-worker"
	renv.Registration = routine.NewRegistration(renv.Hostname, []string{"repos", "codemonitors", "issuemonitors"})
	push := codemonitors.NewPushListener(e.st, renv.Logger)
	svc := repostest.Start(t, api.DB, push.OnChange)
	searchSvc := search.NewService(e.st, svc, nil, renv.Logger, search.Options{})
	cm, err := codemonitors.Routines(renv, codemonitors.Options{
		Store: e.st, Search: searchSvc, Mirrors: svc, Notifier: n, ExternalURL: e.url,
		EnqueueInterval: 200 * time.Millisecond, WorkerPollInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	im, err := issuemonitors.Routines(renv, issuemonitors.Options{
		Store: e.st, Search: searchSvc, Notifier: n, ExternalURL: e.url,
		EnqueueInterval: 200 * time.Millisecond, WorkerPollInterval: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	repostest.StartRoutines(t, append(cm, im...)...)
	repostest.StartRoutines(t, routine.NewHeartbeat(renv, routine.HeartbeatInterval))
	return e
}

// user creates a user who signs in with a password.
func (e *env) user(t *testing.T, name string, siteAdmin bool) *store.User {
	t.Helper()
	u, _ := e.api.CreateUser(t, name, siteAdmin)
	hash, err := auth.HashPassword("password-" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.Users().SetPasswordHash(context.Background(), u.ID, hash); err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn opens a tab and signs name in through the sign-in form, landing on path.
func (e *env) signIn(t *testing.T, name, path string) *browsertest.Tab {
	t.Helper()
	tab := browser.NewTab(t)
	tab.Go(e.url + path)
	tab.WaitText("main h1", "Sign in")
	tab.Fill("Username", name)
	tab.Fill("Password", "password-"+name)
	tab.Click("Sign in")
	tab.WaitText(".navbar-user", name)
	return tab
}
