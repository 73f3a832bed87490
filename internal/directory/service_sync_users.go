package directory

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SyncScope says on whose behalf a sync batch is written.
type SyncScope struct {
	OrgID       string
	ConnectorID string
	// Actor is the connector: Kind ActorConnector, ID the connector's id,
	// Source its kind's (ldap, entra …).
	Actor Actor
	// Fields are the attributes the connector's mapping feeds (see
	// Connector.Mapping): an update clears those its record leaves out,
	// and leaves the others alone.
	Fields []Attr
}

func (sc SyncScope) check() error {
	if sc.Actor.Kind != ActorConnector || sc.Actor.ID != sc.ConnectorID || !sc.Actor.Source.IsDirectory() {
		return Internal(fmt.Errorf("sync scope: actor %+v is not connector %s", sc.Actor, sc.ConnectorID))
	}
	return nil
}

// SyncAction is a kind of change a sync batch asks for, or what became of
// it.
type SyncAction string

// Sync actions. A batch asks for create, update, suspend, delete and role;
// results also say reactivate and restore (an update that lifted the
// connector's own suspension or deletion).
const (
	SyncCreate     SyncAction = "create"
	SyncUpdate     SyncAction = "update"
	SyncSuspend    SyncAction = "suspend"
	SyncReactivate SyncAction = "reactivate"
	SyncDelete     SyncAction = "delete"
	SyncRestore    SyncAction = "restore"
	SyncRole       SyncAction = "role"
)

// What else a sync run counts and shows in its plan: changes to groups
// and their members, and changes that failed (conflict: the userName
// belongs to a user the connector does not manage; error: anything else).
const (
	SyncGroupCreate  SyncAction = "group_create"
	SyncGroupUpdate  SyncAction = "group_update"
	SyncGroupDelete  SyncAction = "group_delete"
	SyncMemberAdd    SyncAction = "member_add"
	SyncMemberRemove SyncAction = "member_remove"
	SyncConflict     SyncAction = "conflict"
	SyncError        SyncAction = "error"
)

// SyncUserChange is one change a connector asks for.
type SyncUserChange struct {
	Action SyncAction
	// Ref is the directory's reference of the user.
	Ref string
	// UserID names the user for every action but create. An update with
	// no UserID applies to the user a create earlier in the batch made
	// for Ref.
	UserID string
	// Attrs are the directory's values by attribute name (the
	// catalogue's, or "properties.<key>"), for create and update.
	Attrs map[Attr]string
	// Active is false when the directory disabled the account.
	Active bool
	// MemberKey and Hash are stored with the link (see SyncLink).
	MemberKey string
	Hash      string
	// Role is the role to set (role), or a new user's role (create).
	Role Role
	// Reason is recorded with a suspension or deletion.
	Reason string
}

// SyncUserResult is what became of one SyncUserChange.
type SyncUserResult struct {
	UserID string
	Action SyncAction
	// Changed is false when the change turned out to change nothing: the
	// user was already as asked, or the rules keep the connector from
	// changing it (a status it did not set).
	Changed bool
	// Err says why the change was not made: CodeConflict when the userName
	// belongs to a user the connector does not manage, CodeInvalid for a
	// value that breaks a rule. The rest of the batch is written.
	Err error
}

// MaxSyncBatch bounds the changes of one ApplySyncUsers call, which is one
// transaction.
const MaxSyncBatch = 1000

