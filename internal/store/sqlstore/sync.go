package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// Connectors implements directory.SyncRepos.
func (r *Repos) Connectors() directory.ConnectorStore { return connectorStore{r} }

// SyncRuns implements directory.SyncRepos.
func (r *Repos) SyncRuns() directory.SyncRunStore { return syncRunStore{r} }

// SyncLinks implements directory.SyncRepos.
func (r *Repos) SyncLinks() directory.SyncLinkStore { return syncLinkStore{r} }

// SyncBatches implements directory.SyncRepos.
func (r *Repos) SyncBatches() directory.SyncBatchStore { return syncBatchStore{r} }

// insertRows runs head (…), (…) tail over rows, bulkRows at a time, and
// returns the rows the statements changed. head ends with VALUES; every
// row has the same number of values.
func insertRows(ctx context.Context, db DB, d sqlbuild.Dialect, head, tail string, rows [][]any) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	width := len(rows[0])
	step := bulkRows(d, width)
	var total int64
	for start := 0; start < len(rows); start += step {
		chunk := rows[start:min(start+step, len(rows))]
		var b strings.Builder
		b.WriteString(head)
		args := make([]any, 0, len(chunk)*width)
		for i, row := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + sqlbuild.Placeholders(len(args)+1, width) + ")")
			args = append(args, row...)
		}
		b.WriteString(" " + tail)
		n, err := db.Exec(ctx, b.String(), args...)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// --- connectors ---

const connectorColumns = `c.id, c.org_id, c.name, c.kind, c.settings, c.secrets, c.schedule, c.mapping,
	c.role_rules, c.default_role, c.deprovision, c.threshold, c.enabled, c.cursor,
	c.created_at, c.updated_at, c.version`

const insertConnector = `INSERT INTO sync_connectors (id, org_id, name, name_lower, kind, settings, secrets,
	schedule, mapping, role_rules, default_role, deprovision, threshold, enabled, updated_at, version,
	created_at, cursor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`

// updateConnector leaves the cursor and the lease to the runs.
const updateConnector = `UPDATE sync_connectors SET name = $3, name_lower = $4, kind = $5, settings = $6,
	secrets = $7, schedule = $8, mapping = $9, role_rules = $10, default_role = $11, deprovision = $12,
	threshold = $13, enabled = $14, updated_at = $15, version = $16
WHERE id = $1 AND org_id = $2 AND version = $17`

const (
	selectConnector        = `SELECT ` + connectorColumns + ` FROM sync_connectors c`
	connectorByID          = ` WHERE c.org_id = $1 AND c.id = $2`
	connectorByName        = ` WHERE c.org_id = $1 AND c.name_lower = $2`
	connectorsOfOrg        = ` WHERE c.org_id = $1 ORDER BY c.name_lower`
	scheduledConnectors    = ` WHERE c.enabled AND c.schedule <> '' ORDER BY c.org_id, c.name_lower`
	selectConnectorVersion = `SELECT version FROM sync_connectors WHERE org_id = $1 AND id = $2`
	deleteConnectorLinks   = `DELETE FROM sync_links WHERE org_id = $1 AND connector_id = $2`
	deleteConnectorRuns    = `DELETE FROM sync_runs WHERE org_id = $1 AND connector_id = $2`
	deleteConnector        = `DELETE FROM sync_connectors WHERE org_id = $1 AND id = $2`
	selectLease            = `SELECT lease_run_id, lease_until FROM sync_connectors WHERE org_id = $1 AND id = $2`
	renewLease             = `UPDATE sync_connectors SET lease_until = $4 WHERE org_id = $1 AND id = $2 AND lease_run_id = $3`
	releaseLease           = `UPDATE sync_connectors SET lease_run_id = '', lease_until = NULL WHERE org_id = $1 AND id = $2 AND lease_run_id = $3`
	releaseLeaseWithCursor = `UPDATE sync_connectors SET lease_run_id = '', lease_until = NULL, cursor = $4 WHERE org_id = $1 AND id = $2 AND lease_run_id = $3`
	takeLease              = `UPDATE sync_connectors SET lease_run_id = $3, lease_until = $5
WHERE org_id = $1 AND id = $2 AND (lease_run_id = '' OR lease_until IS NULL OR lease_until <= $4)`
)

