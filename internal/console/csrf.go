package console

import (
	"crypto/rand"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
)

// CSRF protection is a double-submit token: a random value in an HttpOnly
// cookie that the page also carries, in a hidden field of every form
// (csrfField) and in the header of every htmx request (csrfHeader, from
// <body hx-headers>). A cross-site page can make the browser send the
// cookie, but cannot read the value to send it back. Writes must also come
// from the public URL's origin when the browser names one.
const (
	csrfCookie = "roster_csrf"
	csrfField  = "csrf_token"
	csrfHeader = "X-CSRF-Token"
)

// csrfToken returns the browser's token, giving it one on a first visit.
func (c *Console) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) >= 20 {
		return ck.Value
	}
	token := rand.Text()
	// #nosec G124 -- HttpOnly and SameSite are set; Secure as the session.
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: token, Path: "/",
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
	return token
}

// validCSRF reports whether a write sends back the token of its cookie.
func (c *Console) validCSRF(r *http.Request, rq *request) bool {
	ck, err := r.Cookie(csrfCookie)
	if err != nil || len(ck.Value) < 20 || ck.Value != rq.csrf {
		return false
	}
	sent := r.Header.Get(csrfHeader)
	if sent == "" {
		sent = r.PostFormValue(csrfField)
	}
	return subtle.ConstantTimeCompare([]byte(sent), []byte(ck.Value)) == 1
}

// flash is a one-time message shown on the next page, after a redirect.
type flash struct {
	// Kind is "ok" or "error".
	Kind, Message string
}

const flashCookie = "roster_flash"

// setFlash keeps a message for the next page the browser shows.
func (c *Console) setFlash(w http.ResponseWriter, kind, message string) {
	// #nosec G124 -- as the session cookie.
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(kind + ":" + message), Path: "/",
		MaxAge: 60, HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// takeFlash reads the message and clears it.
func (c *Console) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	c.clearCookie(w, flashCookie)
	v, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return nil
	}
	kind, msg, ok := strings.Cut(v, ":")
	if !ok || msg == "" || (kind != "ok" && kind != "error") {
		return nil
	}
	return &flash{Kind: kind, Message: msg}
}

// redirect sends the browser to path after a form, with a flash message
// when message is not empty (303, so that a reload does not post again).
// path is one of the console's own (a page's path with stored ids); one
// that is not is home instead.
func (c *Console) redirect(w http.ResponseWriter, r *http.Request, path, message string) error {
	path = localPath(path)
	if message != "" {
		c.setFlash(w, "ok", message)
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", path)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	// #nosec G710 -- localPath keeps path on this site.
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}
