// Package console serves the operator console: a handful of hand-written
// HTML, CSS and JavaScript module files, embedded in the binary, that run
// in the operator's browser and call the admin API (/api/v1) with a key
// the operator pastes. The files are served as they are, with a strict
// Content-Security-Policy (scripts, styles and requests to this origin
// only), and revalidated by their ETag on each load, so that a new
// release is seen at once.
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// Prefix is where the console is mounted.
const Prefix = "/console/"

// Policy is the console's Content-Security-Policy: nothing but this
// origin's scripts, styles, images and API; no inline script or style, no
// framing.
const Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed assets
var assets embed.FS

// file is an embedded file ready to serve.
type file struct {
	body        []byte
	contentType string
	etag        string
}

// Handler serves the console's files under Prefix; the prefix alone serves
// index.html.
type Handler struct {
	files map[string]file
}

// New reads the embedded files; it panics only if the binary was built
// without them.
func New() *Handler {
	h := &Handler{files: map[string]file{}}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		h.files[strings.TrimPrefix(p, "assets/")] = file{
			body: body, contentType: contentType(p), etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic("console: reading the embedded files: " + err.Error())
	}
	return h
}

// contentType is the type of a file by its extension, with the charset
// for text.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Routes mounts the console on mux: GET /console redirects to /console/.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.Handle("GET "+Prefix, h)
	mux.Handle("GET "+strings.TrimSuffix(Prefix, "/"), http.RedirectHandler(Prefix, http.StatusMovedPermanently))
}

// ServeHTTP serves one file (index.html for the prefix itself), with the
// console's security headers; an unknown file is 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", Policy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	name := strings.TrimPrefix(r.URL.Path, Prefix)
	if name == "" {
		name = "index.html"
	}
	f, ok := h.files[name]
	if !ok {
		hd.Set("Cache-Control", "no-store")
		http.Error(w, "no console file "+name, http.StatusNotFound)
		return
	}
	// Revalidated on every load: cheap (304 by ETag), and a release's
	// files are never mixed with the last one's.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", f.etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hd.Set("Content-Type", f.contentType)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(f.body)
}

// etagMatches reports whether an If-None-Match header names etag.
func etagMatches(header, etag string) bool {
	for _, m := range strings.Split(header, ",") {
		m = strings.TrimSpace(m)
		if m == "*" || strings.TrimPrefix(m, "W/") == etag {
			return true
		}
	}
	return false
}
