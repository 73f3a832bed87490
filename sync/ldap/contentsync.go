package ldap

import (
	"context"
	"errors"
	"fmt"
	"net"

	ldapv3 "github.com/go-ldap/ldap/v3"
	"github.com/google/uuid"

	"github.com/roster/roster/sync/engine"
)

// RFC 4533 content synchronisation (OpenLDAP's syncrepl, refreshOnly): when
// the server offers the Sync Request control, a run asks for the content of
// the user and group scopes as it changed since the cookie of the last run.
// The server answers the changed entries in full, and then either the
// entries still there (the present phase: what it does not name is gone)
// or those deleted (the delete phase); entries moved out of the base DN or
// filter count as deleted. A run without a cookie gets the whole content.

// resultSyncRefreshRequired is e-syncRefreshRequired: the server cannot
// refresh from the cookie (its history does not reach back that far) and
// asks for a refresh from nothing.
const resultSyncRefreshRequired = 4096

// offersContentSync reports whether the root DSE lists the Sync Request
// control among its supportedControl.
func (s *session) offersContentSync() (bool, error) {
	e, err := s.rootDSE("supportedControl")
	if err != nil {
		return false, err
	}
	for _, v := range e.GetAttributeValues("supportedControl") {
		if v == ldapv3.ControlTypeSyncRequest {
			return true, nil
		}
	}
	return false, nil
}

// syncHandler receives what a content synchronisation names: changed
// entries (with the entryUUID the server gives them), and the UUIDs of
// entries still present or removed.
type syncHandler struct {
	changed func(e *ldapv3.Entry, uuid string) error
	present func(uuid string) error
	removed func(uuid string) error
}

// syncSearch refreshes the content of base and filter from cookie (nil:
// all of it) and returns the new cookie, and swept: whether every entry in
// scope was named (a refresh from nothing, or one that ended with a
// present phase), so that any other is gone. A cookie the server can no
// longer refresh from is dropped, and the whole content read.
func (s *session) syncSearch(ctx context.Context, base, filter string, attrs []string, cookie []byte, h syncHandler) ([]byte, bool, error) {
	next, swept, err := s.refresh(ctx, base, filter, attrs, cookie, h)
	if cookie != nil && ldapv3.IsErrorWithCode(err, resultSyncRefreshRequired) {
		return s.refresh(ctx, base, filter, attrs, nil, h)
	}
	return next, swept, err
}

func (s *session) refresh(ctx context.Context, base, filter string, attrs []string, cookie []byte, h syncHandler) ([]byte, bool, error) {
	w, err := s.wireConn(ctx)
	if err != nil {
		return nil, false, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The answer is read a batch ahead of the run, as a paged search's
	// pages are: the server and Roster work at the same time.
	type answer struct {
		items []syncItem
		err   error
	}
	answers := make(chan answer, 1)
	go func() {
		defer close(answers)
		err := w.syncRefresh(base, filter, attrs, cookie, s.c.PageSize, func(items []syncItem) bool {
			return offer(ctx, answers, answer{items: items})
		})
		if err != nil {
			offer(ctx, answers, answer{err: err})
		}
	}()
	next, swept, done := cookie, cookie == nil, false
	err = func() error {
		for a := range answers {
			if a.err != nil {
				return a.err
			}
			for _, it := range a.items {
				var err error
				switch {
				case it.entry != nil:
					err = syncEntry(it, h)
				case it.info != nil:
					next, swept, err = syncInfo(it.info, next, swept, h)
				default:
					done = true
					if c, ok := ldapv3.FindControl(it.done, ldapv3.ControlTypeSyncDone).(*ldapv3.ControlSyncDone); ok {
						if len(c.Cookie) > 0 {
							next = c.Cookie
						}
						// refreshDeletes FALSE: the present phase named every
						// entry left; TRUE: only deletions were named.
						swept = swept || !c.RefreshDeletes
					}
				}
				if err != nil {
					return err
				}
			}
		}
		return ctx.Err()
	}()
	if err != nil {
		// The reader may be amid the answer: the next search opens a new
		// connection.
		cancel()
		w.close()
		s.wire = nil
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, false, fmt.Errorf("ldap: content synchronisation of %s: no answer from the server for %v", base, s.c.timeout)
		}
		return nil, false, fmt.Errorf("ldap: content synchronisation of %s: %w", base, err)
	}
	if !done {
		return nil, false, errors.New("ldap: content synchronisation of " + base + " ended without its sync done control")
	}
	return next, swept, nil
}

