package static_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lookout/lookout/internal/static"
)

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.Bytes()
}

func TestHandlerCompressesAndCaches(t *testing.T) {
	bundle := strings.Repeat("function graphiql() { return 42; }\n", 2000) // ~70 KB of JavaScript
	app := strings.Repeat(".app { color: red; }\n", 300)
	pre := strings.Repeat("console.log('precompressed');\n", 200)
	png := string(bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 1, 2, 3}, 500))
	fsys := fstest.MapFS{
		"graphiql.min.js":             {Data: []byte(bundle)},
		"assets/index-Bv_K9x2q.css":   {Data: []byte(app)},
		"assets/chunk-3f9a1c2b.js":    {Data: []byte(pre)},
		"assets/chunk-3f9a1c2b.js.gz": {Data: gz(t, pre)},
		"logo.png":                    {Data: []byte(png)},
		"small.js":                    {Data: []byte("x()")},
	}
	srv := httptest.NewServer(http.StripPrefix("/static/", static.Handler(fsys, static.Options{})))
	defer srv.Close()
	get := func(method, path string, hdr map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		// The default transport would ask for gzip itself and decompress silently.
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	gunzip := func(b []byte) string {
		t.Helper()
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("not gzip: %v", err)
		}
		out, _ := io.ReadAll(zr)
		return string(out)
	}
	acceptGzip := map[string]string{"Accept-Encoding": "gzip, deflate, br"}

	// A large text asset goes out compressed, with the headers caches need.
	resp, body := get("GET", "/static/graphiql.min.js", acceptGzip)
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Encoding") != "gzip" || h.Get("Vary") != "Accept-Encoding" ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/javascript") || h.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Fatalf("compressed response: %d %v", resp.StatusCode, h)
	}
	if gunzip(body) != bundle || len(body)*10 > len(bundle) {
		t.Fatalf("compressed %d bytes to %d", len(bundle), len(body))
	}
	gzEtag := h.Get("ETag")
	if !strings.HasSuffix(gzEtag, `-gz"`) || strings.HasPrefix(gzEtag, "W/") || h.Get("Cache-Control") != "public, no-cache" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("an unhashed name is revalidated, by a strong ETag of the gzipped bytes: %v", h)
	}
	// Revalidation costs nothing; a client without gzip gets the same file as is, with
	// its own strong ETag (a strong validator names exact bytes).
	if resp, body := get("GET", "/static/graphiql.min.js", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gzEtag}); resp.StatusCode != 304 || len(body) != 0 {
		t.Fatalf("revalidation: %d %q", resp.StatusCode, body)
	}
	resp, body = get("GET", "/static/graphiql.min.js", nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || string(body) != bundle || etag == "" || etag == gzEtag ||
		resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("identity response: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := get("GET", "/static/graphiql.min.js", map[string]string{"If-None-Match": `W/` + etag}); resp.StatusCode != 304 {
		t.Fatalf("weak revalidation: %d", resp.StatusCode)
	}
	// The gzipped bytes' ETag does not validate the identity bytes, nor the other way.
	if resp, _ := get("GET", "/static/graphiql.min.js", map[string]string{"If-None-Match": gzEtag}); resp.StatusCode != 200 {
		t.Fatalf("the gzip ETag revalidated the identity response: %d", resp.StatusCode)
	}
	if resp, _ := get("GET", "/static/graphiql.min.js", map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag}); resp.StatusCode != 200 {
		t.Fatalf("the identity ETag revalidated the gzipped response: %d", resp.StatusCode)
	}
	if resp, _ := get("GET", "/static/graphiql.min.js", map[string]string{"Accept-Encoding": "gzip;q=0, identity"}); resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("gzip;q=0 refuses gzip: %v", resp.Header)
	}
	if resp, body := get("GET", "/static/graphiql.min.js", map[string]string{"Range": "bytes=0-7"}); resp.StatusCode != 206 || string(body) != bundle[:8] {
		t.Fatalf("range: %d %q", resp.StatusCode, body)
	}
	if resp, body := get("HEAD", "/static/graphiql.min.js", acceptGzip); resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}

	// Content-hashed names are immutable; a precompressed sibling is served as built.
	resp, body = get("GET", "/static/assets/index-Bv_K9x2q.css", acceptGzip)
	if resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || gunzip(body) != app || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("hashed CSS: %v", resp.Header)
	}
	resp, body = get("GET", "/static/assets/chunk-3f9a1c2b.js", acceptGzip)
	if !bytes.Equal(body, fsys["assets/chunk-3f9a1c2b.js.gz"].Data) || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("precompressed file: %v", resp.Header)
	}

	// A gzipped range is a range of the gzipped bytes, as HTTP defines it.
	if resp, body := get("GET", "/static/assets/chunk-3f9a1c2b.js", map[string]string{"Accept-Encoding": "gzip", "Range": "bytes=0-1"}); resp.StatusCode != 206 || !bytes.Equal(body, fsys["assets/chunk-3f9a1c2b.js.gz"].Data[:2]) {
		t.Fatalf("gzipped range: %d %x", resp.StatusCode, body)
	}

	// What compression does not help goes out as is: images, tiny files.
	for _, p := range []string{"/static/logo.png", "/static/small.js"} {
		resp, _ := get("GET", p, acceptGzip)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "" {
			t.Errorf("%s: %d %v", p, resp.StatusCode, resp.Header)
		}
	}
	// No listings, no .gz files by name, no escaping the file system, GET and HEAD only.
	for _, p := range []string{"/static/assets", "/static/assets/chunk-3f9a1c2b.js.gz", "/static/../static.go", "/static/nope.js", "/static/"} {
		if resp, _ := get("GET", p, nil); resp.StatusCode != 404 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if resp, _ := get("POST", "/static/graphiql.min.js", nil); resp.StatusCode != 405 {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

// A file without an extension gets a sniffed type; Has and Serve let a caller pick the
// file for a path (as the web app does for its client routes) and set Cache-Control.
func TestHasAndServe(t *testing.T) {
	fsys := fstest.MapFS{
		"index.html": {Data: []byte("<!doctype html><title>app</title>" + strings.Repeat("<p>lookout</p>", 200))},
		"LICENSE":    {Data: []byte("plain text license")},
		"assets":     {Mode: fs.ModeDir},
	}
	h := static.Handler(fsys, static.Options{Preload: true})
	for name, want := range map[string]bool{"index.html": true, "LICENSE": true, "assets": false, "nope": false, "": false} {
		if got := h.Has(name); got != want {
			t.Errorf("Has(%q) = %v, want %v", name, got, want)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/LICENSE", nil))
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("sniffed type: %q", ct)
	}
	rec = httptest.NewRecorder()
	rec.Header().Set("Cache-Control", "no-cache")
	req := httptest.NewRequest("GET", "/code-monitoring/123", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	h.Serve(rec, req, "index.html")
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "no-cache" || rec.Header().Get("Content-Encoding") != "gzip" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("Serve(index.html): %d %v", rec.Code, rec.Header())
	}
}

func TestHashedName(t *testing.T) {
	for name, want := range map[string]bool{
		"assets/index-3f9a1c2b.js":     true,
		"assets/index-Bv_K9-x2.css":    true,
		"index.BvK9_x2q.css":           true,
		"main.4f3c2a1b9d8e7f60.js":     true,
		"chunk-a1b2c3d4.min.js":        false, // the hash is not right before the extension
		"graphiql.min.js":              false,
		"react-dom.production.min.js":  false,
		"settings-overview.js":         false,
		"favicon.ico":                  false,
		"abcdefgh":                     false,
		"assets/vendor-Dk3mPq7z.woff2": true,
	} {
		if got := static.HashedName(name); got != want {
			t.Errorf("HashedName(%q) = %v, want %v", name, got, want)
		}
	}
}
