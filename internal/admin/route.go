package admin

import (
	"errors"
	"net/http"
	"reflect"

	"github.com/roster/roster/internal/apijson"
)

// route is one endpoint of the API: where it is, who may call it, what it
// does (for the OpenAPI document), and its handler bound to the types of
// its request and response bodies. Routes exist only in the route table
// (routes.go); the mux, the permission check and the document all read it.
type route struct {
	method, path string
	perm         perm
	limited      bool
	doc          opDoc
	bind         binding
}

// opDoc describes a route for the OpenAPI document.
type opDoc struct {
	tag, summary string
	// status is the success status (200 if zero).
	status int
	// query lists the query parameters.
	query []string
	// unprocessable is the type of a 422 answer (nil for none).
	unprocessable reflect.Type
}

// successStatus is the status of a route's answer when all goes well.
func (rt route) successStatus() int {
	if rt.doc.status == 0 {
		return http.StatusOK
	}
	return rt.doc.status
}

// handlerFunc serves a request whose caller the permission check let
// through; a returned error is rendered once, by the route's wrapper.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p *principal) error

// binding is a route's handler with the types of the bodies it reads and
// answers, from which the OpenAPI document describes them.
type binding struct {
	// in is the JSON request body type: noBody for none, fileBody for an
	// upload.
	in reflect.Type
	// out is the type of the success answer: noBody for an empty answer,
	// fileBody for a download, redirect for a redirect.
	out reflect.Type
	// serve runs the handler; status is the route's success status.
	serve func(w http.ResponseWriter, r *http.Request, p *principal, status int) error
}

// noBody marks a route that reads no request body, or answers none.
type noBody struct{}

// fileBody marks a CSV or XLSX file: an upload (the body, or the file
// field of a multipart form) or a download.
type fileBody struct{}

// redirect marks a route that answers with a redirect.
type redirect struct{}

// optionalBody is implemented by request types whose body may be left
// out altogether.
type optionalBody interface{ optionalBody() }

var noBodyType = reflect.TypeFor[noBody]()

// jsonRoute binds a handler that takes the decoded JSON body (or noBody)
// and returns the answer (or noBody), which is written with the route's
// success status. The handler may set headers on w (ETag, Location), and
// never writes the body itself: the compiler keeps the handler and the
// types the table documents in step.
func jsonRoute[Req, Resp any](h *handler, fn func(w http.ResponseWriter, r *http.Request, p *principal, in *Req) (Resp, error)) binding {
	in, out := reflect.TypeFor[Req](), reflect.TypeFor[Resp]()
	return binding{in: in, out: out, serve: func(w http.ResponseWriter, r *http.Request, p *principal, status int) error {
		var req Req
		if in != noBodyType {
			decode := apijson.Decode
			if _, ok := any(&req).(optionalBody); ok {
				decode = apijson.DecodeOptional
			}
			if err := decode(w, r, h.cfg.MaxBodyBytes, &req); err != nil {
				return err
			}
		}
		resp, err := fn(w, r, p, &req)
		if err != nil {
			return err
		}
		if out == noBodyType {
			w.WriteHeader(status)
			return nil
		}
		apijson.Write(w, status, resp)
		return nil
	}}
}

// manualRoute binds a handler that reads its request and writes its
// answer itself, declaring their types for the document: Req and Resp
// are JSON bodies, noBody, fileBody or redirect.
func manualRoute[Req, Resp any](fn handlerFunc) binding {
	return binding{in: reflect.TypeFor[Req](), out: reflect.TypeFor[Resp](),
		serve: func(w http.ResponseWriter, r *http.Request, p *principal, _ int) error { return fn(w, r, p) }}
}

// errAnswered is returned by a handler that has written a complete answer
// other than its success answer (the 422 of a refused import).
var errAnswered = errors.New("admin: answered")