// syncEntry takes in an entry of a content synchronisation by its state.
func syncEntry(it syncItem, h syncHandler) error {
	ref := uuid.UUID(it.uuid).String()
	switch it.state {
	case ldapv3.SyncStatePresent:
		return h.present(ref)
	case ldapv3.SyncStateAdd, ldapv3.SyncStateModify:
		return h.changed(it.entry, ref)
	case ldapv3.SyncStateDelete:
		return h.removed(ref)
	}
	return nil
}

// syncInfo takes in an intermediate syncInfo message: a new cookie, the
// end of a phase, or a set of UUIDs present or deleted.
func syncInfo(c *ldapv3.ControlSyncInfo, cookie []byte, swept bool, h syncHandler) ([]byte, bool, error) {
	switch {
	case c.NewCookie != nil:
		cookie = c.NewCookie.Cookie
	case c.RefreshPresent != nil:
		swept = true
		if len(c.RefreshPresent.Cookie) > 0 {
			cookie = c.RefreshPresent.Cookie
		}
	case c.RefreshDelete != nil:
		if len(c.RefreshDelete.Cookie) > 0 {
			cookie = c.RefreshDelete.Cookie
		}
	case c.SyncIdSet != nil:
		if len(c.SyncIdSet.Cookie) > 0 {
			cookie = c.SyncIdSet.Cookie
		}
		for _, id := range c.SyncIdSet.SyncUUIDs {
			fn := h.present
			if c.SyncIdSet.RefreshDeletes {
				fn = h.removed
			}
			if err := fn(id.String()); err != nil {
				return nil, false, err
			}
		}
	}
	return cookie, swept, nil
}

// fetchContentSync reads users, then groups, by content synchronisation
// from the cursor's cookies (none for a full read).
func (k *Connector) fetchContentSync(ctx context.Context, s *session, p profile, cur cursor, full bool, emit func(engine.Entry) error) (cursor, engine.FetchResult, error) {
	var userCookie, groupCookie []byte
	if !full && cur.ContentSync {
		userCookie, groupCookie = cur.UserCookie, cur.GroupCookie
	}
	next := cursor{ContentSync: true}
	res := engine.FetchResult{Full: userCookie == nil}
	var err error
	next.UserCookie, res.UsersSwept, err = s.syncSearch(ctx, k.c.UserBaseDN, p.userFilter, k.userAttrs(p), userCookie, syncHandler{
		changed: func(e *ldapv3.Entry, uuid string) error {
			return emit(engine.Entry{Kind: engine.EntryUser, Ref: uuid, User: k.userRecord(p, e)})
		},
		present: func(uuid string) error { return emit(engine.Entry{Kind: engine.EntryUserPresent, Ref: uuid}) },
		removed: func(uuid string) error {
			return emit(engine.Entry{Kind: engine.EntryUserRemoved, Ref: uuid, Reason: engine.RemovedDeleted})
		},
	})
	if err != nil {
		return cursor{}, engine.FetchResult{}, err
	}
	switch {
	case k.c.NoGroups:
	case k.c.NestedGroups:
		// Flattening needs every group: they are all read, every run.
		if err := k.fetchNestedGroups(ctx, s, p, emit); err != nil {
			return cursor{}, engine.FetchResult{}, err
		}
		res.GroupsSwept = true
	default:
		next.GroupCookie, res.GroupsSwept, err = s.syncSearch(ctx, k.c.GroupBaseDN, p.groupFilter, k.groupAttrs(p), groupCookie, syncHandler{
			changed: func(e *ldapv3.Entry, uuid string) error {
				rec, err := k.groupRecord(s, e)
				if err != nil {
					return err
				}
				return emit(engine.Entry{Kind: engine.EntryGroup, Ref: uuid, Group: rec})
			},
			present: func(uuid string) error { return emit(engine.Entry{Kind: engine.EntryGroupPresent, Ref: uuid}) },
			removed: func(uuid string) error {
				return emit(engine.Entry{Kind: engine.EntryGroupRemoved, Ref: uuid, Reason: engine.RemovedDeleted})
			},
		})
		if err != nil {
			return cursor{}, engine.FetchResult{}, err
		}
	}
	return next, res, nil
}
