package console

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// static holds the assets: htmx and Pico CSS (vendored from npm, each with
// its licence) and the console's own stylesheet.
//
//go:embed static
var staticFS embed.FS

// staticHandler serves /static/… from the embedded assets. They change
// only with the binary, so browsers may keep them for a day.
func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	files := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}
