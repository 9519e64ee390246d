// Package static serves embedded static assets to browsers: the API console's GraphiQL
// bundles (internal/console) and the web app's Vite build (internal/webapp, which adds
// the app's fallback to index.html on top). It is the one place that makes a 1 MB
// JavaScript bundle cost a few hundred kilobytes once and nothing afterwards:
//
//   - Compression: text assets (JavaScript, CSS, HTML, JSON, SVG, source maps, WebAssembly)
//     go out gzip-compressed to clients that accept it, with Content-Encoding: gzip and
//     Vary: Accept-Encoding. A file embedded with a precompressed sibling (app.js.gz, as
//     a build can write it) is served from that; otherwise the file is compressed once,
//     at its first request (or when the handler is built, with Options.Preload), and the
//     result kept for the life of the process, so no request compresses.
//   - Caching: every representation has a strong ETag (a hash of the content; the gzipped
//     one carries a "-gz" suffix, since a strong validator names exact bytes), and a
//     request naming it in If-None-Match gets 304 Not Modified. A file whose name carries
//     a content hash (app-3f9a1c2b.js, as Vite names its output; see HashedName) is
//     immutable: browsers keep it for a year without asking again, since a new build
//     gives new content a new name. Other files (graphiql.min.js, index.html) are
//     revalidated on every use, which the ETag makes a 304 after the first load.
//   - Safety: GET and HEAD only, no directory listings, no index files, no paths outside
//     the file system, and X-Content-Type-Options: nosniff with a type from the extension
//     (or sniffed, for a name without one).
//
// The set of files is read when the handler is built (embedded file systems do not
// change), so a request for a name that is not there costs a map lookup and keeps
// nothing: an app's client routes are unbounded and must not grow a cache.
//
// Callers mount Files under a prefix with http.StripPrefix, or ask Has and Serve for one
// file when they decide what a path means (the web app's client routes).
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
	"strings"
	"sync"
	"time"
)

// Options tune a Handler. The zero value is the default.
type Options struct {
	// Immutable reports whether a file's name changes whenever its content does, so
	// browsers may cache it for good. Default: HashedName.
	Immutable func(name string) bool
	// Preload reads and compresses every file when the handler is built, so that no
	// first visitor waits for it (an app's bundle: a few hundred KB, tens of ms).
	Preload bool
}

// Files serves the files of a file system.
type Files struct {
	fsys  fs.FS
	opts  Options
	files map[string]*file // every regular file, by its slash-separated name
}

// file is one file; its content is read once, at its first request or at Preload.
type file struct {
	once     sync.Once
	err      error
	data     []byte
	gzipped  []byte // nil when compressing does not pay
	etag     string // of data
	gzipEtag string // of gzipped
	ctype    string
	modTime  time.Time
}

// minCompressSize is the size below which compressing saves less than the headers cost.
const minCompressSize = 1024

// Handler serves the files of fsys by the request path (without a leading slash).
func Handler(fsys fs.FS, opts Options) *Files {
	if opts.Immutable == nil {
		opts.Immutable = HashedName
	}
	h := &Files{fsys: fsys, opts: opts, files: map[string]*file{}}
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		// An unreadable directory leaves its files out: they answer 404.
		if err == nil && d.Type().IsRegular() && !strings.HasSuffix(name, ".gz") {
			h.files[name] = &file{}
		}
		return nil
	})
	if opts.Preload {
		for name := range h.files {
			h.load(name)
		}
	}
	return h
}

// Has reports whether name (slash-separated, no leading slash) is a file Files serves.
func (h *Files) Has(name string) bool {
	f := h.files[name]
	return f != nil && h.load(name).err == nil
}

// ServeHTTP serves the file the request path names, or 404.
func (h *Files) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.Serve(w, r, strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/"))
}

// Serve serves the file name whatever the request path (404 when there is no such file).
// A Cache-Control header the caller set is kept; otherwise Options.Immutable decides.
func (h *Files) Serve(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.files[name] == nil {
		http.NotFound(w, r)
		return
	}
	f := h.load(name)
	if f.err != nil {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	if hdr.Get("Cache-Control") == "" {
		if h.opts.Immutable(name) {
			hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			hdr.Set("Cache-Control", "public, no-cache")
		}
	}
	hdr.Set("Content-Type", f.ctype)
	hdr.Set("X-Content-Type-Options", "nosniff")
	body, etag := f.data, f.etag
	if f.gzipped != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.gzipped, f.gzipEtag
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	// ServeContent answers If-None-Match (with the ETag above) with 304, HEAD, and ranges
	// (of the representation sent, as HTTP defines them for an encoded body).
	http.ServeContent(w, r, name, f.modTime, bytes.NewReader(body))
}

// load reads (once) a file with its ETags and compressed form.
func (h *Files) load(name string) *file {
	f := h.files[name]
	f.once.Do(func() {
		st, err := fs.Stat(h.fsys, name)
		if err != nil {
			f.err = err
			return
		}
		if f.data, f.err = fs.ReadFile(h.fsys, name); f.err != nil {
			return
		}
		f.modTime = st.ModTime()
		f.etag = strongETag(f.data, "")
		f.ctype = mime.TypeByExtension(path.Ext(name))
		if f.ctype == "" {
			f.ctype = http.DetectContentType(f.data)
		}
		if compressible(name) && len(f.data) >= minCompressSize {
			f.gzipped = precompressed(h.fsys, name)
			if f.gzipped == nil {
				f.gzipped = compress(f.data)
			}
			if len(f.gzipped) >= len(f.data) {
				f.gzipped = nil
			} else {
				f.gzipEtag = strongETag(f.data, "-gz")
			}
		}
	})
	return f
}

func strongETag(data []byte, suffix string) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:12]) + suffix + `"`
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
		if c := strings.ToLower(strings.TrimSpace(coding)); c != "gzip" && c != "*" {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
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
