package scim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	scimerrors "github.com/elimity-com/scim/errors"

	"github.com/roster/roster/internal/directory"
)

// /Bulk (RFC 7644 section 3.7) runs each operation as a request through the
// same routes a client would use, so that an operation in a bulk behaves
// exactly like its own request (validation, preconditions, audit). The
// bulk as a whole is authenticated, rate-limited and size-limited once.
// Operations are not atomic together; each is.
//
// Where the store can (directory.Batcher), consecutive operations share a
// database transaction, each in a savepoint of its own: an operation that
// fails undoes its own writes only, as its own transaction would have, and
// the operations share a commit instead of waiting for one each. A shared
// transaction is committed after maxBatchOps operations or maxBatchTime,
// whichever comes first, so that other writers do not wait long for it; if
// its commit fails, the operations it held are reported failed.

type bulkRequest struct {
	Schemas      []string `json:"schemas"`
	FailOnErrors int      `json:"failOnErrors"`
	Operations   []bulkOp `json:"Operations"`
}

type bulkOp struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId"`
	Version string          `json:"version"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data"`
}

type bulkResult struct {
	Location string          `json:"location,omitempty"`
	Method   string          `json:"method"`
	BulkID   string          `json:"bulkId,omitempty"`
	Version  string          `json:"version,omitempty"`
	Status   string          `json:"status"`
	Response json.RawMessage `json:"response,omitempty"`
}

// bulkPath is what a bulk operation may address.
var bulkPath = regexp.MustCompile(`^/(Users|Groups)(/[^/?#]+)?$`)

// bulkRef is a "bulkId:<id>" reference as a value, and bulkRefJSON one
// inside JSON text.
var (
	bulkRef     = regexp.MustCompile(`^bulkId:(.+)$`)
	bulkRefJSON = regexp.MustCompile(`"bulkId:([^"\\]+)"`)
)

func (h *handler) bulk(w http.ResponseWriter, r *http.Request) {
	var req bulkRequest
	data, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(data, &req); err != nil {
		h.fail(w, r, invalidSyntax("the body is not a BulkRequest: %v", err))
		return
	}
	if !containsFold(req.Schemas, bulkRequestURN) {
		h.fail(w, r, invalidSyntax("schemas must list %s", bulkRequestURN))
		return
	}
	if len(req.Operations) > maxBulkOperations {
		writeError(w, scimerrors.ScimError{Status: http.StatusRequestEntityTooLarge,
			Detail: "a bulk request may hold at most " + strconv.Itoa(maxBulkOperations) + " operations"})
		return
	}
	b := bulkRun{h: h, r: r, ctx: r.Context(), req: req, ids: map[string]string{}, failed: map[string]bool{}, defined: map[string]bool{}}
	for i, op := range req.Operations {
		if op.BulkID == "" {
			continue
		}
		if b.defined[op.BulkID] {
			h.fail(w, r, invalidValue("operation %d: bulkId %q is used twice", i+1, op.BulkID))
			return
		}
		b.defined[op.BulkID] = true
	}
	writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{bulkResponseURN}, "Operations": b.run()})
}

// maxBatchOps and maxBatchTime bound the operations of a bulk request that
// share a transaction. (maxBatchTime is a variable for the tests, which
// must not depend on how fast the machine runs them.)
const maxBatchOps = 250

var maxBatchTime = 100 * time.Millisecond

// batcher is a Directory that can run many operations in one transaction
// (*directory.Service).
type batcher interface {
	Batch(ctx context.Context) (context.Context, directory.Batch, error)
}

// bulkRun is one bulk request being carried out.
type bulkRun struct {
	h *handler
	r *http.Request
	// ctx is the context operations run in: the request's, or that of
	// the shared transaction batch.
	ctx   context.Context
	batch directory.Batch
	// began is when batch began, and held the operations it holds, by
	// index, with the bulkIds they created.
	began   time.Time
	held    []int
	req     bulkRequest
	defined map[string]bool   // bulkIds some operation declares
	ids     map[string]string // bulkId → id of the resource its POST created
	failed  map[string]bool   // bulkIds whose operation failed
	errors  int
}

