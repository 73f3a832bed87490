package sqlstore

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

const connectorColumns = `c.id, c.org_id, c.name, c.kind, c.settings, c.secrets, c.schedule, c.mapping,
	c.role_rules, c.default_role, c.deprovision, c.threshold, c.enabled, c.cursor,
	c.created_at, c.updated_at, c.version, c.group_threshold, c.member_threshold, c.reconcile, c.reconciled_at,
	c.threshold_min, c.group_threshold_min, c.member_threshold_min`

const insertConnector = `INSERT INTO sync_connectors (id, org_id, name, name_lower, kind, settings, secrets,
	schedule, mapping, role_rules, default_role, deprovision, threshold, enabled, updated_at, version,
	group_threshold, member_threshold, reconcile, threshold_min, group_threshold_min, member_threshold_min,
	created_at, cursor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`

// updateConnector leaves the cursor, the lease and reconciled_at to the
// runs.
const updateConnector = `UPDATE sync_connectors SET name = $3, name_lower = $4, kind = $5, settings = $6,
	secrets = $7, schedule = $8, mapping = $9, role_rules = $10, default_role = $11, deprovision = $12,
	threshold = $13, enabled = $14, updated_at = $15, version = $16, group_threshold = $17,
	member_threshold = $18, reconcile = $19, threshold_min = $20, group_threshold_min = $21,
	member_threshold_min = $22
WHERE id = $1 AND org_id = $2 AND version = $23`

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
	releaseLeaseReconciled = `UPDATE sync_connectors SET lease_run_id = '', lease_until = NULL, cursor = $4, reconciled_at = $5
WHERE org_id = $1 AND id = $2 AND lease_run_id = $3`
	takeLease = `UPDATE sync_connectors SET lease_run_id = $3, lease_until = $5
WHERE org_id = $1 AND id = $2 AND (lease_run_id = '' OR lease_until IS NULL OR lease_until <= $4)`
)

type connectorStore struct{ r *Repos }

// connectorArgs returns the arguments $1…$22 of insertConnector and
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
		d.Time(c.UpdatedAt), c.Version, c.GroupThreshold, c.MemberThreshold, c.Reconcile,
		c.ThresholdMin, c.GroupThresholdMin, c.MemberThresholdMin,
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
func (s connectorStore) ReleaseLease(ctx context.Context, orgID, id, runID string, cursor *string, reconciledAt *time.Time) (bool, error) {
	var (
		n   int64
		err error
	)
	switch {
	case cursor != nil && reconciledAt != nil:
		n, err = s.r.c.Write.Exec(ctx, releaseLeaseReconciled, orgID, id, runID, *cursor, s.r.c.Dialect.Time(sqlbuild.UTCMicro(*reconciledAt)))
	case cursor != nil:
		n, err = s.r.c.Write.Exec(ctx, releaseLeaseWithCursor, orgID, id, runID, *cursor)
	default:
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
		&c.GroupThreshold, &c.MemberThreshold, &c.Reconcile, sqlbuild.ScanNullTime(&c.ReconciledAt),
		&c.ThresholdMin, &c.GroupThresholdMin, &c.MemberThresholdMin,
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
