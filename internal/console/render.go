package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
)

//go:embed templates
var templateFS embed.FS

// pageCSP is the Content-Security-Policy of the console's HTML: scripts,
// styles and requests from Roster itself only (no inline script or style),
// images from Roster or data: URIs (the TOTP QR code, Pico's icons), no
// framing, forms posted to Roster only.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// loadTemplates parses each page template with the layout; a template
// that does not parse stops the console at start-up.
func loadTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"date": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"role": roleLabel,
		// fullName is how the console names a user (users.go).
		"fullName": fullName,
		"percent":  percent,
	}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, fmt.Errorf("console: templates: %w", err)
		}
		out[base] = t
	}
	return out, nil
}

// view is what every template gets: the page's own data under Data, and
// what the layout needs.
type view struct {
	User  *directory.User
	CSRF  string
	Flash *flash
	Nav   []navItem
	// Here is the path of the page, which nav marks as current.
	Here string
	Data any
}

// Can reports whether the signed-in user holds a permission: "write",
// "read", "usage" or "self". Templates show write buttons only
// {{if .Can "write"}}; the page refuses the write anyway.
func (v view) Can(perm string) bool {
	if v.User == nil {
		return false
	}
	p, ok := permNames[perm]
	return ok && admin.Allows(p, v.User.Role)
}

var permNames = map[string]admin.Perm{
	"write": admin.PermWrite, "read": admin.PermRead, "usage": admin.PermUsage, "self": admin.PermSelf,
}

// render writes the page template name with data, in the layout.
func (c *Console) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name string, data any) error {
	return c.execute(w, r, rq, status, name, "layout", data)
}

// renderFragment writes one template of a page's set without the layout:
// the part of the page an htmx request swaps.
func (c *Console) renderFragment(w http.ResponseWriter, r *http.Request, rq *request, status int, name, block string, data any) error {
	return c.execute(w, r, rq, status, name, block, data)
}

func (c *Console) execute(w http.ResponseWriter, r *http.Request, rq *request, status int, name, block string, data any) error {
	t, ok := c.tmpl[name]
	if !ok {
		return directory.Internal(fmt.Errorf("console: no template %q", name))
	}
	v := view{CSRF: rq.csrf, Flash: rq.flash, Here: r.URL.Path, Data: data}
	if rq.signedIn() {
		v.User = rq.user
		v.Nav = c.nav(rq.user.Role)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, v); err != nil {
		return directory.Internal(fmt.Errorf("console: render %s: %w", name, err))
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	// Browsers send "Origin: null" with the forms of a no-referrer page;
	// same-origin lets the CSRF check see the page's own origin.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes()) // the client went away: nothing to do
	return nil
}

// errorData is what the error page shows.
type errorData struct {
	Status  int
	Title   string
	Message string
}

// renderError shows err on the error page with the status of its code.
// Internal errors are logged and shown as "internal error".
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	status := apijson.Status(err)
	if status >= 500 {
		c.logger.ErrorContext(r.Context(), "console request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", apijson.RetryAfterUnavailable)
	}
	d := errorData{Status: status, Title: http.StatusText(status), Message: directory.ErrorMessage(err)}
	if rerr := c.render(w, r, rq, status, "error", d); rerr != nil {
		c.logger.ErrorContext(r.Context(), "console error page failed", "error", rerr)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// formErrors are a form's validation messages by field name ("" for the
// form as a whole).
type formErrors map[string]string

// formError turns a use case's error into the form's messages, when it is
// the caller's to correct; other errors are returned for the error page.
func formError(err error) (formErrors, error) {
	switch directory.ErrorCode(err) {
	case directory.CodeInvalid, directory.CodeConflict:
		d := apijson.Detail(err)
		return formErrors{d.Field: d.Message}, nil
	}
	return nil, err
}

// percent shows a share (0-1) as a percentage, to two decimals at most.
func percent(f float64) string {
	return strconv.FormatFloat(math.Round(f*10000)/100, 'f', -1, 64) + "%"
}

// roleLabel is a role as the console names it.
func roleLabel(r directory.Role) string {
	switch r {
	case directory.RoleOrgAdmin:
		return "Organization Admin"
	case directory.RoleOrgViewer:
		return "View Only Admin"
	case directory.RoleBillingAdmin:
		return "Billing Admin"
	case directory.RoleUser:
		return "User"
	}
	return string(r)
}
