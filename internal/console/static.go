package console

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// static holds the assets: htmx and Pico CSS (vendored from npm, each with
// its licence) and the console's own stylesheet.
//
//go:embed static
var staticFS embed.FS

// asset is one static file, with its gzip form when that is smaller.
type asset struct {
	contentType string
	plain, gz   []byte
}

// staticHandler serves /static/… from the embedded assets, gzipped for
// browsers that take it (Pico CSS: 83 kB, 12 kB gzipped; htmx: 52 kB, 17 kB). They change
// only with the binary, so browsers may keep them for a day.
func staticHandler() (http.Handler, error) {
	assets := map[string]*asset{}
	err := fs.WalkDir(staticFS, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(name)
		if err != nil {
			return err
		}
		a := &asset{contentType: mime.TypeByExtension(path.Ext(name)), plain: data}
		if a.contentType == "" {
			a.contentType = "text/plain; charset=utf-8"
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
		if _, err := zw.Write(data); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if buf.Len() < len(data) {
			a.gz = buf.Bytes()
		}
		assets["/"+name] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: assets: %w", err)
	}
	modified := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "public, max-age=86400")
		h.Set("Vary", "Accept-Encoding")
		body := a.plain
		if a.gz != nil && acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			body = a.gz
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body) // the client went away: nothing to do
		}
	}), nil
}

// acceptsGzip reports whether the request's Accept-Encoding takes gzip
// (named, and not with q=0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, ok := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}