type connectorStore struct{ r *Repos }

// connectorArgs returns the arguments $1…$16 of insertConnector and
// updateConnector.
func connectorArgs(d sqlbuild.Dialect, c *directory.Connector) ([]any, error) {
	settings := "{}"
	if len(c.Settings) > 0 {
		if !json.Valid(c.Settings) {
			return nil, directory.FieldErrorf(directory.CodeInvalid, "settings", "settings are not valid JSON")
		}
		settings = string(c.Settings)
	}
	mapping, err := marshal(nonNilMap(c.Mapping))
	if err != nil {
		return nil, err
	}
	rules, err := marshal(append([]directory.RoleRule{}, c.RoleRules...))
	if err != nil {
		return nil, err
	}
	return []any{
		c.ID, c.OrgID, c.Name, strings.ToLower(c.Name), string(c.Kind), settings, append([]byte{}, c.Secrets...),
		c.Schedule, mapping, rules, string(c.DefaultRole), string(c.Deprovision), c.Threshold, c.Enabled,
		d.Time(c.UpdatedAt), c.Version,
	}, nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// CreateConnector implements directory.ConnectorStore.
func (s connectorStore) CreateConnector(ctx context.Context, c *directory.Connector) error {
	setID(&c.ID)
	c.CreatedAt, c.UpdatedAt = sqlbuild.UTCMicro(c.CreatedAt), sqlbuild.UTCMicro(c.UpdatedAt)
	if c.Version < 1 {
		c.Version = 1
	}
	d := s.r.c.Dialect
	args, err := connectorArgs(d, c)
	if err != nil {
		return s.r.fail(err)
	}
	args = append(args, d.Time(c.CreatedAt), c.Cursor)
	_, err = s.r.c.Write.Exec(ctx, insertConnector, args...)
	return s.r.fail(err)
}

// GetConnector implements directory.ConnectorStore.
func (s connectorStore) GetConnector(ctx context.Context, orgID, id string) (*directory.Connector, error) {
	return s.one(ctx, connectorByID, orgID, id)
}

// GetConnectorByName implements directory.ConnectorStore.
func (s connectorStore) GetConnectorByName(ctx context.Context, orgID, name string) (*directory.Connector, error) {
	return s.one(ctx, connectorByName, orgID, strings.ToLower(strings.TrimSpace(name)))
}

func (s connectorStore) one(ctx context.Context, where string, args ...any) (*directory.Connector, error) {
	var row connectorRow
	if err := s.r.c.Read.QueryRow(ctx, selectConnector+where, args...).Scan(row.dest()...); err != nil {
		if noRows(err) {
			return nil, notFound("connector")
		}
		return nil, s.r.fail(err)
	}
	c, err := row.connector()
	return c, s.r.fail(err)
}

// ListConnectors implements directory.ConnectorStore.
func (s connectorStore) ListConnectors(ctx context.Context, orgID string) ([]*directory.Connector, error) {
	return s.list(ctx, connectorsOfOrg, orgID)
}

// ListScheduledConnectors implements directory.ConnectorStore.
func (s connectorStore) ListScheduledConnectors(ctx context.Context) ([]*directory.Connector, error) {
	return s.list(ctx, scheduledConnectors)
}

func (s connectorStore) list(ctx context.Context, where string, args ...any) ([]*directory.Connector, error) {
	rows, err := s.r.c.Read.Query(ctx, selectConnector+where, args...)
	if err != nil {
		return nil, s.r.fail(err)
	}
	out, err := scanAll(rows, (*connectorRow).connector)
	return out, s.r.fail(err)
}

// UpdateConnector implements directory.ConnectorStore.
func (s connectorStore) UpdateConnector(ctx context.Context, c *directory.Connector, now time.Time) error {
	next := *c
	next.UpdatedAt = sqlbuild.UTCMicro(now)
	next.Version = c.Version + 1
	args, err := connectorArgs(s.r.c.Dialect, &next)
	if err != nil {
		return s.r.fail(err)
	}
	n, err := s.r.c.Write.Exec(ctx, updateConnector, append(args, c.Version)...)
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		return s.r.fail(staleOrMissing(ctx, s.r.c.Write, "connector", selectConnectorVersion, c.OrgID, c.ID))
	}
	c.UpdatedAt, c.Version = next.UpdatedAt, next.Version
	return nil
}

