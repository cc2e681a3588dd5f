package server

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// notBuilt is served at / when the binary has no UI build: the API works,
// and the page says how to get the UI.
const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Velostream Studio</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Velostream Studio</h1>
<p>The Studio's API is running, but this <code>velo</code> binary was built without the web UI.
Build it with <code>make web</code> (or <code>make build</code>, which builds the UI when it is stale) and start <code>velo studio</code> again.</p>
<p>The API is described by <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
</body></html>
`

// uiHandler serves the UI's files. Paths that are not files get index.html
// (the UI routes in the browser: /notebooks/trading-analytics reloads into
// the app); paths with a file extension that do not exist are 404s, so a
// missing script is not answered with HTML.
func uiHandler(ui fs.FS) http.Handler {
	if ui == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
				return
			}
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(notBuilt))
		})
	}
	files := http.FileServerFS(ui)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p == "" {
			p = "index.html"
		}
		if _, err := fs.Stat(ui, p); err != nil && path.Ext(p) == "" {
			r = r.Clone(r.Context())
			r.URL.Path = "/"
		}
		// Hashed assets never change; index.html must be revalidated so a
		// new build is picked up.
		if strings.HasPrefix(p, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}
