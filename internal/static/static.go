// Package static serves embedded static assets to browsers: the API console's GraphiQL
// bundles today (internal/console), and the web app's Vite build through the same
// Handler. It is what makes a 1 MB JavaScript bundle cost a few hundred kilobytes once
// and nothing afterwards:
//
//   - Compression: text assets (JavaScript, CSS, HTML, JSON, SVG, source maps, WebAssembly)
//     go out gzip-compressed to clients that accept it, with Content-Encoding: gzip and
//     Vary: Accept-Encoding. A file embedded with a precompressed sibling (app.js.gz, as
//     a build can write it) is served from that; otherwise the file is compressed at its
//     first request and the result kept in memory for the life of the process, so no
//     request compresses twice.
//   - Caching: every file has a strong ETag (a hash of its content), and a request that
//     names it in If-None-Match gets 304 Not Modified. A file whose name carries a content
//     hash (app-3f9a1c2b.js, as Vite names its output; see HashedName) is immutable:
//     browsers keep it for a year without asking again, since a new build gives new
//     content a new name. Other files (graphiql.min.js) are revalidated on every use,
//     which the ETag makes a 304 after the first load.
//
// Callers mount Handler under a prefix with http.StripPrefix; paths are file names in the
// file system, with no directory listings and no index files (an app's HTML page is the
// caller's to serve).
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options tune a Handler. The zero value is the default.
type Options struct {
	// Immutable reports whether a file's name changes whenever its content does, so
	// browsers may cache it for good. Default: HashedName.
	Immutable func(name string) bool
}

// Handler serves the files of fsys by the request path (without a leading slash).
func Handler(fsys fs.FS, opts Options) http.Handler {
	if opts.Immutable == nil {
		opts.Immutable = HashedName
	}
	return &handler{fsys: fsys, opts: opts, files: map[string]*file{}}
}

type handler struct {
	fsys fs.FS
	opts Options

	mu    sync.Mutex
	files map[string]*file
}

// file is what the handler keeps of one file after its first request.
type file struct {
	once    sync.Once
	err     error
	data    []byte
	gzipped []byte // nil when compressing does not pay
	etag    string
	modTime time.Time
}

// minCompressSize is the size below which compressing saves less than the headers cost.
const minCompressSize = 1024

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || strings.HasSuffix(name, ".gz") || !fs.ValidPath(name) {
		http.NotFound(w, r)
		return
	}
	f := h.load(name)
	if f.err != nil {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	if h.opts.Immutable(name) {
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hdr.Set("Cache-Control", "public, no-cache")
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		hdr.Set("Content-Type", ct)
	}
	hdr.Set("ETag", f.etag)
	if f.gzipped != nil {
		hdr.Add("Vary", "Accept-Encoding")
	}
	if f.gzipped != nil && acceptsGzip(r) {
		if etagMatches(r.Header.Get("If-None-Match"), f.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		hdr.Set("Content-Encoding", "gzip")
		hdr.Set("Content-Length", strconv.Itoa(len(f.gzipped)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(f.gzipped)
		} else {
			w.WriteHeader(http.StatusOK)
		}
		return
	}
	// Uncompressed: ServeContent answers If-None-Match and ranges.
	http.ServeContent(w, r, name, f.modTime, bytes.NewReader(f.data))
}

// load reads (once) a file with its ETag and compressed form.
func (h *handler) load(name string) *file {
	h.mu.Lock()
	f := h.files[name]
	if f == nil {
		f = &file{}
		h.files[name] = f
	}
	h.mu.Unlock()
	f.once.Do(func() {
		st, err := fs.Stat(h.fsys, name)
		if err == nil && st.IsDir() {
			err = fs.ErrNotExist
		}
		if err != nil {
			f.err = err
			return
		}
		if f.data, f.err = fs.ReadFile(h.fsys, name); f.err != nil {
			return
		}
		f.modTime = st.ModTime()
		sum := sha256.Sum256(f.data)
		f.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
		if compressible(name) && len(f.data) >= minCompressSize {
			f.gzipped = precompressed(h.fsys, name)
			if f.gzipped == nil {
				f.gzipped = compress(f.data)
			}
			if len(f.gzipped) >= len(f.data) {
				f.gzipped = nil
			}
		}
	})
	return f
}

// precompressed returns name.gz from fsys when the build wrote one.
func precompressed(fsys fs.FS, name string) []byte {
	data, err := fs.ReadFile(fsys, name+".gz")
	if err != nil {
		return nil
	}
	return data
}

func compress(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(data)                                    // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return buf.Bytes()
}

// compressible are the extensions of text formats worth compressing; images, fonts in
// WOFF2 and archives are compressed already.
var compressible = func(name string) bool {
	switch path.Ext(name) {
	case ".js", ".mjs", ".css", ".html", ".json", ".map", ".svg", ".txt", ".wasm", ".xml", ".ttf", ".otf":
		return true
	}
	return false
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip (q=0 refuses).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if c := strings.TrimSpace(coding); c != "gzip" && c != "*" {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// etagMatches implements If-None-Match's weak comparison for one ETag.
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// HashedName reports whether a file name carries a content hash before its extension,
// as build tools write them: Rollup and Vite end the stem with "-" or "." and 8 characters
// of base64url (app-3f9a1c2b.js, index-Bv_K9-x2.css), webpack with a longer hex or
// alphanumeric hash (main.4f3c2a1b9d8e7f60.js). The hash must hold a digit, so that a
// word (react-dom.production.min.js) is not taken for one.
func HashedName(name string) bool {
	base := path.Base(name)
	dot := strings.LastIndexByte(base, '.')
	if dot <= 0 {
		return false
	}
	stem := base[:dot]
	if n := len(stem); n > 8 && (stem[n-9] == '-' || stem[n-9] == '.') && isHash(stem[n-8:], true) {
		return true
	}
	if i := strings.LastIndexAny(stem, ".-"); i >= 0 && len(stem)-i-1 >= 8 && isHash(stem[i+1:], false) {
		return true
	}
	return false
}

// isHash reports whether s is letters, digits and _ (and -, with dash) with a digit.
func isHash(s string, dash bool) bool {
	digit := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '-' && dash:
		default:
			return false
		}
	}
	return digit
}