// DeleteConnector implements directory.ConnectorStore.
func (s connectorStore) DeleteConnector(ctx context.Context, orgID, id string) error {
	return s.r.fail(s.r.c.Atomic(ctx, func(db DB) error {
		// The foreign keys cascade too; deleting first does not depend on
		// the connection enforcing them.
		for _, q := range []string{deleteConnectorLinks, deleteConnectorRuns} {
			if _, err := db.Exec(ctx, q, orgID, id); err != nil {
				return err
			}
		}
		n, err := db.Exec(ctx, deleteConnector, orgID, id)
		if err == nil && n == 0 {
			return notFound("connector")
		}
		return err
	}))
}

// TakeLease implements directory.ConnectorStore.
func (s connectorStore) TakeLease(ctx context.Context, orgID, id, runID string, now, until time.Time) error {
	d := s.r.c.Dialect
	return s.r.fail(s.r.c.Atomic(ctx, func(db DB) error {
		n, err := db.Exec(ctx, takeLease, orgID, id, runID, d.Time(now), d.Time(until))
		if err != nil || n == 1 {
			return err
		}
		holder, err := s.holder(ctx, db, orgID, id, now)
		if err != nil {
			return err
		}
		return directory.Errorf(directory.CodeConflict, "the connector is already running (run %s)", holder)
	}))
}

// RenewLease implements directory.ConnectorStore.
func (s connectorStore) RenewLease(ctx context.Context, orgID, id, runID string, until time.Time) (bool, error) {
	n, err := s.r.c.Write.Exec(ctx, renewLease, orgID, id, runID, s.r.c.Dialect.Time(until))
	return n == 1, s.r.fail(err)
}

// ReleaseLease implements directory.ConnectorStore.
func (s connectorStore) ReleaseLease(ctx context.Context, orgID, id, runID string, cursor *string) (bool, error) {
	var (
		n   int64
		err error
	)
	if cursor != nil {
		n, err = s.r.c.Write.Exec(ctx, releaseLeaseWithCursor, orgID, id, runID, *cursor)
	} else {
		n, err = s.r.c.Write.Exec(ctx, releaseLease, orgID, id, runID)
	}
	return n == 1, s.r.fail(err)
}

// LeaseHolder implements directory.ConnectorStore.
func (s connectorStore) LeaseHolder(ctx context.Context, orgID, id string, now time.Time) (string, error) {
	holder, err := s.holder(ctx, s.r.c.Read, orgID, id, now)
	return holder, s.r.fail(err)
}

func (s connectorStore) holder(ctx context.Context, db DB, orgID, id string, now time.Time) (string, error) {
	var (
		runID string
		until *time.Time
	)
	if err := db.QueryRow(ctx, selectLease, orgID, id).Scan(&runID, sqlbuild.ScanNullTime(&until)); err != nil {
		if noRows(err) {
			return "", notFound("connector")
		}
		return "", err
	}
	if until == nil || !until.After(now) {
		return "", nil
	}
	return runID, nil
}

// connectorRow is the scan destination of connectorColumns.
type connectorRow struct {
	c                      directory.Connector
	settings, mapping, rrs []byte
}

func (r *connectorRow) dest() []any {
	c := &r.c
	return []any{
		&c.ID, &c.OrgID, &c.Name, &c.Kind, &r.settings, &c.Secrets, &c.Schedule, &r.mapping,
		&r.rrs, &c.DefaultRole, &c.Deprovision, &c.Threshold, &c.Enabled, &c.Cursor,
		sqlbuild.ScanTime(&c.CreatedAt), sqlbuild.ScanTime(&c.UpdatedAt), &c.Version,
	}
}

