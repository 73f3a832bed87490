package directory

// Status is where a user stands: whether it may log in and why not.
type Status string

// Statuses. See DESIGN.md section 3.
const (
	StatusPending   Status = "pending"   // invited, no password yet
	StatusActive    Status = "active"    // may log in
	StatusLocked    Status = "locked"    // too many wrong passwords in a row
	StatusSuspended Status = "suspended" // banned, or disabled by its directory
	StatusInactive  Status = "inactive"  // no login for the organization's inactivity days
	StatusDeleted   Status = "deleted"   // soft-deleted, restorable
)

// Statuses lists every status, in the order screens show them.
var Statuses = []Status{StatusPending, StatusActive, StatusLocked, StatusSuspended, StatusInactive, StatusDeleted}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Authority is who sets or lifts a status. Every status change records the
// authority that made it, because a directory may only lift what it set.
type Authority string

// Authorities. Every directory connector kind acts under the authority
// named after its source (see Actor.StatusAuthority): ldap and entra, and
// those of kinds added later.
const (
	AuthorityAdmin  Authority = "admin"  // an org_admin through the API or an operator through the CLI
	AuthorityUser   Authority = "user"   // the user itself (setting its password)
	AuthorityLogin  Authority = "login"  // the login flow (lockout)
	AuthoritySCIM   Authority = "scim"   // an identity provider pushing over SCIM
	AuthorityLDAP   Authority = "ldap"   // the LDAP / Active Directory sync
	AuthorityEntra  Authority = "entra"  // the Microsoft Entra sync
	AuthorityJob    Authority = "job"    // a scheduled job (inactivity)
	AuthorityImport Authority = "import" // a bulk import run by an admin
)

// IsDirectory reports whether the authority is an external directory:
// SCIM or a connector kind's (see Source.IsDirectory).
func (a Authority) IsDirectory() bool { return isDirectoryName(string(a)) }

// transitionRule says which authorities may move a user from one status to
// another: those listed, and every directory when dirs is set. ownOnly
// marks moves a directory may make only when it set the current status
// itself.
type transitionRule struct {
	by      []Authority
	dirs    bool
	ownOnly bool
}

func (r transitionRule) allows(by Authority) bool {
	return allowed(r.by, by) || (r.dirs && by.IsDirectory())
}

// adminOrDirs lets an admin and every directory make a move.
var adminOrDirs = transitionRule{by: []Authority{AuthorityAdmin}, dirs: true}

// transitions is the whole status matrix. A move not listed is refused.
// Restores (deleted → anything) are handled by RestoreStatus.
var transitions = map[Status]map[Status]transitionRule{
	StatusPending: {
		StatusActive:    {by: []Authority{AuthorityUser, AuthorityAdmin}},
		StatusSuspended: adminOrDirs,
		// An invitation left unused past the inactivity days (or a
		// pending user never invited): see DeactivateInactiveUsers.
		StatusInactive: {by: []Authority{AuthorityJob}},
		StatusDeleted:  adminOrDirs,
	},
	StatusActive: {
		StatusLocked:    {by: []Authority{AuthorityLogin}},
		StatusSuspended: adminOrDirs,
		StatusInactive:  {by: []Authority{AuthorityJob, AuthorityAdmin}},
		StatusDeleted:   adminOrDirs,
	},
	StatusLocked: {
		StatusActive:    {by: []Authority{AuthorityAdmin}},
		StatusSuspended: adminOrDirs,
		StatusDeleted:   adminOrDirs,
	},
	StatusSuspended: {
		// An admin always may; a directory only lifts its own suspension.
		StatusActive:  {by: adminOrDirs.by, dirs: true, ownOnly: true},
		StatusDeleted: adminOrDirs,
	},
	StatusInactive: {
		StatusActive: {by: []Authority{AuthorityAdmin}},
		// An admin inviting again a user that never set its password.
		StatusPending:   {by: []Authority{AuthorityAdmin}},
		StatusSuspended: adminOrDirs,
		StatusDeleted:   adminOrDirs,
	},
}

// CheckTransition reports whether authority by may move u from its current
// status to `to`. Moving to the current status is always allowed (it
// changes nothing).
func CheckTransition(u *User, to Status, by Authority) error {
	from := u.Status
	if !to.Valid() {
		return FieldErrorf(CodeInvalid, "status", "status %q is not valid", to)
	}
	if from == to {
		return nil
	}
	if from == StatusDeleted {
		return Errorf(CodeInvalid, "user is deleted; restore it first")
	}
	rule, ok := transitions[from][to]
	if !ok {
		return Errorf(CodeInvalid, "a user cannot go from %s to %s", from, to)
	}
	if !rule.allows(by) {
		return Errorf(CodeForbidden, "%s may not move a user from %s to %s", by, from, to)
	}
	if rule.ownOnly && by.IsDirectory() && u.StatusSetBy != by {
		return Errorf(CodeForbidden, "the user was made %s by %s; %s cannot lift that", from, describeAuthority(u.StatusSetBy), by)
	}
	if to == StatusPending && u.PasswordHash != "" {
		return Errorf(CodeInvalid, "the user has a password: make it active instead of inviting it again")
	}
	return nil
}

// RestoreStatus returns the status a deleted user gets back when authority by
// restores it: the status it had before deletion, except that a directory
// restoring a user it had suspended itself is free to lift that later, and
// nobody but an admin turns a lock, an admin's ban or an inactivity mark
// into active.
func RestoreStatus(u *User, by Authority) (Status, Authority, error) {
	if u.Status != StatusDeleted {
		return "", "", Errorf(CodeInvalid, "user is not deleted")
	}
	if by != AuthorityAdmin && !by.IsDirectory() {
		return "", "", Errorf(CodeForbidden, "%s may not restore users", by)
	}
	prev, prevBy := u.StatusBeforeDelete, u.StatusBeforeDeleteSetBy
	if !prev.Valid() || prev == StatusDeleted {
		prev, prevBy = StatusActive, by
	}
	return prev, prevBy, nil
}

// StatusFromDirectory is what a directory asking for active=`active` gets for u:
// the target status, and whether it is a change. A directory's active=true
// never lifts a status it did not set (an IdP re-sending active=true does not
// unban, unlock or reactivate); that is not an error, just no change.
func StatusFromDirectory(u *User, active bool, by Authority) (Status, bool) {
	want := StatusSuspended
	if active {
		want = StatusActive
	}
	if u.Status == want || u.Status == StatusDeleted {
		return u.Status, false
	}
	if active && u.Status == StatusPending {
		// Pending users wait for their password; a directory does not
		// skip that step.
		return u.Status, false
	}
	if CheckTransition(u, want, by) != nil {
		return u.Status, false
	}
	return want, true
}

func allowed(list []Authority, a Authority) bool {
	for _, v := range list {
		if v == a {
			return true
		}
	}
	return false
}

func describeAuthority(a Authority) string {
	if a == "" {
		return "an unknown authority"
	}
	return string(a)
}
