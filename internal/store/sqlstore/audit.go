package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

const auditColumns = `a.id, a.org_id, a.occurred_at, a.actor_kind, a.actor_id, a.actor_name,
	a.action, a.target_kind, a.target_id, a.changes, a.request_id`

const insertAudit = `INSERT INTO audit_events (id, org_id, occurred_at, actor_kind, actor_id, actor_name,
	action, target_kind, target_id, changes, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`

type auditLog struct{ r *Repos }

// AppendAudit implements directory.AuditLog. An event without a request id
// takes the one carried by ctx. The event is written with the change it
// records, in one transaction; nothing reads its result, so it may travel
// with the commit.
func (s auditLog) AppendAudit(ctx context.Context, e *directory.AuditEvent) error {
	row, err := auditRow(ctx, s.r.c.Dialect, e)
	if err != nil {
		return err
	}
	return s.r.fail(execLater(ctx, s.r.c.Write, insertAudit, row...))
}

// auditRow returns the values of insertAudit for e, setting its id and
// request id if it has none.
func auditRow(ctx context.Context, d sqlbuild.Dialect, e *directory.AuditEvent) ([]any, error) {
	setID(&e.ID)
	e.Time = sqlbuild.UTCMicro(e.Time)
	if e.RequestID == "" {
		e.RequestID = directory.RequestID(ctx)
	}
	changes := "{}"
	if len(e.Changes) > 0 {
		buf := changesBuffers.Get().(*[]byte)
		b, err := appendChanges((*buf)[:0], e.Changes)
		if err != nil {
			return nil, directory.Internal(err) // the pool makes another buffer
		}
		changes = string(b)
		if cap(b) <= maxPooledChanges {
			*buf = b
			changesBuffers.Put(buf)
		}
	}
	return []any{e.ID, e.OrgID, d.Time(e.Time), enumArg(string(e.ActorKind)), e.ActorID, e.ActorName,
		enumArg(e.Action), enumArg(e.TargetKind), e.TargetID, changes, e.RequestID}, nil
}

// changesBuffers hold the encoding of an event's changes until the
// column's copy is made: encoding into a new buffer grew it several times
// per event (six for a created user). A buffer serves one event at a time.
var changesBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledChanges bounds the buffers kept in changesBuffers, so that one
// huge event does not pin its buffer.
const maxPooledChanges = 64 << 10

// auditCursor is what AuditPage.Next encodes: the last event's time and id.
type auditCursor struct {
	Time time.Time `json:"t"`
	ID   string    `json:"id"`
}

// ListAudit implements directory.AuditLog: newest first, ties broken by id.
func (s auditLog) ListAudit(ctx context.Context, orgID string, q directory.AuditQuery) (*directory.AuditPage, error) {
	d := s.r.c.Dialect
	args := sqlbuild.Args{orgID}
	where := []string{"a.org_id = $1"}
	if q.ActorID != "" {
		where = append(where, "a.actor_id = "+args.Add(q.ActorID))
	}
	if prefix, ok := strings.CutSuffix(q.Action, "."); ok && prefix != "" {
		// "user." selects every action of the user family.
		p := args.Add(q.Action)
		where = append(where, "substr(a.action, 1, length("+p+")) = "+p)
	} else if q.Action != "" {
		where = append(where, "a.action = "+args.Add(q.Action))
	}
	if q.TargetKind != "" {
		where = append(where, "a.target_kind = "+args.Add(q.TargetKind))
	}
	if q.TargetID != "" {
		where = append(where, "a.target_id = "+args.Add(q.TargetID))
	}
	if !q.From.IsZero() {
		where = append(where, "a.occurred_at >= "+args.Add(d.Time(q.From)))
	}
	if !q.To.IsZero() {
		where = append(where, "a.occurred_at < "+args.Add(d.Time(q.To)))
	}
	if q.After != "" {
		var c auditCursor
		b, err := base64.RawURLEncoding.DecodeString(q.After)
		if err == nil {
			err = json.Unmarshal(b, &c)
		}
		if err != nil || c.ID == "" {
			return nil, directory.FieldErrorf(directory.CodeInvalid, "cursor", "the cursor is not valid")
		}
		where = append(where, "(a.occurred_at, a.id) < ("+args.Add(d.Time(c.Time))+", "+args.Add(c.ID)+")")
	}
	limit := directory.ClampLimit(q.Limit)
	query := "SELECT " + auditColumns + " FROM audit_events a WHERE " + strings.Join(where, " AND ") +
		" ORDER BY a.occurred_at DESC, a.id DESC LIMIT " + args.Add(limit+1)
	rows, err := s.r.staleRead(ctx).Query(ctx, query, args...)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	page := &directory.AuditPage{}
	for rows.Next() {
		if len(page.Events) == limit {
			last := page.Events[limit-1]
			b, _ := json.Marshal(auditCursor{Time: last.Time, ID: last.ID}) // a time and a string always marshal
			page.Next = base64.RawURLEncoding.EncodeToString(b)
			break
		}
		var (
			e       directory.AuditEvent
			changes []byte
		)
		if err := rows.Scan(&e.ID, &e.OrgID, sqlbuild.ScanTime(&e.Time), &e.ActorKind, &e.ActorID, &e.ActorName,
			&e.Action, &e.TargetKind, &e.TargetID, &changes, &e.RequestID); err != nil {
			return nil, s.r.fail(err)
		}
		if err := unmarshal(changes, &e.Changes); err != nil {
			return nil, s.r.fail(err)
		}
		if len(e.Changes) == 0 {
			e.Changes = nil
		}
		page.Events = append(page.Events, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.r.fail(err)
	}
	return page, nil
}