func (r *connectorRow) connector() (*directory.Connector, error) {
	c := &r.c
	switch string(r.settings) {
	case "", "{}", "null":
	default:
		c.Settings = json.RawMessage(r.settings)
	}
	if err := unmarshal(r.mapping, &c.Mapping); err != nil {
		return nil, err
	}
	if err := unmarshal(r.rrs, &c.RoleRules); err != nil {
		return nil, err
	}
	if len(c.Secrets) == 0 {
		c.Secrets = nil
	}
	return c, nil
}

// --- runs ---

// runColumns leave out the plan, which can be large; GetRun adds it.
const runColumns = `r.id, r.org_id, r.connector_id, r.run_trigger, r.dry_run, r.status, r.started_by,
	r.approval_of, r.started_at, r.ended_at, r.full_sync, r.counts, r.errors, r.message,
	r.decided_by, r.decided_at`

const (
	insertRun = `INSERT INTO sync_runs (id, org_id, connector_id, run_trigger, dry_run, status, started_by,
	approval_of, started_at, full_sync)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	finishRun = `UPDATE sync_runs SET status = $3, ended_at = $4, full_sync = $5, counts = $6, errors = $7,
	plan = $8, message = $9
WHERE org_id = $1 AND id = $2 AND status = 'running'`
	abandonRuns = `UPDATE sync_runs SET status = 'failed', ended_at = $4, message = $5
WHERE org_id = $1 AND connector_id = $2 AND status = 'running' AND id <> $3`
	decideRun = `UPDATE sync_runs SET status = $3, decided_by = $4, decided_at = $5
WHERE org_id = $1 AND id = $2 AND status = 'held'`
	selectRun  = `SELECT ` + runColumns + `, r.plan FROM sync_runs r WHERE r.org_id = $1 AND r.id = $2`
	selectRuns = `SELECT ` + runColumns + ` FROM sync_runs r
WHERE r.org_id = $1 AND r.connector_id = $2 AND ($3 = '' OR r.id < $3)
ORDER BY r.id DESC
LIMIT $4`
)

type syncRunStore struct{ r *Repos }

// CreateRun implements directory.SyncRunStore.
func (s syncRunStore) CreateRun(ctx context.Context, r *directory.SyncRun) error {
	setID(&r.ID)
	r.StartedAt = sqlbuild.UTCMicro(r.StartedAt)
	_, err := s.r.c.Write.Exec(ctx, insertRun, r.ID, r.OrgID, r.ConnectorID, string(r.Trigger), r.DryRun,
		string(r.Status), r.StartedBy, r.ApprovalOf, s.r.c.Dialect.Time(r.StartedAt), r.Full)
	return s.r.fail(err)
}

// FinishRun implements directory.SyncRunStore.
func (s syncRunStore) FinishRun(ctx context.Context, r *directory.SyncRun) error {
	d := s.r.c.Dialect
	if r.EndedAt != nil {
		t := sqlbuild.UTCMicro(*r.EndedAt)
		r.EndedAt = &t
	}
	counts := map[string]int{}
	for k, v := range r.Counts {
		counts[k] = v
	}
	countsJSON, err := marshal(counts)
	if err != nil {
		return directory.Internal(err)
	}
	errs := "[]"
	if len(r.Errors) > 0 {
		errs = string(r.Errors)
	}
	var plan any
	if len(r.Plan) > 0 {
		plan = string(r.Plan)
	}
	n, err := s.r.c.Write.Exec(ctx, finishRun, r.OrgID, r.ID, string(r.Status), d.NullTime(r.EndedAt), r.Full,
		countsJSON, errs, plan, r.Message)
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		if _, err := s.GetRun(ctx, r.OrgID, r.ID); err != nil {
			return err
		}
		return directory.Errorf(directory.CodeConflict, "run %s has ended already", r.ID)
	}
	return nil
}

// AbandonRuns implements directory.SyncRunStore.
func (s syncRunStore) AbandonRuns(ctx context.Context, orgID, connectorID, keepID string, at time.Time, message string) (int, error) {
	n, err := s.r.c.Write.Exec(ctx, abandonRuns, orgID, connectorID, keepID, s.r.c.Dialect.Time(at), message)
	return int(n), s.r.fail(err)
}

// GetRun implements directory.SyncRunStore.
func (s syncRunStore) GetRun(ctx context.Context, orgID, id string) (*directory.SyncRun, error) {
	return s.get(ctx, s.r.c.Read, orgID, id)
}

func (s syncRunStore) get(ctx context.Context, db DB, orgID, id string) (*directory.SyncRun, error) {
	var row runRow
	var plan []byte
	if err := db.QueryRow(ctx, selectRun, orgID, id).Scan(append(row.dest(), &plan)...); err != nil {
		if noRows(err) {
			return nil, notFound("sync run")
		}
		return nil, s.r.fail(err)
	}
	r, err := row.run()
	if err != nil {
		return nil, s.r.fail(err)
	}
	if len(plan) > 0 && string(plan) != "null" {
		r.Plan = json.RawMessage(plan)
	}
	return r, nil
}

// ListRuns implements directory.SyncRunStore.
func (s syncRunStore) ListRuns(ctx context.Context, orgID, connectorID, before string, limit int) ([]*directory.SyncRun, error) {
	rows, err := s.r.c.Read.Query(ctx, selectRuns, orgID, connectorID, before, directory.ClampLimit(limit))
	if err != nil {
		return nil, s.r.fail(err)
	}
	out, err := scanAll(rows, (*runRow).run)
	return out, s.r.fail(err)
}

// DecideRun implements directory.SyncRunStore.
func (s syncRunStore) DecideRun(ctx context.Context, orgID, id string, to directory.SyncRunStatus, by string, at time.Time) (*directory.SyncRun, error) {
	if to != directory.RunApproved && to != directory.RunRejected {
		return nil, directory.Errorf(directory.CodeInvalid, "a held run is approved or rejected, not %s", to)
	}
	var out *directory.SyncRun
	err := s.r.c.Atomic(ctx, func(db DB) error {
		n, err := db.Exec(ctx, decideRun, orgID, id, string(to), by, s.r.c.Dialect.Time(at))
		if err != nil {
			return err
		}
		if out, err = s.get(ctx, db, orgID, id); err != nil {
			return err
		}
		if n == 0 {
			return directory.Errorf(directory.CodeConflict, "run %s is %s, not held", id, out.Status)
		}
		return nil
	})
	if err != nil {
		return nil, s.r.fail(err)
	}
	return out, nil
}

// runRow is the scan destination of runColumns.
type runRow struct {
	r              directory.SyncRun
	counts, errors []byte
}

func (r *runRow) dest() []any {
	x := &r.r
	return []any{
		&x.ID, &x.OrgID, &x.ConnectorID, &x.Trigger, &x.DryRun, &x.Status, &x.StartedBy,
		&x.ApprovalOf, sqlbuild.ScanTime(&x.StartedAt), sqlbuild.ScanNullTime(&x.EndedAt), &x.Full,
		&r.counts, &r.errors, &x.Message, &x.DecidedBy, sqlbuild.ScanNullTime(&x.DecidedAt),
	}
}

func (r *runRow) run() (*directory.SyncRun, error) {
	x := &r.r
	if err := unmarshal(r.counts, &x.Counts); err != nil {
		return nil, err
	}
	switch string(r.errors) {
	case "", "[]", "null":
	default:
		x.Errors = json.RawMessage(r.errors)
	}
	return x, nil
}

// --- links ---

const (
	selectUserLinks = `SELECT l.source_ref, l.object_id, l.member_key, l.hash, u.status, u.status_set_by, u.role
FROM sync_links l JOIN users u ON u.id = l.object_id
WHERE l.connector_id = $1 AND l.kind = 'user' AND l.org_id = $2
ORDER BY l.source_ref`
	// A group an admin deleted has a link left; leaving it out lets the
	// next run create the group again.
	selectGroupLinks = `SELECT l.source_ref, l.object_id, l.member_key, l.name
FROM sync_links l JOIN groups g ON g.id = l.object_id
WHERE l.connector_id = $1 AND l.kind = 'group' AND l.org_id = $2
ORDER BY l.source_ref`
	insertLinksHead = `INSERT INTO sync_links (connector_id, kind, source_ref, org_id, object_id, member_key, name, hash) VALUES `
	insertLinksTail = `ON CONFLICT (connector_id, kind, source_ref) DO UPDATE SET object_id = excluded.object_id,
	member_key = excluded.member_key, name = excluded.name, hash = excluded.hash`
	// insertLinksUnnest is the PostgreSQL form of the multi-row insert,
	// one array per column.
	insertLinksUnnest = `INSERT INTO sync_links (connector_id, kind, source_ref, org_id, object_id, member_key, name, hash)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
` + insertLinksTail
	deleteLink = `DELETE FROM sync_links WHERE org_id = $1 AND connector_id = $2 AND kind = $3 AND source_ref = $4`
)

type syncLinkStore struct{ r *Repos }

// ListUserLinks implements directory.SyncLinkStore.
func (s syncLinkStore) ListUserLinks(ctx context.Context, orgID, connectorID string, fn func(*directory.SyncLink) error) error {
	rows, err := s.r.c.Read.Query(ctx, selectUserLinks, connectorID, orgID)
	if err != nil {
		return s.r.fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		l := &directory.SyncLink{ConnectorID: connectorID, OrgID: orgID, Kind: directory.LinkUser}
		if err := rows.Scan(&l.Ref, &l.ObjectID, &l.MemberKey, &l.Hash, &l.Status, &l.StatusSetBy, &l.Role); err != nil {
			return s.r.fail(err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return s.r.fail(rows.Err())
}

// ListGroupLinks implements directory.SyncLinkStore.
func (s syncLinkStore) ListGroupLinks(ctx context.Context, orgID, connectorID string) ([]*directory.SyncLink, error) {
	rows, err := s.r.c.Read.Query(ctx, selectGroupLinks, connectorID, orgID)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var out []*directory.SyncLink
	for rows.Next() {
		l := &directory.SyncLink{ConnectorID: connectorID, OrgID: orgID, Kind: directory.LinkGroup}
		if err := rows.Scan(&l.Ref, &l.ObjectID, &l.MemberKey, &l.Name); err != nil {
			return nil, s.r.fail(err)
		}
		out = append(out, l)
	}
	return out, s.r.fail(rows.Err())
}

// PutLinks implements directory.SyncLinkStore. A link named twice is
// written once, in its last form: one statement may not change a row twice.
func (s syncLinkStore) PutLinks(ctx context.Context, links []*directory.SyncLink) error {
	type key struct {
		connector string
		kind      directory.SyncLinkKind
		ref       string
	}
	at := make(map[key]int, len(links))
	rows := make([][]any, 0, len(links))
	for _, l := range links {
		row := []any{l.ConnectorID, string(l.Kind), l.Ref, l.OrgID, l.ObjectID, l.MemberKey, l.Name, l.Hash}
		k := key{l.ConnectorID, l.Kind, l.Ref}
		if i, ok := at[k]; ok {
			rows[i] = row
			continue
		}
		at[k] = len(rows)
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil
	}
	if s.r.c.Dialect == sqlbuild.Postgres {
		// One array per column: 8 parameters for any number of links,
		// where VALUES lists take 8 a link and cost as much to encode.
		cols := make([]any, 8)
		for j := range cols {
			col := make([]string, len(rows))
			for i, row := range rows {
				col[i] = row[j].(string)
			}
			cols[j] = col
		}
		_, err := s.r.c.Write.Exec(ctx, insertLinksUnnest, cols...)
		return s.r.fail(err)
	}
	_, err := insertRows(ctx, s.r.c.Write, s.r.c.Dialect, insertLinksHead, insertLinksTail, rows)
	return s.r.fail(err)
}

// DeleteLink implements directory.SyncLinkStore.
func (s syncLinkStore) DeleteLink(ctx context.Context, orgID, connectorID string, kind directory.SyncLinkKind, ref string) error {
	_, err := s.r.c.Write.Exec(ctx, deleteLink, orgID, connectorID, string(kind), ref)
	return s.r.fail(err)
}

// --- batches ---

// syncUsersHead is insertUser up to its VALUES: the column list whose
// order userArgs follows.
func syncUsersHead() string {
	head, _, _ := strings.Cut(insertUser, "VALUES")
	return head + "VALUES "
}

const (
	selectMemberIDs = `SELECT user_id FROM group_members WHERE org_id = $1 AND group_id = $2 ORDER BY user_id`
	// selectLiveUserIDs is completed with a test of id against the list $2.
	selectLiveUserIDs = `SELECT id FROM users WHERE org_id = $1 AND status <> 'deleted' AND `
)

type syncBatchStore struct{ r *Repos }

// GetUsers implements directory.SyncBatchStore.
func (s syncBatchStore) GetUsers(ctx context.Context, orgID string, ids []string) ([]*directory.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	d := s.r.c.Dialect
	rows, err := s.r.c.Read.Query(ctx, s.r.q.selectUser+" WHERE u.org_id = $1 AND "+d.In("u.id", "$2"), orgID, d.List(unique(ids)))
	if err != nil {
		return nil, s.r.fail(err)
	}
	out, err := scanAll(rows, (*userRow).user)
	return out, s.r.fail(err)
}

// UpdateUsers implements directory.SyncBatchStore.
func (s syncBatchStore) UpdateUsers(ctx context.Context, users []*directory.User, now time.Time) error {
	if len(users) == 0 {
		return nil
	}
	d := s.r.c.Dialect
	rows := make([][]any, len(users))
	ids := make([]string, len(users))
	seen := make(map[string]bool, len(users))
	for i, u := range users {
		if seen[u.ID] {
			// One statement may not change a row twice.
			return directory.Internal(fmt.Errorf("UpdateUsers: user %s given twice", u.ID))
		}
		seen[u.ID] = true
		roundTimes(u)
		next := *u
		next.UpdatedAt = sqlbuild.UTCMicro(now)
		next.Version = u.Version + 1
		args, err := userArgs(d, &next)
		if err != nil {
			return directory.Internal(err)
		}
		rows[i] = append(args, d.Time(u.CreatedAt), next.Version)
		ids[i] = u.ID
	}
	err := s.r.c.Atomic(ctx, func(db DB) error {
		n, err := insertRows(ctx, db, d, syncUsersHead(), upsertUserTail, rows)
		if err != nil {
			return err
		}
		if n != int64(len(users)) {
			return directory.ErrStale
		}
		// Emails are few (at most 20 a user); rewriting them is simpler
		// than a diff.
		if _, err := db.Exec(ctx, "DELETE FROM user_emails WHERE "+d.In("user_id", "$1"), d.List(ids)); err != nil {
			return err
		}
		for _, u := range users {
			if err := insertEmails(ctx, db, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.r.fail(err)
	}
	for _, u := range users {
		u.UpdatedAt, u.Version = sqlbuild.UTCMicro(now), u.Version+1
	}
	return nil
}

// LiveUserIDs implements directory.SyncBatchStore.
func (s syncBatchStore) LiveUserIDs(ctx context.Context, orgID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	ids = unique(ids)
	d := s.r.c.Dialect
	live, err := collect(ctx, s.r.c.Read, selectLiveUserIDs+d.In("id", "$2"), orgID, d.List(ids))
	if err != nil {
		return nil, s.r.fail(err)
	}
	return inOrder(ids, live), nil
}

// GroupMemberIDs implements directory.SyncBatchStore.
func (s syncBatchStore) GroupMemberIDs(ctx context.Context, orgID, groupID string) ([]string, error) {
	rows, err := s.r.c.Read.Query(ctx, selectMemberIDs, orgID, groupID)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.r.fail(err)
		}
		out = append(out, id)
	}
	return out, s.r.fail(rows.Err())
}
