package console

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
)

// page is one page or form of the console: where it is, who may use it
// (a permission of the API's own table) and its handler. Pages exist only
// in the page table (pages.go).
type page struct {
	method, path string
	perm         admin.Perm
	// limited pages (login, codes, passwords) are rate-limited per client
	// address.
	limited bool
	serve   pageFunc
}

// pageFunc serves a request the permission check let through. A returned
// error is rendered once, by the error page.
type pageFunc func(w http.ResponseWriter, r *http.Request, rq *request) error

// request is what the console knows of a request before its page runs.
type request struct {
	// session and user are the caller's, nil when nobody is signed in; a
	// session may be at a stage short of full on PermPending pages.
	session *directory.Session
	user    *directory.User
	token   string
	// csrf is the token every form and htmx request of the page sends back.
	csrf  string
	flash *flash
}

// signedIn reports whether the caller has a full session.
func (rq *request) signedIn() bool {
	return rq.session != nil && rq.session.Stage == directory.StageFull
}

// register puts pages on the mux; each must name its permission and have
// a handler.
func (c *Console) register(pages []page) error {
	for _, pg := range pages {
		if pg.perm == admin.PermNone || pg.serve == nil {
			return fmt.Errorf("console: %s %s needs a permission and a handler", pg.method, pg.path)
		}
		pattern := pg.method + " " + pg.path
		if err := handle(c.mux, pattern, c.wrap(pg)); err != nil {
			return err
		}
		if pg.method == http.MethodGet {
			c.patterns[strings.TrimSuffix(pg.path, "{$}")] = true
		}
		c.pages = append(c.pages, pg)
	}
	return nil
}

// handle turns ServeMux's panic on a bad or clashing pattern into an error.
func handle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("console: cannot register %q: %v", pattern, p)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// wrap checks the CSRF token of a write, the rate limit, the session and
// the permission, then runs the page and renders its error.
func (c *Console) wrap(pg page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, c.bodyLimit(pg))
		rq := c.request(w, r)
		if err := c.check(w, r, rq, pg); err != nil {
			if !errors.Is(err, errAnswered) {
				c.renderError(w, r, rq, err)
			}
			return
		}
		if err := pg.serve(w, r, rq); err != nil && !errors.Is(err, errAnswered) {
			c.renderError(w, r, rq, err)
		}
	})
}

// errAnswered is returned by a check or a page that has written its
// answer (a redirect) instead of failing.
var errAnswered = errors.New("console: answered")

func (c *Console) check(w http.ResponseWriter, r *http.Request, rq *request, pg page) error {
	if !safeMethod(r.Method) {
		if !c.sameOrigin(r) || !c.validCSRF(r, rq) {
			return directory.Errorf(directory.CodeForbidden,
				"this form expired or came from another site; reload the page and try again")
		}
	}
	if pg.limited {
		if err := c.limit(w, "ip:"+clientIP(r)); err != nil {
			return err
		}
	}
	switch {
	case pg.perm == admin.PermPublic:
		return nil
	case rq.session == nil:
		c.toLogin(w, r)
		return errAnswered
	case pg.perm != admin.PermPending && rq.session.Stage != directory.StageFull:
		http.Redirect(w, r, stagePage(rq.session.Stage), http.StatusSeeOther)
		return errAnswered
	case !admin.Allows(pg.perm, rq.user.Role):
		return directory.Errorf(directory.CodeForbidden, "your role (%s) may not do this", roleLabel(rq.user.Role))
	}
	return nil
}

// toLogin sends a caller without a session to the login page, which brings
// it back to the page it asked for (a GET) afterwards.
func (c *Console) toLogin(w http.ResponseWriter, r *http.Request) {
	target := loginPath
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if r.Header.Get("HX-Request") == "true" {
		// htmx follows a redirect inside the page; ask for a full one.
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath returns next when it is a path of this site, home otherwise,
// so that ?next= cannot send anyone elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return homePath
	}
	return next
}

// request reads the session, the CSRF token (making one on a first visit)
// and the flash message.
func (c *Console) request(w http.ResponseWriter, r *http.Request) *request {
	rq := &request{csrf: c.csrfToken(w, r), flash: c.takeFlash(w, r)}
	ck, err := r.Cookie(admin.SessionCookie)
	if err != nil || ck.Value == "" {
		return rq
	}
	sess, u, err := c.auth.Authenticate(r.Context(), ck.Value)
	if err != nil {
		if directory.IsServerFault(err) {
			c.logger.ErrorContext(r.Context(), "console session lookup failed", "error", err)
		}
		return rq
	}
	rq.session, rq.user, rq.token = sess, u, ck.Value
	return rq
}

// setSessionCookie gives the browser the session of a login, the same
// cookie the API reads.
func (c *Console) setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	// #nosec G124 -- HttpOnly and SameSite are set; Secure is dropped only
	// on a plain-HTTP public URL when the operator asks (InsecureCookies).
	http.SetCookie(w, &http.Cookie{
		Name: admin.SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (c *Console) clearCookie(w http.ResponseWriter, name string) {
	// #nosec G124 -- as setSessionCookie.
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// limit takes a token from key's bucket and refuses the request when none
// is left.
func (c *Console) limit(w http.ResponseWriter, key string) error {
	ok, wait := c.limiter.Allow(key)
	if ok {
		return nil
	}
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return directory.Errorf(directory.CodeRateLimited, "too many attempts; wait %d seconds", secs)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether a browser request comes from Roster's own
// pages: no Origin header, or the public URL's origin.
func (c *Console) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	return origin == "" || strings.EqualFold(origin, c.origin)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
