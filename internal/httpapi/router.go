package httpapi

import (
	"net/http"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/console"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/webhooks"
)

// Paths of the frontend's endpoints.
const (
	GraphQLPath = "/.api/graphql"
	ConsolePath = "/api/console"
)

// RouterDeps are what the frontend's HTTP routes need.
type RouterDeps struct {
	Logger  log.Logger
	Schema  *graphql.Schema
	Auth    *auth.Authenticator
	MaxCost float64
	// MaxExpensiveFields bounds the searches and previews of one operation (0: the
	// default).
	MaxExpensiveFields int
	Ready              map[string]Pinger
	Gatherer           prometheus.Gatherer
	Metrics            *Metrics
	// Extra routes added by other areas (exports), keyed by ServeMux pattern. They run
	// behind authentication and instrumentation like the rest.
	Extra map[string]http.Handler
	// Webhooks, when set, serves code host webhooks (authenticated by their signatures,
	// not by user credentials).
	Webhooks http.Handler
	// App, when set, serves the web app at every path outside the API (internal/webapp);
	// without it "/" redirects to the API console.
	App http.Handler
}

// apiPrefixes are the paths that belong to the API: an unknown path under them is a JSON
// 404, never the web app's page.
var apiPrefixes = []string{"/.api/", "/.auth/", "/api/", "/healthz", "/readyz", "/metrics"}

// NotFound answers a path no route serves: JSON under the API prefixes, the web app
// (which routes on the client and shows its own not-found page) elsewhere.
func NotFound(app http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range apiPrefixes {
			if strings.HasPrefix(r.URL.Path, p) || r.URL.Path+"/" == p {
				errcode.WriteHTTP(w, http.StatusNotFound, errcode.NotFound, "no such API endpoint: "+r.URL.Path)
				return
			}
		}
		if app != nil {
			app.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/" {
			http.Redirect(w, r, ConsolePath, http.StatusFound)
			return
		}
		http.NotFound(w, r)
	})
}

// NewRouter returns the frontend's handler.
func NewRouter(d RouterDeps) http.Handler {
	mux := http.NewServeMux()
	route := func(pattern, name string, h http.Handler) {
		mux.Handle(pattern, Instrument(d.Logger, d.Metrics, name, h))
	}
	gql := &GraphQLHandler{Schema: d.Schema, Logger: d.Logger.Scoped("graphql"), MaxCost: d.MaxCost, MaxExpensiveFields: d.MaxExpensiveFields}
	route(GraphQLPath, "graphql", d.Auth.Middleware(gql))
	route(ConsolePath, "console", console.Handler(ConsolePath, GraphQLPath, auth.CSRFHeader))
	route(ConsolePath+"/", "console", console.Handler(ConsolePath, GraphQLPath, auth.CSRFHeader))
	route("/.auth/login", "auth", http.HandlerFunc(d.Auth.Login))
	route("/.auth/logout", "auth", http.HandlerFunc(d.Auth.Logout))
	route("/.auth/session", "auth", http.HandlerFunc(d.Auth.Session))
	mux.HandleFunc("/healthz", Healthz)
	mux.Handle("/readyz", Readyz(d.Ready))
	if d.Gatherer != nil {
		mux.Handle("/metrics", promhttp.HandlerFor(d.Gatherer, promhttp.HandlerOpts{}))
	}
	if d.Webhooks != nil {
		route(webhooks.Pattern, "webhooks", d.Webhooks)
	}
	for pattern, h := range d.Extra {
		route(pattern, pattern, d.Auth.Middleware(h))
	}
	mux.Handle("/", NotFound(d.App))
	return mux
}
