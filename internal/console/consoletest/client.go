package consoletest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"github.com/roster/roster/internal/admin"
)

// Client is a browser without JavaScript: it keeps cookies, does not
// follow redirects, and posts forms with the CSRF token of its cookie.
type Client struct {
	e    *Env
	http *http.Client
	jar  *cookiejar.Jar
}

// Response is what a request got.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Location is the target of a redirect.
func (r *Response) Location() string { return r.Header.Get("Location") }

// Anonymous returns a client nobody signed in with.
func (e *Env) Anonymous() *Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.T.Fatal(err)
	}
	return &Client{e: e, jar: jar, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// SignIn returns a client signed in (fully) as the env's user of that
// name (see Roles), through the login form.
func (e *Env) SignIn(name string) *Client {
	e.T.Helper()
	c := e.Anonymous()
	u := e.Users[name]
	if u == nil {
		e.T.Fatalf("no user %q in the env", name)
	}
	r := c.Post("/login", url.Values{"email": {u.Email}, "password": {Password}})
	if r.Status != http.StatusSeeOther || r.Location() != "/home" {
		e.T.Fatalf("sign in as %s: %d to %q\n%s", name, r.Status, r.Location(), r.Body)
	}
	return c
}

// Session is the client's session cookie, empty if it has none.
func (c *Client) Session() string { return c.cookie(admin.SessionCookie) }

// CSRF is the client's CSRF token, which it gets on its first page.
func (c *Client) CSRF() string {
	if v := c.cookie("roster_csrf"); v != "" {
		return v
	}
	c.Get("/login")
	return c.cookie("roster_csrf")
}

func (c *Client) cookie(name string) string {
	u, _ := url.Parse(c.e.URL)
	for _, ck := range c.jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// Get fetches path.
func (c *Client) Get(path string) *Response {
	c.e.T.Helper()
	req, err := http.NewRequestWithContext(c.e.Ctx, http.MethodGet, c.e.URL+path, nil)
	if err != nil {
		c.e.T.Fatal(err)
	}
	return c.Do(req)
}

// Post submits a form to path with the client's CSRF token.
func (c *Client) Post(path string, form url.Values) *Response {
	c.e.T.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf_token", c.CSRF())
	return c.PostRaw(path, f)
}

// PostRaw submits a form as given: no CSRF token unless form has one.
func (c *Client) PostRaw(path string, form url.Values) *Response {
	c.e.T.Helper()
	req, err := http.NewRequestWithContext(c.e.Ctx, http.MethodPost, c.e.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.e.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// Do sends req with the client's cookies.
func (c *Client) Do(req *http.Request) *Response {
	c.e.T.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.T.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.e.T.Fatal(err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}
