package webapp_test

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lookout/lookout/internal/httpapi"
	"github.com/lookout/lookout/internal/webapp"
)

var build = fstest.MapFS{
	"index.html":             {Data: []byte(`<!doctype html><script src="/assets/index-abc123.js"></script>` + strings.Repeat("<!-- the app's head, styles and icons -->\n", 40))},
	"assets/index-abc123.js": {Data: []byte(strings.Repeat("console.log('lookout');\n", 200))},
	"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
}

func get(t *testing.T, h http.Handler, path string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHandlerAssetsAreImmutableAndGzipped(t *testing.T) {
	h := webapp.Handler(build)
	resp := get(t, h, "/assets/index-abc123.js", map[string]string{"Accept-Encoding": "gzip, br"})
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control = %q", cc)
	}
	if !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
		t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
	}
	if got := body(t, resp); got != string(build["assets/index-abc123.js"].Data) {
		t.Errorf("gzipped body differs from the asset")
	}
	etag := resp.Header.Get("ETag")
	again := get(t, h, "/assets/index-abc123.js", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag})
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: status %d, want 304", again.StatusCode)
	}

	plain := get(t, h, "/assets/index-abc123.js", nil)
	if plain.Header.Get("Content-Encoding") != "" || body(t, plain) != string(build["assets/index-abc123.js"].Data) {
		t.Errorf("a client without gzip got encoding %q", plain.Header.Get("Content-Encoding"))
	}
	if missing := get(t, h, "/assets/index-old999.js", nil); missing.StatusCode != 404 {
		t.Errorf("an asset of another build: status %d, want 404 (not index.html)", missing.StatusCode)
	}
}

func TestHandlerClientRoutesGetIndexWithoutCaching(t *testing.T) {
	h := webapp.Handler(build)
	for _, path := range []string{"/", "/index.html", "/code-monitoring/Q29kZU1vbml0b3I6MQ==", "/github.com/acme/api/-/commit/abc", "/site-admin/users", "/organizations/acme/invitation"} {
		resp := get(t, h, path, map[string]string{"Accept-Encoding": "gzip"})
		if resp.StatusCode != 200 || !strings.Contains(body(t, resp), "index-abc123.js") {
			t.Errorf("%s: status %d, want index.html", path, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s: Cache-Control = %q, want no-cache", path, cc)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: the page lacks its security headers: %v", path, resp.Header)
		}
		// The page is compressed like the assets, and revalidates to a 304 by its ETag.
		etag := resp.Header.Get("ETag")
		if resp.Header.Get("Content-Encoding") != "gzip" || etag == "" {
			t.Errorf("%s: index.html not gzipped with an ETag: %v", path, resp.Header)
		}
		if again := get(t, h, path, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag}); again.StatusCode != http.StatusNotModified {
			t.Errorf("%s: revalidating index.html: status %d, want 304", path, again.StatusCode)
		}
	}
	// Other files of the build that carry no hash are revalidated, not cached for a year.
	if resp := get(t, h, "/favicon.svg", nil); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, no-cache" || !strings.Contains(resp.Header.Get("Content-Type"), "svg") {
		t.Errorf("favicon: %d %v", resp.StatusCode, resp.Header)
	}
}

// Every file of the real build: assets are immutable and the JavaScript goes out gzipped.
func TestHandlerServesTheBuild(t *testing.T) {
	app := webapp.App()
	if app == nil {
		t.Skip("the web app is not built into this package: run `make web` first")
	}
	h := webapp.Handler(app)
	entries, err := fs.ReadDir(app, "assets")
	if err != nil || len(entries) == 0 {
		t.Fatalf("the build has no assets: %v", err)
	}
	for _, e := range entries {
		resp := get(t, h, "/assets/"+e.Name(), map[string]string{"Accept-Encoding": "gzip"})
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d %q", e.Name(), resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		if strings.HasSuffix(e.Name(), ".js") && len(body(t, resp)) > 2048 && resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s is not gzipped", e.Name())
		}
	}
}

func TestUnknownAPIPathsKeepJSON404(t *testing.T) {
	h := httpapi.NotFound(webapp.Handler(build))
	for _, path := range []string{"/.api/nope", "/.auth/nope", "/api/nope", "/.api/"} {
		resp := get(t, h, path, nil)
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" || !strings.Contains(body(t, resp), `"NOT_FOUND"`) {
			t.Errorf("%s: status %d, type %q; want a JSON 404", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

func TestNotBuiltExplains(t *testing.T) {
	resp := get(t, webapp.Handler(nil), "/code-monitoring", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body(t, resp), "make web") {
		t.Errorf("status %d; want 503 saying to run make web", resp.StatusCode)
	}
}
