package directory

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"strings"
)

// ErrOwnedByConnector is wrapped by the CodeConflict error of a write that
// would change an attribute a directory connector owns.
var ErrOwnedByConnector = errors.New("attribute owned by a directory connector")

// ConnectorFields lists the attributes a connector feeds, and so owns on
// the users it links: its kind's default mapping (DefaultSources of the
// kind's family) overlaid with the connector's own mapping, sorted.
func ConnectorFields(c *Connector) []Attr {
	m := DefaultSources(string(c.Kind))
	for f, src := range c.Mapping {
		m[Attr(f)] = src
	}
	out := make([]Attr, 0, len(m))
	for f := range m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// checkOwned refuses a write by anyone but a connector that changes an
// attribute the connector linked to the user owns: the next run would put
// the directory's value back. cur is the user as stored, next as the
// write leaves it (normalized). A write that leaves the owned attributes
// as they are passes, so that a client resending a whole user works.
func checkOwned(ctx context.Context, r Repos, actor Actor, cur, next *User) error {
	if actor.Kind == ActorConnector || !cur.Source.IsDirectory() || cur.Source == SourceSCIM {
		return nil
	}
	link, err := r.SyncLinks().UserLink(ctx, cur.OrgID, cur.ID)
	if err != nil || link == nil {
		return err
	}
	c, err := r.Connectors().GetConnector(ctx, cur.OrgID, link.ConnectorID)
	if err != nil {
		if IsCode(err, CodeNotFound) {
			return nil
		}
		return err
	}
	var changed []string
	for _, f := range ConnectorFields(c) {
		if !sameField(cur, next, f) {
			changed = append(changed, string(f))
		}
	}
	if len(changed) == 0 {
		return nil
	}
	what := "attribute " + changed[0] + " is"
	if len(changed) > 1 {
		what = "attributes " + strings.Join(changed, ", ") + " are"
	}
	return &Error{Code: CodeConflict, Field: changed[0], Err: ErrOwnedByConnector, Message: "the " + what +
		" owned by directory connector " + c.Name + " (" + string(c.Kind) + "), which would put the directory's value back: " +
		"change it in the directory, or detach the user from the connector first"}
}

// sameField reports whether a and b hold the same value of field (a
// catalogue attribute or "properties.<key>").
func sameField(a, b *User, field Attr) bool {
	if key, ok := strings.CutPrefix(string(field), PropertyPrefix); ok {
		va, oka := a.Properties[key]
		vb, okb := b.Properties[key]
		return oka == okb && reflect.DeepEqual(va, vb)
	}
	attr, ok := UserAttribute(field)
	if !ok || attr.Text == nil {
		return true
	}
	return *attr.Text(a) == *attr.Text(b)
}

// DetachUser takes a user back from the connector that manages it: the
// user's link to the connector is removed, and the user becomes local, so
// that admins, SCIM and imports may change every attribute again. The
// connector no longer updates, suspends or deletes the user; while its
// directory still has the user, its runs report the userName as a
// conflict, until the user leaves the directory (or its scope).
func (s *Service) DetachUser(ctx context.Context, actor Actor, orgID, id string) (*User, error) {
	var out *User
	err := retryStale(false, func() error {
		return s.store.InTx(ctx, func(r Repos) error {
			cur, err := r.Users().GetUserForUpdate(ctx, orgID, id)
			if err != nil {
				return err
			}
			link, err := r.SyncLinks().UserLink(ctx, orgID, id)
			if err != nil {
				return err
			}
			if link == nil {
				return Errorf(CodeInvalid, "user %s is not managed by a directory connector", cur.UserName)
			}
			if err := r.SyncLinks().DeleteLink(ctx, orgID, link.ConnectorID, LinkUser, link.Ref); err != nil {
				return err
			}
			next := cur.Clone()
			next.Source, next.SourceRef = SourceLocal, ""
			if err := s.writeUser(ctx, r, actor, "user.detach", cur, next, &out); err != nil {
				return err
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	s.users.drop(orgID, id)
	return out, nil
}

// SyncUserDrift compares, for each update among changes (a directory's
// view of users it links, unchanged since the connector last applied it),
// the attributes the connector owns (scope.Fields) with the user's in
// Roster, as an update would write them (normalized), and returns the
// attributes that differ by user id: those someone changed in Roster
// since, which the update would put back. Users that are deleted, or
// unknown, are left out. One read for the batch. With settle, the links
// of the users found as the directory has them record the version
// compared (one write), so that the next run compares them only after
// another outside write.
func (s *Service) SyncUserDrift(ctx context.Context, scope SyncScope, changes []SyncUserChange, settle bool) (map[string][]Attr, error) {
	if len(changes) > MaxSyncBatch {
		return nil, Errorf(CodeInvalid, "at most %d changes per sync batch", MaxSyncBatch)
	}
	if err := scope.check(); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(changes))
	for _, c := range changes {
		if c.UserID != "" {
			ids = append(ids, c.UserID)
		}
	}
	users, err := s.store.SyncBatches().GetUsers(ctx, scope.OrgID, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	b := s.newSyncBatch(scope)
	for _, f := range scope.Fields {
		if strings.HasPrefix(string(f), PropertyPrefix) {
			if b.org, err = s.store.Orgs().GetOrg(ctx, scope.OrgID); err != nil {
				return nil, err
			}
			break
		}
	}
	out := map[string][]Attr{}
	var settled []*SyncLink
	for _, c := range changes {
		cur := byID[c.UserID]
		if cur == nil || cur.Deleted() {
			continue
		}
		next := cur.Clone()
		if err := b.setFields(next, c.Attrs); err != nil {
			// Values Roster refuses were refused when last applied.
			continue
		}
		MirrorContacts(cur, next)
		next.Normalize()
		for _, f := range scope.Fields {
			if !sameField(cur, next, f) {
				out[cur.ID] = append(out[cur.ID], f)
			}
		}
		if len(out[cur.ID]) == 0 {
			settled = append(settled, &SyncLink{ConnectorID: scope.ConnectorID, OrgID: scope.OrgID, Kind: LinkUser,
				Ref: c.Ref, ObjectID: cur.ID, MemberKey: c.MemberKey, Hash: c.Hash, AppliedVersion: cur.Version})
		}
	}
	if settle && len(settled) > 0 {
		if err := s.store.SyncLinks().PutLinks(ctx, settled); err != nil {
			return nil, err
		}
	}
	return out, nil
}
