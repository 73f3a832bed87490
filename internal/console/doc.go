// Package console serves Roster's web console and its end-user pages
// (login, second factor, set and reset password, my account) as
// server-rendered HTML with html/template, enhanced with htmx. Templates
// (templates/) and assets (static/: htmx, Pico CSS, each with its
// licence) are embedded in the binary; no Node toolchain builds or runs
// anything.
//
// Every page names who may see it with a permission from the admin API's
// own table (admin.Perm): a role sees the same things in the console as
// through /api/v1, and a write page refuses a view-only admin with 403
// even when the button is not shown. A page without a permission stops
// New, as an API route without one stops admin.NewHandler.
//
// # Adding a page
//
//  1. Handler: a method of *Console with the signature of pageFunc, in the
//     file of its domain seam (users.go, org.go, account.go …). It reads
//     the form with r.FormValue, calls the same use cases as the API
//     (Config.Directory, Config.Auth), and either renders a template with
//     c.render(w, r, rq, status, "name", data) or redirects with
//     c.redirect(w, r, path, flash). A returned error is rendered by the
//     error page with the status of its directory code; a form that fails
//     validation renders itself again with formErrors and 422 instead.
//  2. Permission: one line in the page table (pages.go) with the method,
//     the pattern, the permission (admin.PermRead to look,
//     admin.PermWrite to change, admin.PermSelf for a signed-in user's
//     own things, admin.PermPublic for pages before login) and the
//     handler. Give the page a nav section in nav.go if it is one.
//  3. Template: templates/<name>.html defines "title" and "content" (the
//     layout, templates/layout.html, gives them the nav, the flash and the
//     CSRF token). Every form posts {{template "csrf" .}}; htmx requests
//     carry the token in a header from <body hx-headers>. No inline script
//     or style: the pages' Content-Security-Policy refuses them. Show a
//     write button only {{if .Can "write"}}.
//  4. Test: a handler test in package console_test with consoletest.New
//     (organizations acme and globex, a user of each role; e.SignIn(role)
//     or e.Anonymous() give a client whose Post sends the CSRF token and
//     PostRaw does not), covering status, permission, CSRF refusal and
//     validation messages; a browser test with e.Browser() for a flow a
//     user walks through: b.Step(name, chromedp actions…) saves a
//     screenshot of each step in artifacts/screenshots/<test>/. Emails
//     land in e.Mail (e.Console.Wait() first for those sent after the
//     answer).
package console
