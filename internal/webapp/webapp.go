package webapp

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/lookout/lookout/internal/static"
)

//go:embed dist
var dist embed.FS

// App returns the embedded build (dist/app), or nil when it was not built.
func App() fs.FS {
	sub, err := fs.Sub(dist, "dist/app")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil
	}
	return sub
}

// Installed reports whether the web app was built into this binary.
func Installed() bool { return App() != nil }

// Handler serves the app in files (normally App()): the files of the build through
// internal/static (gzip, ETags, immutable hashed assets), and index.html for any other
// path, since the app routes on the client. A nil files serves the page that says how
// to build the app.
func Handler(files fs.FS) http.Handler {
	if files == nil {
		return http.HandlerFunc(notBuilt)
	}
	// Preload: the bundle is compressed when the server starts, not for its first visitor.
	assets := static.Handler(files, static.Options{Preload: true, Immutable: immutable})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		switch {
		case name != "index.html" && assets.Has(name):
			assets.Serve(w, r, name)
		case strings.HasPrefix(name, "assets/"):
			// A stale page asking for an asset of an older build: a 404, not index.html
			// served as JavaScript.
			http.NotFound(w, r)
		default:
			// A client route. The page names the current build's assets, so it is never
			// used without asking (a 304 by its ETag when the build is the same).
			h := w.Header()
			h.Set("Cache-Control", "no-cache")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
			assets.Serve(w, r, "index.html")
		}
	})
}

// immutable: Vite writes only content-hashed files into assets/ (web/vite.config.ts).
// The directory is the rule rather than static.HashedName, because a quarter of Vite's
// 8-character hashes hold no digit (ListPage-iE_OHDIn.js) and would look like words.
func immutable(name string) bool { return strings.HasPrefix(name, "assets/") }

func notBuilt(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`<!doctype html><html lang="en"><title>Lookout</title><main><h1>The web app is not built into this binary</h1>` +
		`<p>Build it with <code>make web</code> (or <code>make build</code>; it needs Node.js and npm) and rebuild the frontend. ` +
		`The GraphQL API at <code>/.api/graphql</code> and the console at <a href="/api/console">/api/console</a> work without it.</p></main></html>`))
}
