package console_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/loyalhub/loyalhub/pipelines/console"
)

func serve(t *testing.T, method, path string, header http.Header) *http.Response {
	t.Helper()
	mux := http.NewServeMux()
	console.New().Routes(mux)
	req := httptest.NewRequest(method, path, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec.Result()
}

// TestHandlerServesAssets checks each kind of file: its content type, the
// Content-Security-Policy and the cache headers that make a browser
// revalidate it.
func TestHandlerServesAssets(t *testing.T) {
	tests := []struct {
		name, path, contentType, contains string
	}{
		{"the prefix is the page", "/console/", "text/html; charset=utf-8", `<script type="module" src="js/app.js">`},
		{"the page by name", "/console/index.html", "text/html; charset=utf-8", "<title>loyalhub console</title>"},
		{"stylesheet", "/console/console.css", "text/css; charset=utf-8", "--accent"},
		{"entry module", "/console/js/app.js", "text/javascript; charset=utf-8", `from "./api.js"`},
		{"a screen's module", "/console/js/deadletters.js", "text/javascript; charset=utf-8", "export async function deadLetterScreen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := serve(t, http.MethodGet, tt.path, nil)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, tt.contentType, res.Header.Get("Content-Type"))
			assert.Equal(t, console.Policy, res.Header.Get("Content-Security-Policy"))
			assert.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self';")
			assert.NotContains(t, res.Header.Get("Content-Security-Policy"), "unsafe-inline")
			assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
			assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
			assert.Regexp(t, `^"[0-9a-f]{24}"$`, res.Header.Get("ETag"))
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			assert.Contains(t, string(body), tt.contains)

			again := serve(t, http.MethodGet, tt.path, http.Header{"If-None-Match": {res.Header.Get("ETag")}})
			assert.Equal(t, http.StatusNotModified, again.StatusCode, "revalidated by its ETag")
			assert.Equal(t, res.Header.Get("ETag"), again.Header.Get("ETag"))
			changed := serve(t, http.MethodGet, tt.path, http.Header{"If-None-Match": {`"0000"`}})
			assert.Equal(t, http.StatusOK, changed.StatusCode, "another version is sent in full")
		})
	}
}

func TestHandlerRefusesWhatItDoesNotHave(t *testing.T) {
	t.Run("unknown file", func(t *testing.T) {
		res := serve(t, http.MethodGet, "/console/js/missing.js", nil)
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
		assert.Equal(t, console.Policy, res.Header.Get("Content-Security-Policy"))
		assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	})
	t.Run("a path out of the assets", func(t *testing.T) {
		res := serve(t, http.MethodGet, "/console/../console.go", nil)
		assert.NotEqual(t, http.StatusOK, res.StatusCode)
	})
	t.Run("no slash redirects", func(t *testing.T) {
		res := serve(t, http.MethodGet, "/console", nil)
		assert.Equal(t, http.StatusMovedPermanently, res.StatusCode)
		assert.Equal(t, "/console/", res.Header.Get("Location"))
	})
	t.Run("writes are not served", func(t *testing.T) {
		res := serve(t, http.MethodPost, "/console/", nil)
		assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	})
}

// TestAssetsNeverParseData keeps the console XSS-safe and within its
// policy: no script or style inline in the page, and no script that
// writes markup (data goes in as text nodes, see dom.js).
func TestAssetsNeverParseData(t *testing.T) {
	sinks := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function`)
	err := filepath.WalkDir("assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		switch {
		case strings.HasSuffix(p, ".js"):
			assert.Empty(t, sinks.FindAllString(string(b), -1), "%s writes markup or runs strings as code", p)
		case strings.HasSuffix(p, ".html"):
			for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(string(b), -1) {
				assert.Contains(t, tag, " src=", "%s: inline script %s", p, tag)
			}
			assert.NotRegexp(t, `\sstyle=|\son[a-z]+=`, string(b), "%s: inline style or handler", p)
		}
		return nil
	})
	require.NoError(t, err)
}
