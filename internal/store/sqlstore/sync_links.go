package sqlstore

import (
	"context"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

const (
	selectUserLinksHead = `SELECT l.source_ref, l.object_id, l.member_key, l.hash, u.status, u.status_set_by, u.role,
	l.user_version, u.version
FROM sync_links l JOIN users u ON u.id = l.object_id
WHERE l.connector_id = $1 AND l.kind = 'user' AND l.org_id = $2`
	selectUserLinks = selectUserLinksHead + `
ORDER BY l.source_ref`
	selectUserLinkRefs = `SELECT source_ref FROM sync_links WHERE connector_id = $1 AND kind = 'user' AND org_id = $2`
	// A group an admin deleted has a link left; leaving it out lets the
	// next run create the group again.
	selectGroupLinks = `SELECT l.source_ref, l.object_id, l.member_key, l.name
FROM sync_links l JOIN groups g ON g.id = l.object_id
WHERE l.connector_id = $1 AND l.kind = 'group' AND l.org_id = $2
ORDER BY l.source_ref`
	insertLinksHead = `INSERT INTO sync_links (connector_id, kind, source_ref, org_id, object_id, member_key, name, hash, user_version) VALUES `
	insertLinksTail = `ON CONFLICT (connector_id, kind, source_ref) DO UPDATE SET object_id = excluded.object_id,
	member_key = excluded.member_key, name = excluded.name, hash = excluded.hash, user_version = excluded.user_version`
	// insertLinksUnnest is the PostgreSQL form of the multi-row insert,
	// one array per column.
	insertLinksUnnest = `INSERT INTO sync_links (connector_id, kind, source_ref, org_id, object_id, member_key, name, hash, user_version)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
` + insertLinksTail
	selectUserLink = `SELECT connector_id, source_ref, object_id, member_key, hash FROM sync_links
WHERE kind = 'user' AND object_id = $2 AND org_id = $1`
	deleteLink = `DELETE FROM sync_links WHERE org_id = $1 AND connector_id = $2 AND kind = $3 AND source_ref = $4`
)

type syncLinkStore struct{ r *Repos }

// ListUserLinks implements directory.SyncLinkStore.
func (s syncLinkStore) ListUserLinks(ctx context.Context, orgID, connectorID string, fn func(*directory.SyncLink) error) error {
	rows, err := s.r.c.Read.Query(ctx, selectUserLinks, connectorID, orgID)
	if err != nil {
		return s.r.fail(err)
	}
	return scanUserLinks(rows, orgID, connectorID, fn, s.r.fail)
}

// ListUserLinkRefs implements directory.SyncLinkStore: the links' refs
// alone, read from the links' primary key.
func (s syncLinkStore) ListUserLinkRefs(ctx context.Context, orgID, connectorID string, fn func(ref string) error) error {
	rows, err := s.r.c.Read.Query(ctx, selectUserLinkRefs, connectorID, orgID)
	if err != nil {
		return s.r.fail(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return s.r.fail(err)
		}
		if err := fn(ref); err != nil {
			return err
		}
	}
	return s.r.fail(rows.Err())
}

// UserLinks implements directory.SyncLinkStore: one query through the
// links' primary key.
func (s syncLinkStore) UserLinks(ctx context.Context, orgID, connectorID string, refs []string) ([]*directory.SyncLink, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	d := s.r.c.Dialect
	rows, err := s.r.c.Read.Query(ctx, selectUserLinksHead+" AND "+d.In("l.source_ref", "$3"), connectorID, orgID, d.List(refs))
	if err != nil {
		return nil, s.r.fail(err)
	}
	var out []*directory.SyncLink
	err = scanUserLinks(rows, orgID, connectorID, func(l *directory.SyncLink) error {
		out = append(out, l)
		return nil
	}, s.r.fail)
	return out, err
}

// scanUserLinks calls fn with each link rows hold (selectUserLinksHead's
// columns), and closes rows.
func scanUserLinks(rows Rows, orgID, connectorID string, fn func(*directory.SyncLink) error, fail func(error) error) error {
	defer rows.Close()
	for rows.Next() {
		l := &directory.SyncLink{ConnectorID: connectorID, OrgID: orgID, Kind: directory.LinkUser}
		if err := rows.Scan(&l.Ref, &l.ObjectID, &l.MemberKey, &l.Hash, &l.Status, &l.StatusSetBy, &l.Role,
			&l.AppliedVersion, &l.Version); err != nil {
			return fail(err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return fail(rows.Err())
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
		row := []any{l.ConnectorID, string(l.Kind), l.Ref, l.OrgID, l.ObjectID, l.MemberKey, l.Name, l.Hash, l.AppliedVersion}
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
		// One array per column: 9 parameters for any number of links,
		// where VALUES lists take 9 a link and cost as much to encode.
		cols := make([]any, 9)
		for j := range 8 {
			col := make([]string, len(rows))
			for i, row := range rows {
				col[i] = row[j].(string)
			}
			cols[j] = col
		}
		versions := make([]int64, len(rows))
		for i, row := range rows {
			versions[i] = row[8].(int64)
		}
		cols[8] = versions
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

// UserLink implements directory.SyncLinkStore.
func (s syncLinkStore) UserLink(ctx context.Context, orgID, userID string) (*directory.SyncLink, error) {
	l := &directory.SyncLink{OrgID: orgID, Kind: directory.LinkUser}
	err := s.r.c.Read.QueryRow(ctx, selectUserLink, orgID, userID).Scan(&l.ConnectorID, &l.Ref, &l.ObjectID, &l.MemberKey, &l.Hash)
	if noRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, s.r.fail(err)
	}
	return l, nil
}