// run carries out the operations in order, except that one referring to a
// bulkId not yet created waits, and runs as soon as the operation creating
// it has. It stops after failOnErrors errors.
func (b *bulkRun) run() []*bulkResult {
	ops := b.req.Operations
	results := make([]*bulkResult, len(ops))
	defer func() {
		// Only a panic leaves the shared transaction open.
		if b.batch != nil {
			b.batch.Rollback()
		}
	}()
	var waiting []int
	for i := range ops {
		if b.stopped() {
			b.commit(results)
			return done(results)
		}
		res, wait := b.stepIn(i, results)
		if wait {
			waiting = append(waiting, i)
			continue
		}
		results[i] = res
		if ops[i].BulkID != "" {
			waiting = b.runWaiting(waiting, results)
		}
	}
	b.commit(results)
	if !b.stopped() {
		// What still waits refers to operations that wait for it.
		for _, i := range waiting {
			results[i] = b.failure(ops[i], errorFor(invalidValue(
				"the bulkId references of this operation form a cycle")), http.StatusConflict)
		}
	}
	return done(results)
}

// runWaiting runs the waiting operations that can now run, until none can,
// and returns those still waiting.
func (b *bulkRun) runWaiting(waiting []int, results []*bulkResult) []int {
	for progress := true; progress && !b.stopped(); {
		progress = false
		for j, i := range waiting {
			res, wait := b.stepIn(i, results)
			if wait {
				continue
			}
			results[i] = res
			waiting = append(waiting[:j:j], waiting[j+1:]...)
			progress = true
			break
		}
	}
	return waiting
}

// stepIn runs operation i in the shared transaction, beginning one if
// none is open and committing it once it holds enough; results are the
// results so far, which a failed commit changes.
func (b *bulkRun) stepIn(i int, results []*bulkResult) (*bulkResult, bool) {
	bt, ok := b.h.svc.(batcher)
	if !ok {
		return b.step(b.req.Operations[i])
	}
	if b.batch == nil {
		ctx, batch, err := bt.Batch(b.r.Context())
		if err != nil {
			// Without a shared transaction, the operation has its own.
			return b.step(b.req.Operations[i])
		}
		b.ctx, b.batch, b.began = ctx, batch, time.Now()
	}
	res, wait := b.step(b.req.Operations[i])
	if wait {
		return nil, true
	}
	if b.batch.Retry() {
		// The operation met a deadlock or serialization failure, and its
		// savepoint was rolled back: commit what came before and run it
		// on its own, as its own request would retry it.
		if res.BulkID != "" {
			delete(b.ids, res.BulkID)
			delete(b.failed, res.BulkID)
		}
		b.errors--
		b.commit(results)
		return b.step(b.req.Operations[i])
	}
	results[i] = res
	b.held = append(b.held, i)
	if len(b.held) >= maxBatchOps || time.Since(b.began) >= maxBatchTime {
		b.commit(results)
	}
	// A failed commit changed the result.
	return results[i], false
}

// commit commits the shared transaction, if one is open. If that fails,
// the operations it held that had succeeded did not take effect: their
// results become the failure, and the bulkIds they created unusable.
func (b *bulkRun) commit(results []*bulkResult) {
	if b.batch == nil {
		return
	}
	err := b.batch.Commit()
	held := b.held
	b.batch, b.ctx, b.held = nil, b.r.Context(), nil
	if err == nil {
		return
	}
	se := b.h.report(b.r, err)
	for _, i := range held {
		res := results[i]
		if code, _ := strconv.Atoi(res.Status); code >= 400 {
			continue
		}
		op := b.req.Operations[i]
		if op.BulkID != "" {
			delete(b.ids, op.BulkID)
		}
		results[i] = b.failure(op, se, 0)
	}
}

func (b *bulkRun) stopped() bool {
	return b.req.FailOnErrors > 0 && b.errors >= b.req.FailOnErrors
}

