package directory

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"
)

// OrgService is a service an organization gives its users access to: a
// licence, with an optional number of seats. A user holds a service when
// one of its entitlements (User.Entitlements) has the service's key as
// value, compared regardless of case; an entitlement whose value is no
// service's key is plain data, kept as given.
type OrgService struct {
	ID    string
	OrgID string
	// Key names the service in entitlements, imports and the CLI: lower
	// case letters, digits, '.', '_' and '-', starting with a letter or a
	// digit. It cannot change: identity providers send it.
	Key         string
	Name        string
	Description string
	// SeatLimit is how many users may hold the service at once; nil is no
	// limit. Deleted users hold no seats.
	SeatLimit *int
	// GroupIDs are groups of the organization whose members hold the
	// service (SCIM groups, or groups a directory connector syncs).
	GroupIDs  []string
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// ServiceSeats is a service with the number of users holding it.
type ServiceSeats struct {
	*OrgService
	Used int
}

// ServiceStore persists an organization's services. Every method is scoped
// by organization.
type ServiceStore interface {
	// CreateService inserts sv; a key the organization already uses is
	// CodeConflict.
	CreateService(ctx context.Context, sv *OrgService) error
	// GetService returns a service; another organization's id is
	// CodeNotFound.
	GetService(ctx context.Context, orgID, id string) (*OrgService, error)
	// ListServices lists the organization's services by key.
	ListServices(ctx context.Context, orgID string) ([]*OrgService, error)
	// UpdateService writes name, description and seat limit if sv.Version
	// is current (else ErrStale), and advances sv.Version and UpdatedAt.
	UpdateService(ctx context.Context, sv *OrgService, now time.Time) error
	// SetServiceGroups replaces the groups whose members hold a service;
	// an id that is not a group of the organization is CodeInvalid.
	SetServiceGroups(ctx context.Context, orgID, serviceID string, groupIDs []string) error
	// DeleteService removes a service.
	DeleteService(ctx context.Context, orgID, id string) error
	// TakeSeats marks, in a transaction, the services of these keys as
	// having their seats taken: a second transaction doing the same waits
	// for (or, where it cannot, fails and reruns after) the first, so that
	// CountSeats after it counts the first's seats.
	TakeSeats(ctx context.Context, orgID string, keys []string) error
	// CountSeats counts, per key, the organization's users that are not
	// deleted, not among except, and hold an entitlement of that value
	// (regardless of case) or belong to a group mapped to the service of
	// that key. Keys nobody holds are left out.
	CountSeats(ctx context.Context, orgID string, keys, except []string) (map[string]int, error)
}

// maxServices bounds an organization's services.
const maxServices = 500

var serviceKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ServiceKey returns the key a value names (trimmed, lower case).
func ServiceKey(v string) string { return strings.ToLower(strings.TrimSpace(v)) }

// Validate checks and normalizes a service.
func (sv *OrgService) Validate() error {
	sv.Key = ServiceKey(sv.Key)
	sv.Name = strings.TrimSpace(sv.Name)
	sv.Description = strings.TrimSpace(sv.Description)
	if !serviceKeyPattern.MatchString(sv.Key) {
		return FieldErrorf(CodeInvalid, "key", "key %q must be 1 to 64 lower case letters, digits, '.', '_' or '-', starting with a letter or a digit", sv.Key)
	}
	if sv.Name == "" {
		sv.Name = sv.Key
	}
	if err := CheckText("name", sv.Name); err != nil {
		return err
	}
	if len(sv.Description) > 4*maxAttr {
		return FieldErrorf(CodeInvalid, "description", "description is longer than %d characters", 4*maxAttr)
	}
	if err := checkChars("description", sv.Description, true); err != nil {
		return err
	}
	if sv.SeatLimit != nil && (*sv.SeatLimit < 0 || *sv.SeatLimit > 10_000_000) {
		return FieldErrorf(CodeInvalid, "seatLimit", "seatLimit must be between 0 and 10000000")
	}
	return nil
}

// Clone returns a copy of sv.
func (sv *OrgService) Clone() *OrgService {
	c := *sv
	c.GroupIDs = slices.Clone(sv.GroupIDs)
	if sv.SeatLimit != nil {
		n := *sv.SeatLimit
		c.SeatLimit = &n
	}
	return &c
}

// HoldsService reports whether entitlements include the service key.
func HoldsService(entitlements []Grant, key string) bool {
	return slices.ContainsFunc(entitlements, func(g Grant) bool { return ServiceKey(g.Value) == key })
}

// seatTally follows, through a write of one or more users, which users hold
// which entitlement values before and after, to check the seats of the
// services among them.
type seatTally struct {
	// gained counts, per value, the users that did not hold it and do.
	gained map[string]int
	// after counts, per value, the users written that hold it afterwards.
	after map[string]int
	// users are the ids of the users written.
	users []string
}

// add records a write of user id from before to after (nil: a new user,
// or a deleted one).
func (t *seatTally) add(id string, before, after []Grant) {
	if len(before) == 0 && len(after) == 0 {
		return
	}
	had := grantValues(before)
	has := grantValues(after)
	if t.after == nil {
		t.gained, t.after = map[string]int{}, map[string]int{}
	}
	t.users = append(t.users, id)
	for v := range has {
		t.after[v]++
		if !had[v] {
			t.gained[v]++
		}
	}
}

func grantValues(gs []Grant) map[string]bool {
	if len(gs) == 0 {
		return nil
	}
	out := make(map[string]bool, len(gs))
	for _, g := range gs {
		out[ServiceKey(g.Value)] = true
	}
	return out
}

// checkSeats refuses the write t records if it gives a service with a seat
// limit to more users than the limit allows. It costs nothing when no user
// gained an entitlement; otherwise it lists the organization's services
// (one query, two when it has some), and when a gained value is a limited
// service's key, takes and counts its seats (two more). It must run in the transaction of the
// write, before or after the users' own statements.
func checkSeats(ctx context.Context, r Repos, orgID string, t *seatTally) error {
	gained := false
	for _, n := range t.gained {
		if n > 0 {
			gained = true
			break
		}
	}
	if !gained {
		return nil
	}
	all, err := r.Services().ListServices(ctx, orgID)
	if err != nil {
		return err
	}
	var limited []*OrgService
	var keys []string
	for _, sv := range all {
		if sv.SeatLimit != nil && t.gained[sv.Key] > 0 {
			limited = append(limited, sv)
			keys = append(keys, sv.Key)
		}
	}
	if len(limited) == 0 {
		return nil
	}
	if err := r.Services().TakeSeats(ctx, orgID, keys); err != nil {
		return err
	}
	used, err := r.Services().CountSeats(ctx, orgID, keys, t.users)
	if err != nil {
		return err
	}
	for _, sv := range limited {
		if n := used[sv.Key] + t.after[sv.Key]; n > *sv.SeatLimit {
			return fullService(sv, used[sv.Key]+t.after[sv.Key]-t.gained[sv.Key])
		}
	}
	return nil
}

// checkGroupSeats refuses a change that added users to a group mapped to
// a service with a seat limit, if the service now has more holders than
// seats. It runs after the members were added, in their transaction, and
// costs one query when the group holds no limited service.
func checkGroupSeats(ctx context.Context, r Repos, orgID, groupID string, added []string) error {
	if len(added) == 0 {
		return nil
	}
	all, err := r.Services().ListServices(ctx, orgID)
	if err != nil {
		return err
	}
	var limited []*OrgService
	var keys []string
	for _, sv := range all {
		if sv.SeatLimit != nil && slices.Contains(sv.GroupIDs, groupID) {
			limited = append(limited, sv)
			keys = append(keys, sv.Key)
		}
	}
	if len(limited) == 0 {
		return nil
	}
	if err := r.Services().TakeSeats(ctx, orgID, keys); err != nil {
		return err
	}
	used, err := r.Services().CountSeats(ctx, orgID, keys, nil)
	if err != nil {
		return err
	}
	for _, sv := range limited {
		if used[sv.Key] > *sv.SeatLimit {
			return fullService(sv, *sv.SeatLimit)
		}
	}
	return nil
}

// isFull reports whether err is fullService's: running the write again
// would not free seats.
func isFull(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeConflict && e.Field == "services"
}

// fullService is the error of an assignment that a service's seat limit
// refuses; held is how many users hold it without the refused write.
func fullService(sv *OrgService, held int) error {
	return FieldErrorf(CodeConflict, "services", "service %q (%s) is full: %d of its %d seats are taken", sv.Key, sv.Name, held, *sv.SeatLimit)
}
