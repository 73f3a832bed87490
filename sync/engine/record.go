// Package engine pulls an organization's directory (Microsoft Entra, LDAP,
// Active Directory) into Roster and keeps it reconciled.
//
// A Connector streams what the directory holds as Entries: users, groups and
// removals, each named by its source reference (Entra object id, AD
// objectGUID, LDAP entryUUID). The Engine turns them into a plan of the
// directory's own sync changes (directory.SyncUserChange …), checks it
// against the safety thresholds, and applies it through a Target in
// batches, a few transactions at a time (a connector's first run, which
// can only add, applies while the directory is still being read).
// Connectors never hold the whole directory in memory: they emit entries
// page by page.
//
// The Runner is what the rest of Roster uses: it builds a connector from
// its stored configuration (the Kinds registered with it, secrets opened
// with the Sealer), holds the connector's lease in the database so that
// one run per connector goes at a time across replicas, writes through the
// directory service (status rules, audit events, links), records each
// run, and saves
// the connector's cursor only once a run is applied and not held at the
// safety threshold. The admin API (internal/admin) serves connectors and
// runs under /api/v1 through the Runner's use cases (CreateConnector,
// Start, Approve …), RunCommand is `roster sync run`, and Schedules lists
// the connectors' cron schedules for the jobs scheduler.
package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/roster/roster/internal/directory"
)

// EntryKind says what an Entry describes.
type EntryKind uint8

// Entry kinds.
const (
	EntryUser EntryKind = iota + 1
	EntryGroup
	EntryUserRemoved
	EntryGroupRemoved
	// EntryUserPresent and EntryGroupPresent say that an object the
	// directory did not change is still there (in scope): incremental
	// reads that also read every object's presence report it in
	// FetchResult.
	EntryUserPresent
	EntryGroupPresent
)

func (k EntryKind) String() string {
	switch k {
	case EntryUser:
		return "user"
	case EntryGroup:
		return "group"
	case EntryUserRemoved:
		return "user removed"
	case EntryGroupRemoved:
		return "group removed"
	case EntryUserPresent:
		return "user present"
	case EntryGroupPresent:
		return "group present"
	}
	return fmt.Sprintf("EntryKind(%d)", uint8(k))
}

// RemoveReason says why a directory reports an object as removed.
type RemoveReason string

// Removal reasons, after Microsoft Graph's @removed.reason.
const (
	// RemovedChanged: the object left the directory but can come back
	// (Entra's recycle bin). Roster suspends the user.
	RemovedChanged RemoveReason = "changed"
	// RemovedDeleted: the object is gone for good. Roster applies the
	// connector's deprovision policy.
	RemovedDeleted RemoveReason = "deleted"
)

// Entry is one object a connector read from its directory.
type Entry struct {
	Kind EntryKind
	// Ref is the object's stable source reference.
	Ref   string
	User  *UserRecord  // EntryUser
	Group *GroupRecord // EntryGroup
	// Reason is set for removals.
	Reason RemoveReason
}

// UserRecord is a directory user, already mapped onto Roster's fields.
type UserRecord struct {
	// MemberKey is what group member lists call this user when that is not
	// its Ref: an LDAP DN (normalized) or uid.
	MemberKey string
	Attrs     Attrs
	// Active is false when the directory disabled the account.
	Active bool
}

// GroupRecord is a directory group.
type GroupRecord struct {
	// MemberKey is what other groups' member lists call this group (an
	// LDAP DN), when that is not its Ref.
	MemberKey   string
	DisplayName string
	// Members holds member keys (user refs, or LDAP DNs / uids). When
	// Complete, it is the whole membership; otherwise it lists additions
	// and Removed lists removals.
	Members  []string
	Removed  []string
	Complete bool
}

// Attrs holds a user's directory-owned attributes by catalogue attribute
// name ("properties.<key>" for custom properties).
type Attrs map[directory.Attr]string

