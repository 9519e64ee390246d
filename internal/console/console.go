// Package console serves the GraphiQL API console at /api/console. GraphiQL and React are
// installed from npm by `make console-assets` and embedded into the binary, so the console
// works offline and loads nothing from a CDN.
package console

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/lookout/lookout/internal/static"
)

//go:embed assets index.html
var files embed.FS

// required are the bundles index.html loads.
var required = []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js", "graphiql.min.css"}

var page = template.Must(template.ParseFS(files, "index.html"))

// Installed reports whether the GraphiQL bundles were embedded at build time.
func Installed() bool {
	for _, name := range required {
		if _, err := fs.Stat(files, "assets/"+name); err != nil {
			return false
		}
	}
	return true
}

// Handler serves the console page at prefix and its assets under prefix/assets/.
func Handler(prefix, graphqlPath, csrfHeader string) http.Handler {
	prefix = strings.TrimRight(prefix, "/")
	assets, _ := fs.Sub(files, "assets")
	// The bundles (graphiql.min.js is about 1 MB) go out compressed and revalidated by ETag.
	assetServer := http.StripPrefix(prefix+"/assets/", static.Handler(assets, static.Options{}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, prefix+"/assets/") {
			assetServer.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != prefix && r.URL.Path != prefix+"/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Frame-Options", "DENY")
		if !Installed() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`<!doctype html><title>Lookout API console</title><p>The API console's assets were not built into this binary. Run <code>make console-assets</code> (or <code>make build</code>) and rebuild the frontend. The API itself is at <code>` + template.HTMLEscapeString(graphqlPath) + `</code>.</p>`))
			return
		}
		_ = page.Execute(w, map[string]string{"Assets": prefix + "/assets", "GraphQL": graphqlPath, "CSRFHeader": csrfHeader})
	})
}