func done(results []*bulkResult) []*bulkResult {
	out := make([]*bulkResult, 0, len(results))
	for _, r := range results {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// step runs one operation, or reports that it must wait for a bulkId.
func (b *bulkRun) step(op bulkOp) (*bulkResult, bool) {
	method := strings.ToUpper(op.Method)
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return b.failure(op, errorFor(invalidValue("method must be POST, PUT, PATCH or DELETE")), 0), false
	}
	var data any
	if len(op.Data) > 0 {
		if err := decodeJSON(op.Data, &data); err != nil {
			return b.failure(op, errorFor(invalidSyntax("data is not JSON")), 0), false
		}
	}
	path, ok := b.resolve(op.Path)
	if ok {
		data, ok = b.resolveValue(data)
	}
	if !ok {
		if unknown := b.unresolvable(op); unknown != "" {
			return b.failure(op, errorFor(invalidValue("bulkId %q is not created by this request", unknown)), http.StatusConflict), false
		}
		return nil, true
	}
	if m := bulkPath.FindStringSubmatch(path); m == nil || (method == http.MethodPost) != (m[2] == "") {
		return b.failure(op, errorFor(invalidPath("%s %s is not an operation on a user or group", method, op.Path)), 0), false
	}

	var body io.Reader = http.NoBody
	if data != nil {
		raw, _ := json.Marshal(data) // it was decoded from JSON
		body = bytes.NewReader(raw)
	}
	sub, _ := http.NewRequestWithContext(b.ctx, method, path, body)
	sub.Header.Set("Content-Type", contentType)
	if op.Version != "" {
		sub.Header.Set("If-Match", op.Version)
	}
	rec := &recorder{header: http.Header{}}
	b.h.routes.ServeHTTP(rec, sub)

	res := &bulkResult{Method: method, BulkID: op.BulkID, Status: strconv.Itoa(rec.status()), Version: rec.header.Get("ETag")}
	if rec.status() >= 400 {
		res.Response = rec.body.Bytes()
		b.errors++
		if op.BulkID != "" {
			b.failed[op.BulkID] = true
		}
		return res, false
	}
	res.Location = rec.header.Get("Location")
	if res.Location == "" {
		res.Location = b.h.base + path
	}
	if method == http.MethodPost && op.BulkID != "" {
		b.ids[op.BulkID] = res.Location[strings.LastIndexByte(res.Location, '/')+1:]
	}
	return res, false
}

func (b *bulkRun) failure(op bulkOp, se scimerrors.ScimError, status int) *bulkResult {
	if status != 0 {
		se.Status = status
	}
	body, _ := json.Marshal(se)
	b.errors++
	if op.BulkID != "" {
		b.failed[op.BulkID] = true
	}
	return &bulkResult{Method: strings.ToUpper(op.Method), BulkID: op.BulkID, Status: strconv.Itoa(se.Status), Response: body}
}

// resolve substitutes bulkId references in a path; ok is false while one
// is unresolved.
func (b *bulkRun) resolve(s string) (string, bool) {
	i := strings.Index(s, "bulkId:")
	if i < 0 {
		return s, true
	}
	id, ok := b.ids[s[i+len("bulkId:"):]]
	return s[:i] + id, ok
}

// resolveValue substitutes "bulkId:<id>" strings anywhere in data.
func (b *bulkRun) resolveValue(v any) (any, bool) {
	switch v := v.(type) {
	case string:
		if m := bulkRef.FindStringSubmatch(v); m != nil {
			id, ok := b.ids[m[1]]
			return id, ok
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			y, ok := b.resolveValue(x)
			if !ok {
				return nil, false
			}
			out[k] = y
		}
		return out, true
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			y, ok := b.resolveValue(x)
			if !ok {
				return nil, false
			}
			out[i] = y
		}
		return out, true
	}
	return v, true
}

// unresolvable names a bulkId the operation refers to that will never be
// created (no operation declares it, or its operation failed), or "".
func (b *bulkRun) unresolvable(op bulkOp) string {
	var refs []string
	if i := strings.Index(op.Path, "bulkId:"); i >= 0 {
		refs = append(refs, op.Path[i+len("bulkId:"):])
	}
	for _, m := range bulkRefJSON.FindAllSubmatch(op.Data, -1) {
		refs = append(refs, string(m[1]))
	}
	for _, ref := range refs {
		if !b.defined[ref] || b.failed[ref] {
			return ref
		}
	}
	return ""
}

// recorder captures a bulk operation's response.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}