// Hash is a digest of the attributes and the active flag: two records with
// the same hash need no write.
func (r *UserRecord) Hash() string {
	keys := make([]string, 0, len(r.Attrs))
	for k, v := range r.Attrs {
		if v != "" {
			keys = append(keys, string(k))
		}
	}
	sort.Strings(keys)
	// The digest covers "active=<bool>\x00key=<member key>\x00" and then
	// "<field>=<value>\x00" in field order, written without fmt: it runs
	// for every user of every run.
	buf := make([]byte, 0, 512)
	buf = append(append(buf, "active="...), strconv.FormatBool(r.Active)...)
	buf = append(append(append(buf, "\x00key="...), r.MemberKey...), 0)
	for _, k := range keys {
		buf = append(append(append(append(buf, k...), '='), r.Attrs[directory.Attr(k)]...), 0)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:16])
}

// FetchRequest asks a connector for the directory's state (Full) or for the
// changes since Cursor.
type FetchRequest struct {
	Cursor string
	Full   bool
}

// FetchResult is how a fetch ended.
type FetchResult struct {
	// Cursor is where the next incremental fetch starts. The engine stores
	// it only once the run is applied.
	Cursor string
	// Full reports that the fetch returned the whole directory (asked for,
	// or forced because the cursor expired): objects it did not return are
	// gone.
	Full bool
	// UsersSwept reports that the fetch named every user in scope, changed
	// (EntryUser) or not (EntryUserPresent), and GroupsSwept every group:
	// the objects it did not name are gone, or out of scope, as after a
	// full fetch.
	UsersSwept, GroupsSwept bool
}

// Connector reads one directory.
type Connector interface {
	// Fetch streams entries to emit: every user before any group, so that
	// group members are known when groups arrive. An error from emit stops
	// the fetch and is returned.
	Fetch(ctx context.Context, req FetchRequest, emit func(Entry) error) (FetchResult, error)
	// Check connects and authenticates, to test a configuration.
	Check(ctx context.Context) error
}

// Mapping says which directory attribute feeds each user attribute: the
// catalogue's attribute names (directory.UserAttribute), and
// "properties.<key>" for custom properties.
type Mapping map[directory.Attr]string

// Validate checks that every attribute is one the catalogue lets a
// directory feed (or a custom property), that every directory attribute is
// named, and that userName is mapped.
func (m Mapping) Validate() error {
	for f, attr := range m {
		if !mappable(f) {
			return fmt.Errorf("mapping: unknown field %q", f)
		}
		if strings.TrimSpace(attr) == "" {
			return fmt.Errorf("mapping: field %q names no attribute", f)
		}
	}
	if m[directory.UserUserName] == "" {
		return fmt.Errorf("mapping: userName must be mapped")
	}
	return nil
}

// mappable reports whether a directory may feed the attribute named name.
func mappable(name directory.Attr) bool {
	if key, ok := strings.CutPrefix(string(name), directory.PropertyPrefix); ok {
		return key != ""
	}
	a, ok := directory.UserAttribute(name)
	return ok && a.Mappable()
}

// DefaultMapping is the catalogue's default mapping for a directory family
// ("ldap", "ad", "entra"; see directory.DefaultSources).
func DefaultMapping(family string) Mapping { return Mapping(directory.DefaultSources(family)) }

// With returns defaults overlaid with m: a connector's configured mapping
// replaces the defaults field by field.
func (m Mapping) With(overrides Mapping) Mapping {
	out := make(Mapping, len(m)+len(overrides))
	for f, a := range m {
		out[f] = a
	}
	for f, a := range overrides {
		out[f] = a
	}
	return out
}

// Attributes lists the distinct directory attributes the mapping reads, sorted.
func (m Mapping) Attributes() []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range m {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

// Apply builds Attrs from a directory object whose attribute values get
// returns ("" when absent). Values are trimmed.
func (m Mapping) Apply(get func(attr string) string) Attrs {
	out := make(Attrs, len(m))
	for f, a := range m {
		if v := strings.TrimSpace(get(a)); v != "" {
			out[f] = v
		}
	}
	return out
}
