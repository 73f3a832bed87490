package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

const serviceColumns = `s.id, s.org_id, s.key, s.name, s.description, s.seat_limit, s.created_at, s.updated_at, s.version`

const (
	insertService = `INSERT INTO services (id, org_id, key, name, description, seat_limit, created_at, updated_at, version)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	selectService     = `SELECT ` + serviceColumns + ` FROM services s WHERE s.org_id = $1 AND s.id = $2`
	selectServices    = `SELECT ` + serviceColumns + ` FROM services s WHERE s.org_id = $1 ORDER BY s.key`
	updateService     = `UPDATE services SET name = $3, description = $4, seat_limit = $5, updated_at = $6, version = $7 WHERE org_id = $1 AND id = $2 AND version = $8`
	selectServiceVers = `SELECT version FROM services WHERE org_id = $1 AND id = $2`
	deleteService     = `DELETE FROM services WHERE org_id = $1 AND id = $2`
	// takeSeats writes the services' rows: a concurrent transaction
	// writing them waits for this one to end (PostgreSQL), so that the
	// count it makes next sees this one's seats.
	takeSeats = `UPDATE services SET seat_writes = seat_writes + 1 WHERE org_id = $1 AND %s`
	// countSeats counts, per key among $2, the seats of the
	// organization's service of that key: users not deleted holding it
	// (as an entitlement value, or through a group mapped to it; see
	// migration 0145), leaving out the users in $3. The seats folded by
	// the last usage snapshot, plus the changes since (this
	// transaction's included), less the users left out that hold it.
	countSeats = `SELECT s.key, COALESCE((SELECT c.seats FROM service_seats c WHERE c.service_id = s.id), 0)
	+ COALESCE((SELECT sum(d.delta) FROM service_seat_deltas d WHERE d.service_id = s.id), 0)
	- (SELECT count(*) FROM service_holdings h WHERE h.service_id = s.id AND h.held AND %s)
FROM services s WHERE s.org_id = $1 AND %s`
	selectServiceGroups   = `SELECT service_id, group_id FROM service_groups WHERE org_id = $1 ORDER BY service_id, group_id`
	selectServiceGroupsOf = `SELECT service_id, group_id FROM service_groups WHERE org_id = $1 AND service_id = $2 ORDER BY group_id`
	deleteServiceGroups   = `DELETE FROM service_groups WHERE org_id = $1 AND service_id = $2`
	insertServiceGroups   = `INSERT INTO service_groups (service_id, group_id, org_id) SELECT $2, g.id, g.org_id FROM groups g WHERE g.org_id = $1 AND %s`
)

type serviceStore struct{ r *Repos }

// Services implements directory.Repos.
func (r *Repos) Services() directory.ServiceStore { return serviceStore{r} }

// CreateService implements directory.ServiceStore.
func (s serviceStore) CreateService(ctx context.Context, sv *directory.OrgService) error {
	setID(&sv.ID)
	sv.CreatedAt, sv.UpdatedAt = sqlbuild.UTCMicro(sv.CreatedAt), sqlbuild.UTCMicro(sv.UpdatedAt)
	d := s.r.c.Dialect
	_, err := s.r.c.Write.Exec(ctx, insertService, sv.ID, sv.OrgID, sv.Key, sv.Name, sv.Description, seatLimitArg(sv.SeatLimit),
		d.Time(sv.CreatedAt), d.Time(sv.UpdatedAt), sv.Version)
	return s.r.fail(err)
}

// GetService implements directory.ServiceStore.
func (s serviceStore) GetService(ctx context.Context, orgID, id string) (*directory.OrgService, error) {
	var row serviceRow
	if err := s.r.c.Read.QueryRow(ctx, selectService, orgID, id).Scan(row.dest()...); err != nil {
		if noRows(err) {
			return nil, notFound("service")
		}
		return nil, s.r.fail(err)
	}
	sv, err := row.service()
	if err != nil {
		return nil, err
	}
	groups, err := s.groups(ctx, selectServiceGroupsOf, orgID, id)
	if err != nil {
		return nil, err
	}
	sv.GroupIDs = groups[sv.ID]
	return sv, nil
}

// groups reads service → group ids mappings.
func (s serviceStore) groups(ctx context.Context, query string, args ...any) (map[string][]string, error) {
	rows, err := s.r.c.Read.Query(ctx, query, args...)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var sid, gid string
		if err := rows.Scan(&sid, &gid); err != nil {
			return nil, s.r.fail(err)
		}
		out[sid] = append(out[sid], gid)
	}
	return out, s.r.fail(rows.Err())
}

// SetServiceGroups implements directory.ServiceStore.
func (s serviceStore) SetServiceGroups(ctx context.Context, orgID, serviceID string, groupIDs []string) error {
	groupIDs = unique(groupIDs)
	d := s.r.c.Dialect
	return s.r.fail(s.r.c.Atomic(ctx, func(db DB) error {
		if _, err := db.Exec(ctx, deleteServiceGroups, orgID, serviceID); err != nil {
			return err
		}
		if len(groupIDs) == 0 {
			return nil
		}
		n, err := db.Exec(ctx, fmt.Sprintf(insertServiceGroups, d.In("g.id", "$3")), orgID, serviceID, d.List(groupIDs))
		if err != nil {
			return err
		}
		if int(n) != len(groupIDs) {
			return directory.FieldErrorf(directory.CodeInvalid, "groupIds", "a group of groupIds is not a group of this organization")
		}
		return nil
	}))
}

// ListServices implements directory.ServiceStore.
func (s serviceStore) ListServices(ctx context.Context, orgID string) ([]*directory.OrgService, error) {
	rows, err := s.r.c.Read.Query(ctx, selectServices, orgID)
	if err != nil {
		return nil, s.r.fail(err)
	}
	out, err := scanAll(rows, (*serviceRow).service)
	if err != nil || len(out) == 0 {
		return out, s.r.fail(err)
	}
	groups, err := s.groups(ctx, selectServiceGroups, orgID)
	if err != nil {
		return nil, err
	}
	for _, sv := range out {
		sv.GroupIDs = groups[sv.ID]
	}
	return out, nil
}

// UpdateService implements directory.ServiceStore.
func (s serviceStore) UpdateService(ctx context.Context, sv *directory.OrgService, now time.Time) error {
	now = sqlbuild.UTCMicro(now)
	n, err := s.r.c.Write.Exec(ctx, updateService, sv.OrgID, sv.ID, sv.Name, sv.Description, seatLimitArg(sv.SeatLimit),
		s.r.c.Dialect.Time(now), sv.Version+1, sv.Version)
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		return s.r.fail(staleOrMissing(ctx, s.r.c.Write, "service", selectServiceVers, sv.OrgID, sv.ID))
	}
	sv.Version, sv.UpdatedAt = sv.Version+1, now
	return nil
}

// DeleteService implements directory.ServiceStore.
func (s serviceStore) DeleteService(ctx context.Context, orgID, id string) error {
	n, err := s.r.c.Write.Exec(ctx, deleteService, orgID, id)
	if err != nil {
		return s.r.fail(err)
	}
	if n == 0 {
		return notFound("service")
	}
	return nil
}

// TakeSeats implements directory.ServiceStore.
func (s serviceStore) TakeSeats(ctx context.Context, orgID string, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	d := s.r.c.Dialect
	_, err := s.r.c.Write.Exec(ctx, fmt.Sprintf(takeSeats, d.In("key", "$2")), orgID, d.List(keys))
	return s.r.fail(err)
}

// CountSeats implements directory.ServiceStore.
func (s serviceStore) CountSeats(ctx context.Context, orgID string, keys, except []string) (map[string]int, error) {
	out := make(map[string]int, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	if except == nil {
		except = []string{} // NOT IN an empty list, not NULL
	}
	d := s.r.c.Dialect
	q := fmt.Sprintf(countSeats, d.In("h.user_id", "$3"), d.In("s.key", "$2"))
	rows, err := s.r.c.Read.Query(ctx, q, orgID, d.List(keys), d.List(except))
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, s.r.fail(err)
		}
		if n > 0 {
			out[k] = n
		}
	}
	return out, s.r.fail(rows.Err())
}

func seatLimitArg(n *int) any {
	if n == nil {
		return nil
	}
	return int64(*n)
}

// serviceRow is the scan destination of serviceColumns.
type serviceRow struct {
	sv    directory.OrgService
	limit *int64
}

func (r *serviceRow) dest() []any {
	sv := &r.sv
	return []any{&sv.ID, &sv.OrgID, &sv.Key, &sv.Name, &sv.Description, &r.limit,
		sqlbuild.ScanTime(&sv.CreatedAt), sqlbuild.ScanTime(&sv.UpdatedAt), &sv.Version}
}

func (r *serviceRow) service() (*directory.OrgService, error) {
	sv := r.sv
	if r.limit != nil {
		n := int(*r.limit)
		sv.SeatLimit = &n
	}
	return &sv, nil
}
