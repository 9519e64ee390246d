// Package webapp serves Lookout's web app: the React app under web/ that `make web` builds
// with Vite into dist/app, embedded into the frontend binary so a deployment is one file
// and loads nothing from a CDN.
//
// cmd/frontend mounts Handler at "/" behind the API routes (internal/httpapi). It serves
// the files of the build, and index.html for every other path, because the app routes on
// the client (/code-monitoring/…, /github.com/o/r/-/commit/…): every URL Lookout puts in a
// notification must load the app, which then asks the API for the object. Paths under the
// API prefixes never reach it; unknown ones keep their JSON 404s (httpapi.NotFound).
//
// The files themselves go out through internal/static, the one static file server of
// the frontend (the API console uses it too): Vite names every asset by a hash of its
// content, so assets get a one-year immutable Cache-Control and a browser never
// revalidates them; text is gzipped once, when the handler is built; every response has
// a strong ETag. This package adds only what an app needs: index.html, which names the
// current assets, for every client route, with no-cache and the page's security headers,
// and a 404 for an asset of another build (a stale tab) instead of index.html.
//
// The build is not committed: without it, Installed is false and every page explains how
// to build the app (go build and go vet work without npm).
package webapp
