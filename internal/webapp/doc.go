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
// Vite names every asset by a hash of its content, so assets are served with a one-year
// immutable Cache-Control and a browser never revalidates them; index.html, which names
// the current assets, is served with no-cache. Text assets are gzipped once, when the
// handler is built (the bundle is a few hundred KB), not per request.
//
// The build is not committed: without it, Installed is false and every page explains how
// to build the app (go build and go vet work without npm).
package webapp