// ApplySyncUsers applies a batch of a connector's user changes in one
// transaction, each with its audit event and its link. A change that breaks
// a rule fails alone; a race with another writer reruns the batch, which
// then sees the other write.
func (s *Service) ApplySyncUsers(ctx context.Context, scope SyncScope, changes []SyncUserChange) ([]SyncUserResult, error) {
	if len(changes) > MaxSyncBatch {
		return nil, Errorf(CodeInvalid, "at most %d changes per sync batch", MaxSyncBatch)
	}
	if err := scope.check(); err != nil {
		return nil, err
	}
	var results []SyncUserResult
	var err error
	for range maxStaleRetries {
		err = s.store.InTx(ctx, func(r Repos) error {
			var txErr error
			results, txErr = s.newSyncBatch(scope).apply(ctx, r, changes)
			return txErr
		})
		// A login email held by another user does not go away by running
		// again: the caller retries change by change, and that change
		// fails alone.
		if !errors.Is(err, ErrStale) && !IsCode(err, CodeConflict) || conflictOn(err, "email") {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s.bulkWritten(len(changes))
	return results, nil
}

// syncBatch is one ApplySyncUsers transaction: the users it read, the
// state each reached, and the writes it collects.
type syncBatch struct {
	s     *Service
	scope SyncScope
	by    Authority
	now   time.Time
	org   *Org // read when a change feeds a custom property

	users  map[string]*User // by id: as last changed in the batch
	byName map[string]*User // userNameKey → the user holding it
	byRef  map[string]*User // created in the batch, by ref
	// domains knows who verified the email domains the batch uses.
	domains domainOwners

	writes userWrites
	// deletedOrRestored lists the users the batch deletes or restores: the groups
	// they belong to show other members afterwards.
	deletedOrRestored []string
	// deprovisioned lists the users the batch suspends or deletes: their
	// logins end and their personal API tokens are revoked.
	deprovisioned []string
	events        []*AuditEvent
	links         []*SyncLink
}

func (s *Service) newSyncBatch(scope SyncScope) *syncBatch {
	return &syncBatch{
		s: s, scope: scope, by: scope.Actor.StatusAuthority(), now: s.Now(),
		users: map[string]*User{}, byName: map[string]*User{}, byRef: map[string]*User{},
		domains: domainOwners{}, writes: newUserWrites(),
	}
}

func (b *syncBatch) apply(ctx context.Context, r Repos, changes []SyncUserChange) ([]SyncUserResult, error) {
	if err := b.load(ctx, r, changes); err != nil {
		return nil, err
	}
	results := make([]SyncUserResult, len(changes))
	for i := range changes {
		results[i] = b.change(&changes[i])
	}
	if err := r.Bulk().CreateUsers(ctx, b.writes.creates); err != nil {
		return nil, err
	}
	if err := r.SyncBatches().UpdateUsers(ctx, b.writes.updates, b.now); err != nil {
		return nil, err
	}
	if err := r.Groups().TouchGroupsOfUsers(ctx, b.scope.OrgID, b.deletedOrRestored, b.now); err != nil {
		return nil, err
	}
	for _, id := range b.deprovisioned {
		if err := b.s.endAllSessions(ctx, r, b.scope.Actor, b.scope.OrgID, id); err != nil {
			return nil, err
		}
	}
	if err := r.Bulk().AppendAuditEvents(ctx, b.events); err != nil {
		return nil, err
	}
	// Each link records its user's version once the batch is written
	// (UpdateUsers moved the versions of those it wrote).
	for _, l := range b.links {
		if u := b.users[l.ObjectID]; u != nil {
			l.AppliedVersion = u.Version
		}
	}
	if err := r.SyncLinks().PutLinks(ctx, b.links); err != nil {
		return nil, err
	}
	return results, nil
}

// load reads, with three queries at most, every user the batch names: by
// id, and by the userNames it creates or renames to.
func (b *syncBatch) load(ctx context.Context, r Repos, changes []SyncUserChange) error {
	var ids []string
	for _, c := range changes {
		if c.UserID != "" {
			ids = append(ids, c.UserID)
		}
	}
	found, err := r.SyncBatches().GetUsers(ctx, b.scope.OrgID, ids)
	if err != nil {
		return err
	}
	for _, u := range found {
		b.users[u.ID] = u
		keepHolder(b.byName, u)
	}
	var names []string
	needOrg := false
	for _, f := range b.scope.Fields {
		needOrg = needOrg || strings.HasPrefix(string(f), PropertyPrefix)
	}
	for _, c := range changes {
		name := c.Attrs[UserUserName]
		if name == "" {
			continue
		}
		if cur := b.users[c.UserID]; cur == nil || userNameKey(cur.UserName) != userNameKey(name) {
			names = append(names, name)
		}
		for f := range c.Attrs {
			needOrg = needOrg || strings.HasPrefix(string(f), PropertyPrefix)
		}
	}
	var emails []string
	for _, c := range changes {
		emails = append(emails, c.Attrs[UserEmail], c.Attrs[UserUserName])
	}
	if err := b.domains.load(ctx, r, emails); err != nil {
		return err
	}
	holders, err := r.Bulk().FindUsersByUserNames(ctx, b.scope.OrgID, names)
	if err != nil {
		return err
	}
	for _, u := range holders {
		if known := b.users[u.ID]; known != nil {
			u = known // one object per user, so that its changes add up
		}
		keepHolder(b.byName, u)
	}
	if needOrg {
		if b.org, err = r.Orgs().GetOrg(ctx, b.scope.OrgID); err != nil {
			return err
		}
	}
	return nil
}

// change applies one change to the batch's state.
func (b *syncBatch) change(c *SyncUserChange) SyncUserResult {
	if c.Action == SyncCreate {
		return b.create(c)
	}
	cur := b.users[c.UserID]
	if c.UserID == "" {
		cur = b.byRef[c.Ref]
	}
	if cur == nil {
		return SyncUserResult{UserID: c.UserID, Action: c.Action,
			Err: Errorf(CodeNotFound, "the user linked to %s is gone", c.Ref)}
	}
	switch c.Action {
	case SyncUpdate:
		return b.update(c, cur)
	case SyncSuspend, SyncDelete:
		return b.deprovision(c, cur)
	case SyncRole:
		return b.role(c, cur)
	}
	return SyncUserResult{UserID: cur.ID, Action: c.Action, Err: Errorf(CodeInvalid, "unknown sync action %q", c.Action)}
}

func (b *syncBatch) create(c *SyncUserChange) SyncUserResult {
	fail := func(err error) SyncUserResult { return SyncUserResult{Action: SyncCreate, Err: err} }
	name := NormalizeUserName(c.Attrs[UserUserName])
	if name == "" {
		return fail(FieldErrorf(CodeInvalid, "userName", "the directory has no userName for %s", c.Ref))
	}
	if holder := b.byName[userNameKey(name)]; holder != nil && (!holder.Deleted() || b.ownsByRef(holder, c.Ref)) {
		if !b.ownsByRef(holder, c.Ref) {
			return fail(b.taken(name, holder))
		}
		// A user this directory made whose link was lost (its connector
		// deleted and made again): take it back rather than clash.
		if known := b.users[holder.ID]; known != nil {
			holder = known
		}
		b.users[holder.ID] = holder
		return b.update(c, holder)
	}
	u := &User{OrgID: b.scope.OrgID, Source: b.scope.Actor.Source, SourceRef: c.Ref, Role: c.Role, Status: StatusActive}
	if err := b.setFields(u, c.Attrs); err != nil {
		return fail(err)
	}
	reason := "enabled in the directory"
	if !c.Active {
		u.Status, reason = StatusSuspended, "disabled in the directory"
	}
	MirrorContacts(nil, u)
	u.Normalize()
	if err := u.Validate(); err != nil {
		return fail(err)
	}
	if err := b.domains.known(b.scope.OrgID, u.Email); err != nil {
		return fail(err)
	}
	u.ID, u.CreatedAt, u.UpdatedAt, u.Version = NewID(), b.now, b.now, 1
	u.StatusReason, u.StatusSetBy, u.StatusSetByID, u.StatusChangedAt = reason, b.by, b.scope.Actor.ID, b.now
	if u.Status == StatusActive {
		u.ActivatedAt = &b.now
	}
	b.writes.create(u)
	b.users[u.ID], b.byName[userNameKey(name)], b.byRef[c.Ref] = u, u, u
	b.event("user.create", u.ID, createdFields(u))
	b.link(c, u.ID, c.Hash)
	return SyncUserResult{UserID: u.ID, Action: SyncCreate, Changed: true}
}

// ownsByRef reports whether u is the connector's to take back: a user of
// the organization from the connector's source with the same reference.
func (b *syncBatch) ownsByRef(u *User, ref string) bool {
	return u.OrgID == b.scope.OrgID && u.Source == b.scope.Actor.Source && u.SourceRef == ref
}

// taken explains a userName held by a user of the organization the
// connector does not manage.
func (b *syncBatch) taken(name string, holder *User) error {
	return FieldErrorf(CodeConflict, "userName", "userName %s belongs to a user from %s (%s) that this connector does not manage",
		name, holder.Source, holder.ID)
}

func (b *syncBatch) update(c *SyncUserChange, cur *User) SyncUserResult {
	res := SyncUserResult{UserID: cur.ID, Action: SyncUpdate}
	next := cur.Clone()
	restored := false
	if cur.Deleted() {
		if cur.StatusSetBy != b.by {
			// Someone else deleted the user; the directory does not undo
			// that. The link keeps its old hash, so that every run asks
			// again until an admin restores the user.
			return res
		}
		to, setBy, err := RestoreStatus(cur, b.by)
		if err != nil {
			res.Err = err
			return res
		}
		b.s.stampStatus(b.scope.Actor, next, to, "back in the directory")
		next.StatusSetBy = setBy
		next.DeletedAt, next.StatusBeforeDelete, next.StatusBeforeDeleteSetBy = nil, "", ""
		restored = true
	}
	if err := b.setFields(next, c.Attrs); err != nil {
		res.Err = err
		return res
	}
	if name := next.UserName; userNameKey(name) != userNameKey(cur.UserName) {
		if holder := b.byName[userNameKey(name)]; holder != nil && holder.ID != cur.ID && !holder.Deleted() {
			res.Err = b.taken(name, holder)
			return res
		}
	}
	if to, changed := StatusFromDirectory(next, c.Active, b.by); changed {
		reason := "enabled in the directory"
		res.Action = SyncReactivate
		if to == StatusSuspended {
			reason, res.Action = "disabled in the directory", SyncSuspend
		}
		b.s.stampStatus(b.scope.Actor, next, to, reason)
	}
	MirrorContacts(cur, next)
	next.Normalize()
	if err := next.Validate(); err != nil {
		res.Err = err
		return res
	}
	if !strings.EqualFold(cur.Email, next.Email) || restored {
		if err := b.domains.known(b.scope.OrgID, next.Email); err != nil {
			res.Err = err
			return res
		}
	}
	if restored {
		res.Action = SyncRestore
	}
	b.link(c, cur.ID, c.Hash)
	changes := userChanges(cur, next)
	if len(changes) == 0 {
		return res
	}
	action := "user.update"
	if restored {
		action = "user.restore"
	}
	b.write(cur, next)
	b.event(action, cur.ID, changes)
	res.Changed = true
	return res
}

// deprovision suspends or soft-deletes a user that left the directory, if
// the rules let the connector. Its link loses its hash either way, so that
// the user's return is applied.
func (b *syncBatch) deprovision(c *SyncUserChange, cur *User) SyncUserResult {
	res := SyncUserResult{UserID: cur.ID, Action: c.Action}
	b.link(c, cur.ID, "")
	to := StatusSuspended
	if c.Action == SyncDelete {
		to = StatusDeleted
	}
	if cur.Status == to || cur.Deleted() || CheckTransition(cur, to, b.by) != nil {
		return res
	}
	next := cur.Clone()
	action := "user.status"
	if to == StatusDeleted {
		action = "user.delete"
		next.StatusBeforeDelete, next.StatusBeforeDeleteSetBy = cur.Status, cur.StatusSetBy
		next.DeletedAt = &b.now
	}
	b.s.stampStatus(b.scope.Actor, next, to, c.Reason)
	b.write(cur, next)
	b.event(action, cur.ID, userChanges(cur, next))
	res.Changed = true
	return res
}

// role sets the role the connector's group rules give a live user.
func (b *syncBatch) role(c *SyncUserChange, cur *User) SyncUserResult {
	res := SyncUserResult{UserID: cur.ID, Action: SyncRole}
	if !c.Role.Valid() {
		res.Err = FieldErrorf(CodeInvalid, "role", "role %q is not valid", c.Role)
		return res
	}
	if cur.Deleted() || cur.Role == c.Role {
		return res
	}
	next := cur.Clone()
	next.Role, next.RoleFromMapping = c.Role, false
	b.write(cur, next)
	b.event("user.update", cur.ID, userChanges(cur, next))
	res.Changed = true
	return res
}

// write records next as the user's state to store, once per user whatever
// the number of its changes in the batch.
func (b *syncBatch) write(cur, next *User) {
	b.users[next.ID] = next
	if cur.Deleted() != next.Deleted() {
		b.deletedOrRestored = append(b.deletedOrRestored, next.ID)
	}
	if cur.Status != next.Status && (next.Status == StatusSuspended || next.Status == StatusDeleted) {
		b.deprovisioned = append(b.deprovisioned, next.ID)
	}
	if userNameKey(cur.UserName) != userNameKey(next.UserName) {
		if b.byName[userNameKey(cur.UserName)] == cur {
			delete(b.byName, userNameKey(cur.UserName))
		}
		b.byName[userNameKey(next.UserName)] = next
	}
	b.writes.update(next)
}

func (b *syncBatch) event(action, userID string, changes map[string]Change) {
	a := b.scope.Actor
	b.events = append(b.events, &AuditEvent{
		ID: NewID(), OrgID: b.scope.OrgID, Time: b.now,
		ActorKind: a.Kind, ActorID: a.ID, ActorName: a.Name,
		Action: action, TargetKind: "user", TargetID: userID, Changes: changes,
	})
}

func (b *syncBatch) link(c *SyncUserChange, userID, hash string) {
	b.links = append(b.links, &SyncLink{
		ConnectorID: b.scope.ConnectorID, OrgID: b.scope.OrgID, Kind: LinkUser,
		Ref: c.Ref, ObjectID: userID, MemberKey: c.MemberKey, Hash: hash,
	})
}

// setFields writes the directory's values onto u: every field of attrs,
// and every field of the scope that attrs leaves out, cleared. A userName
// is never cleared.
func (b *syncBatch) setFields(u *User, attrs map[Attr]string) error {
	for _, f := range b.scope.Fields {
		if _, ok := attrs[f]; !ok && f != UserUserName {
			if err := b.setField(u, f, ""); err != nil {
				return err
			}
		}
	}
	for f, v := range attrs {
		if err := b.setField(u, f, v); err != nil {
			return err
		}
	}
	return nil
}

func (b *syncBatch) setField(u *User, field Attr, v string) error {
	if key, ok := strings.CutPrefix(string(field), PropertyPrefix); ok {
		return b.setProperty(u, key, v)
	}
	a, ok := UserAttribute(field)
	if !ok || !a.Mappable() {
		return FieldErrorf(CodeInvalid, string(field), "a directory cannot feed %q", field)
	}
	*a.Text(u) = v
	return nil
}

// setProperty converts a directory's text value to the property's type.
func (b *syncBatch) setProperty(u *User, key, v string) error {
	if b.org == nil {
		return Internal(errors.New("sync batch: the organization was not read"))
	}
	def, ok := b.org.Property(key)
	if !ok {
		return FieldErrorf(CodeInvalid, "properties."+key, "the organization has no custom property %q", key)
	}
	if v == "" {
		delete(u.Properties, key)
		return nil
	}
	var val any = v
	switch def.Type {
	case PropertyNumber:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return FieldErrorf(CodeInvalid, "properties."+key, "%s must be a number, not %q", key, v)
		}
		val = n
	case PropertyBoolean:
		t, err := strconv.ParseBool(v)
		if err != nil {
			return FieldErrorf(CodeInvalid, "properties."+key, "%s must be true or false, not %q", key, v)
		}
		val = t
	}
	if err := checkPropertyValue(def, val); err != nil {
		return err
	}
	if u.Properties == nil {
		u.Properties = map[string]any{}
	}
	u.Properties[key] = val
	return nil
}

// SyncUserFieldsSet says, for each user of the organization among ids,
// which of fields (mappable attributes, "properties.<key>") hold a value:
// those a directory run that leaves them empty would blank. Unknown ids
// are left out.
func (s *Service) SyncUserFieldsSet(ctx context.Context, orgID string, ids []string, fields []Attr) (map[string][]Attr, error) {
	users, err := s.store.SyncBatches().GetUsers(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Attr, len(users))
	for _, u := range users {
		var set []Attr
		for _, f := range fields {
			if key, ok := strings.CutPrefix(string(f), PropertyPrefix); ok {
				if v, ok := u.Properties[key]; ok && v != nil && v != "" {
					set = append(set, f)
				}
				continue
			}
			if a, ok := UserAttribute(f); ok && a.Text != nil {
				if v := a.Text(u); v != nil && *v != "" {
					set = append(set, f)
				}
			}
		}
		out[u.ID] = set
	}
	return out, nil
}
