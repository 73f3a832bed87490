package sqlstore

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/internal/store/sqlbuild"
)

// updateUserGuarded is updateUser for a user the transaction assumed (see
// AssumeUser) rather than locked, held for the commit: roster_updated_one
// (migration 0043) fails the transaction if no row was at the version
// assumed. PostgreSQL only, which alone holds statements.
var updateUserGuarded = `WITH updated AS (` + updateUser + ` RETURNING 1)
SELECT roster_updated_one(count(*)) FROM updated`

const (
	selectUserVersion = `SELECT version FROM users WHERE org_id = $1 AND id = $2`
	deleteUserEmails  = `DELETE FROM user_emails WHERE user_id = $1`
	deleteUserGrants  = `DELETE FROM user_grants WHERE user_id = $1`
	countUsers        = `SELECT status, source, count(*) FROM users WHERE org_id = $1 GROUP BY status, source`
)

// Conditions of the lookups of one user, appended to Repos.q.selectUser.
const (
	userByID       = ` WHERE u.org_id = $1 AND u.id = $2`
	userByUserName = ` WHERE u.org_id = $1 AND u.user_name_lower = $2 AND u.status <> 'deleted'`
	// The live user of an address: its unique index, users_org_email_key,
	// holds the live users' non-empty addresses.
	userByEmail = ` WHERE u.org_id = $1 AND u.email_lower = $2 AND u.status <> 'deleted' AND u.email_lower <> ''`
	// A directory object should map to one user; should a deleted one
	// share its reference, the live user wins.
	userBySourceRef = ` WHERE u.org_id = $1 AND u.source = $2 AND u.source_ref = $3
ORDER BY u.status = 'deleted', u.id LIMIT 1`
)

// UserLookups are the conditions of the lookups of one live user by
// userName and by email, for the stores' tests of their plans: each must
// read its unique index, as a generic plan too.
var UserLookups = map[string]string{"userName": userByUserName, "email": userByEmail}

type userStore struct{ r *Repos }

// userArgs returns the arguments $1…$userArgCount of insertUser and
// updateUser, in the order of userInsertColumns.
func userArgs(d sqlbuild.Dialect, u *directory.User) ([]any, error) {
	return userArgsTimed(&timeArgs{d: d}, u)
}

// userArgsTimed is userArgs with the times encoded by times, which the
// caller may go on encoding with.
// userInsertArgs returns the arguments of insertUser for u at version:
// userArgs, then its creation time and version, each time encoded once
// (a new user's creation and update times are one).
func userInsertArgs(d sqlbuild.Dialect, u *directory.User, version int64) ([]any, error) {
	times := timeArgs{d: d}
	args, err := userArgsTimed(&times, u)
	if err != nil {
		return nil, err
	}
	return append(args, times.time(u.CreatedAt), version), nil
}

func userArgsTimed(times *timeArgs, u *directory.User) ([]any, error) {
	// Most users have neither profile extras nor properties: their
	// columns' "{}" is boxed once, by the compiler, not per row.
	var profile, props any = "{}", "{}"
	if !emptyProfile(&u.Profile) {
		p, err := marshal(u.Profile)
		if err != nil {
			return nil, err
		}
		profile = p
	}
	if len(u.Properties) > 0 {
		p, err := marshal(u.Properties)
		if err != nil {
			return nil, err
		}
		props = p
	}
	args := make([]any, 0, userArgCount+2) // callers append two
	userName, userNameLower := withLower(u.UserName)
	email, emailLower := withLower(u.Email)
	args = append(args,
		u.ID, u.OrgID,
		userName, userNameLower, enumArg(string(u.Source)), u.SourceRef,
		email, emailLower, u.Enterprise.ManagerID)
	for _, a := range textAttributes {
		args = append(args, *a.Text(u))
	}
	return append(args,
		profile, props, enumArg(string(u.Role)), roleSetBy(u), enumArg(string(u.AuthMethod)),
		enumArg(string(u.Status)), u.StatusReason, enumArg(string(u.StatusSetBy)), u.StatusSetByID, times.zeroNull(u.StatusChangedAt),
		enumArg(string(u.StatusBeforeDelete)), enumArg(string(u.StatusBeforeDeleteSetBy)),
		u.PasswordHash, u.FailedLogins, times.null(u.LastLoginAt), times.null(u.ActivatedAt), times.null(u.LockedUntil),
		times.time(u.UpdatedAt), times.null(u.DeletedAt), hasGrants(u),
	), nil
}

// timeArgs encodes times as statement arguments as the dialect's Time,
// NullTime and ZeroNullTime do, but a time equal to the last one it
// encoded as that one's argument: a new user's creation, update,
// activation and status change are one instant, and an encoding
// allocates (two on SQLite, a string and its box).
type timeArgs struct {
	d    sqlbuild.Dialect
	last time.Time
	arg  any // last's argument, nil for none yet
}

func (a *timeArgs) time(t time.Time) any {
	if a.arg == nil || !t.Equal(a.last) {
		a.last, a.arg = t, a.d.Time(t)
	}
	return a.arg
}

func (a *timeArgs) null(t *time.Time) any {
	if t == nil {
		return nil
	}
	return a.time(*t)
}

func (a *timeArgs) zeroNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return a.time(t)
}

// emptyProfile reports whether p encodes as {}: every field of a Profile
// is omitempty. TestEmptyProfile checks that no field is left out here.
func emptyProfile(p *directory.Profile) bool {
	return p.MiddleName == "" && p.HonorificPrefix == "" && p.HonorificSuffix == "" && p.NickName == "" &&
		p.ProfileURL == "" && p.UserType == "" && p.PreferredLanguage == "" && p.Locale == "" && p.Timezone == "" &&
		len(p.PhoneNumbers) == 0 && len(p.Addresses) == 0
}

// withLower returns s and its lower case as statement arguments: the same
// any twice when s is lower case already, as userNames and emails mostly
// are, since boxing a string allocates.
func withLower(s string) (any, any) {
	boxed := any(s)
	if lower := strings.ToLower(s); lower != s {
		return boxed, lower
	}
	return boxed, boxed
}

// enumArgs holds, boxed once (see directory.EnumBoxes), the values of the
// domain's enumerations that statements take as text: statuses, roles,
// sources, authorities, auth methods, actor kinds, and the audit actions
// and targets of a user's create and update.
var enumArgs = directory.NewEnumBoxes(slices.Concat(
	texts(directory.Statuses...),
	texts(directory.Roles...),
	texts(directory.Sources...),
	texts(directory.AuthorityAdmin, directory.AuthorityUser, directory.AuthorityLogin, directory.AuthoritySCIM,
		directory.AuthorityLDAP, directory.AuthorityEntra, directory.AuthorityJob, directory.AuthorityImport),
	texts(directory.AuthMethods...),
	texts(directory.ActorAdmin, directory.ActorUser, directory.ActorToken, directory.ActorConnector,
		directory.ActorJob, directory.ActorOperator, directory.ActorSystem),
	[]string{"user.create", "user.update", "user", "group"},
)...)

// texts returns values as plain strings.
func texts[S ~string](values ...S) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// enumArg returns s as a statement argument, boxed once if it is a value
// of enumArgs.
func enumArg(s string) any { return enumArgs.Box(s) }

// hasGrants is u's users.has_grants: whether user_grants holds rows of
// it, so that reading a user without roles or entitlements (most users)
// skips their subquery.
func hasGrants(u *directory.User) bool { return len(u.Roles) > 0 || len(u.Entitlements) > 0 }

// roleSetByMapping is the users.role_set_by of a role the organization's
// role mappings set.
const roleSetByMapping = "mapping"

// roleSetBy is u's users.role_set_by.
func roleSetBy(u *directory.User) string {
	if u.RoleFromMapping {
		return roleSetByMapping
	}
	return ""
}

// roundTimes keeps of u's times what the stores keep: UTC microseconds.
func roundTimes(u *directory.User) {
	round := func(t **time.Time) {
		if *t != nil {
			r := sqlbuild.UTCMicro(**t)
			*t = &r
		}
	}
	u.CreatedAt, u.UpdatedAt = sqlbuild.UTCMicro(u.CreatedAt), sqlbuild.UTCMicro(u.UpdatedAt)
	if !u.StatusChangedAt.IsZero() {
		u.StatusChangedAt = sqlbuild.UTCMicro(u.StatusChangedAt)
	}
	round(&u.LastLoginAt)
	round(&u.ActivatedAt)
	round(&u.LockedUntil)
	round(&u.DeletedAt)
}

// CreateUser implements directory.UserStore. It rounds u's times to what the
// store keeps, so that u equals what a read returns.
func (s userStore) CreateUser(ctx context.Context, u *directory.User) error {
	setID(&u.ID)
	roundTimes(u)
	if u.Version < 1 {
		u.Version = 1
	}
	args, err := userInsertArgs(s.r.c.Dialect, u, u.Version)
	if err != nil {
		return directory.Internal(err)
	}
	// Nothing reads the insert's result: a transaction may send it with
	// the commit, which then reports a taken userName (see Repos.Fail).
	return s.r.fail(s.r.c.Atomic(ctx, func(db DB) error {
		if err := execLater(ctx, db, insertUser, args...); err != nil {
			return err
		}
		if err := insertEmails(ctx, db, u); err != nil {
			return err
		}
		return insertGrants(ctx, db, u)
	}))
}

// insertEmails writes u's email rows. Nothing reads the statement's result,
// so a transaction may send it later (see LaterExecer).
func insertEmails(ctx context.Context, db DB, u *directory.User) error {
	if len(u.Emails) == 0 {
		return nil
	}
	args := make([]any, 1, 1+emailColumns*len(u.Emails))
	args[0] = u.ID
	for i, e := range u.Emails {
		args = append(args, i, e.Value, strings.ToLower(e.Value), e.Type, strings.ToLower(e.Type), e.Primary, e.Display)
	}
	return execLater(ctx, db, insertEmailsStatement(len(u.Emails)), args...)
}

// emailColumns is how many arguments insertEmails gives each email.
const emailColumns = 7

// insertEmailsStatements are insertEmails' statements for the usual counts
// of emails, made once rather than on every insert.
var insertEmailsStatements = func() (s [5]string) {
	for n := 1; n < len(s); n++ {
		s[n] = buildInsertEmails(n)
	}
	return s
}()

// insertEmailsStatement returns the statement inserting n emails: $1 the
// user, then emailColumns arguments per email.
func insertEmailsStatement(n int) string {
	if n < len(insertEmailsStatements) {
		return insertEmailsStatements[n]
	}
	return buildInsertEmails(n)
}

func buildInsertEmails(n int) string {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = "($1, " + sqlbuild.Placeholders(2+emailColumns*i, emailColumns) + ")"
	}
	return "INSERT INTO user_emails (user_id, ordinal, value, value_lower, type, type_lower, is_primary, display) VALUES " +
		strings.Join(rows, ", ")
}

// Kinds of user_grants rows.
const (
	grantRole        = "role"
	grantEntitlement = "entitlement"
)

// insertGrants writes u's role and entitlement rows. Nothing reads the
// statement's result, so a transaction may send it later.
func insertGrants(ctx context.Context, db DB, u *directory.User) error {
	if len(u.Roles) == 0 && len(u.Entitlements) == 0 {
		return nil
	}
	args := sqlbuild.Args{u.ID}
	rows := make([]string, 0, len(u.Roles)+len(u.Entitlements))
	add := func(kind string, grants []directory.Grant) {
		if len(grants) == 0 {
			return // every argument must appear in the statement
		}
		k := args.Add(kind)
		for i, g := range grants {
			rows = append(rows, "($1, "+k+", "+args.Add(i)+", "+args.Add(g.Value)+", "+args.Add(strings.ToLower(g.Value))+", "+
				args.Add(g.Type)+", "+args.Add(strings.ToLower(g.Type))+", "+args.Add(g.Primary)+", "+args.Add(g.Display)+")")
		}
	}
	add(grantRole, u.Roles)
	add(grantEntitlement, u.Entitlements)
	return execLater(ctx, db, "INSERT INTO user_grants (user_id, kind, ordinal, value, value_lower, type, type_lower, is_primary, display) VALUES "+
		strings.Join(rows, ", "), args...)
}

// GetUser implements directory.UserStore.
func (s userStore) GetUser(ctx context.Context, orgID, id string) (*directory.User, error) {
	return s.one(ctx, s.r.q.selectUser+userByID, orgID, id)
}

// GetUserForUpdate implements directory.UserStore: in a transaction, it
// locks the user's row until the transaction ends, so that an update of
// the version read cannot be stale, and UpdateUser can send it with the
// commit instead of waiting for its answer.
func (s userStore) GetUserForUpdate(ctx context.Context, orgID, id string) (*directory.User, error) {
	if !s.r.inTx {
		return s.GetUser(ctx, orgID, id)
	}
	// The lock first, the read after it: a read that waits for the lock
	// sees the row as its holder committed it, but a subquery of the same
	// statement (the emails) sees what was there when the statement
	// began, and an update written from that would lose the holder's
	// emails. Held, the lock travels in the read's round trip.
	if s.r.q.lockUser != "" {
		if err := execLater(ctx, s.r.c.Write, s.r.q.lockUser, orgID, id); err != nil {
			return nil, s.r.fail(err)
		}
	}
	u, err := s.one(ctx, s.r.q.selectUser+userByID, orgID, id)
	if err != nil {
		return nil, err
	}
	if s.r.locked == nil {
		s.r.locked = map[string]lockedUser{}
	}
	s.r.locked[u.ID] = lockedUser{version: u.Version, emails: slices.Clone(u.Emails), grants: grantsOf(u)}
	return u, nil
}

// AssumeUser implements directory.UserStore: the transaction takes u as
// the user stored, without reading it. An update of u's version is then
// held for the commit, guarded so that the commit fails with ErrStale if
// the user is no longer at that version. Where statements cannot be held
// (SQLite), the update is sent at once and its answer says whether it was
// stale, as for any user not locked.
func (s userStore) AssumeUser(u *directory.User) {
	if !s.r.inTx {
		return
	}
	if s.r.locked == nil {
		s.r.locked = map[string]lockedUser{}
	}
	if _, ok := s.r.locked[u.ID]; ok {
		return // locked already: nothing to guard
	}
	s.r.locked[u.ID] = lockedUser{version: u.Version, emails: slices.Clone(u.Emails), grants: grantsOf(u), assumed: true}
}

// FindUserByUserName implements directory.UserStore.
func (s userStore) FindUserByUserName(ctx context.Context, orgID, userName string) (*directory.User, error) {
	return s.one(ctx, s.r.q.selectUser+userByUserName, orgID, strings.ToLower(directory.NormalizeUserName(userName)))
}

// FindUserByEmail implements directory.UserStore.
func (s userStore) FindUserByEmail(ctx context.Context, orgID, email string) (*directory.User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, notFound("user")
	}
	return s.one(ctx, s.r.q.selectUser+userByEmail, orgID, email)
}

// FindUserBySourceRef implements directory.UserStore.
func (s userStore) FindUserBySourceRef(ctx context.Context, orgID string, source directory.Source, ref string) (*directory.User, error) {
	if ref == "" {
		return nil, notFound("user")
	}
	return s.one(ctx, s.r.q.selectUser+userBySourceRef, orgID, string(source), ref)
}

// one reads the user a query of selectUser finds.
func (s userStore) one(ctx context.Context, query string, args ...any) (*directory.User, error) {
	var row userRow
	err := s.r.c.Read.QueryRow(ctx, query, args...).Scan(row.dest()...)
	if err != nil {
		if noRows(err) {
			return nil, notFound("user")
		}
		return nil, s.r.fail(err)
	}
	u, err := row.user()
	return u, s.r.fail(err)
}

// UpdateUser implements directory.UserStore. It rounds u's times to what the
// store keeps.
func (s userStore) UpdateUser(ctx context.Context, u *directory.User, now time.Time) error {
	roundTimes(u)
	next := *u
	next.UpdatedAt = sqlbuild.UTCMicro(now)
	next.Version = u.Version + 1
	args, err := userArgs(s.r.c.Dialect, &next)
	if err != nil {
		return directory.Internal(err)
	}
	args = append(args, next.Version, u.Version)
	err = s.r.c.Atomic(ctx, func(db DB) error {
		if held, err := s.updateLocked(ctx, db, u, args); held || err != nil {
			return err
		}
		// The update returns the emails, roles and entitlements the user
		// had, so that their rows are rewritten only when they change,
		// which most updates do not.
		var old, oldGrants []byte
		if err := db.QueryRow(ctx, s.r.q.updateUser, args...).Scan(&old, &oldGrants); err != nil {
			if noRows(err) {
				return staleOrMissing(ctx, db, "user", selectUserVersion, u.OrgID, u.ID)
			}
			return err
		}
		same, err := sameEmails(old, u.Emails)
		if err != nil {
			return err
		}
		if !same {
			if err := rewriteEmails(ctx, db, u); err != nil {
				return err
			}
		}
		stored, err := decodeGrants(oldGrants)
		if err != nil || stored.equal(grantsOf(u)) {
			return err
		}
		return rewriteGrants(ctx, db, u)
	})
	if err != nil {
		return s.r.fail(err)
	}
	u.UpdatedAt, u.Version = next.UpdatedAt, next.Version
	if l, ok := s.r.locked[u.ID]; ok {
		s.r.locked[u.ID] = lockedUser{version: u.Version, emails: slices.Clone(u.Emails), grants: grantsOf(u), assumed: l.assumed}
	}
	return nil
}

// updateLocked sends the update of a user that this transaction holds
// locked at u.Version with the next statement or the commit, if the
// database can: the version cannot have moved, and the emails it had are
// known. It reports whether it did.
func (s userStore) updateLocked(ctx context.Context, db DB, u *directory.User, args []any) (bool, error) {
	locked, ok := s.r.locked[u.ID]
	if !ok || locked.version != u.Version {
		return false, nil
	}
	statement := updateUser
	if locked.assumed {
		statement = updateUserGuarded
	}
	l, ok := db.(LaterExecer)
	if !ok || !l.ExecLater(statement, args...) {
		return false, nil
	}
	if !slices.Equal(locked.emails, u.Emails) {
		if err := rewriteEmails(ctx, db, u); err != nil {
			return true, err
		}
	}
	if locked.grants.equal(grantsOf(u)) {
		return true, nil
	}
	return true, rewriteGrants(ctx, db, u)
}

// rewriteGrants replaces u's role and entitlement rows.
func rewriteGrants(ctx context.Context, db DB, u *directory.User) error {
	if err := execLater(ctx, db, deleteUserGrants, u.ID); err != nil {
		return err
	}
	return insertGrants(ctx, db, u)
}

// rewriteEmails replaces u's email rows. Emails are few (at most 20);
// rewriting them is simpler than a diff and costs the same.
func rewriteEmails(ctx context.Context, db DB, u *directory.User) error {
	if err := execLater(ctx, db, deleteUserEmails, u.ID); err != nil {
		return err
	}
	return insertEmails(ctx, db, u)
}

// ListUsers implements directory.UserStore.
func (s userStore) ListUsers(ctx context.Context, orgID string, q directory.UserQuery) (*directory.UserPage, error) {
	l := listing{
		table:   sqlbuild.Users,
		columns: s.r.q.userColumns,
		from:    "users u",
		id:      "u.id",
		args:    sqlbuild.Args{orgID},
		where:   []string{"u.org_id = $1"},
		db:      s.r.staleRead(ctx), // the users export's pages may lag
		filter:  q.Filter, sort: q.Sort, offset: q.Offset, after: q.After, afterOffset: q.AfterOffset, limit: q.Limit, count: q.CountTotal, cursorOnly: q.CursorOnly,
	}
	if !q.IncludeDeleted {
		l.where = append(l.where, "u.status <> 'deleted'")
	}
	page := &directory.UserPage{}
	var err error
	page.Next, page.Total, err = s.r.list(ctx, l, func(rows Rows, key []any) (string, error) {
		var row userRow
		if err := rows.Scan(append(row.dest(), key...)...); err != nil {
			return "", err
		}
		u, err := row.user()
		if err != nil {
			return "", err
		}
		page.Users = append(page.Users, u)
		return u.ID, nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// CountUsersByStatus implements directory.UserStore.
func (s userStore) CountUsersByStatus(ctx context.Context, orgID string) (map[directory.Status]map[directory.Source]int, error) {
	rows, err := s.r.c.Read.Query(ctx, countUsers, orgID)
	if err != nil {
		return nil, s.r.fail(err)
	}
	defer rows.Close()
	out := map[directory.Status]map[directory.Source]int{}
	for rows.Next() {
		var (
			status directory.Status
			source directory.Source
			n      int
		)
		if err := rows.Scan(&status, &source, &n); err != nil {
			return nil, s.r.fail(err)
		}
		if out[status] == nil {
			out[status] = map[directory.Source]int{}
		}
		out[status][source] = n
	}
	return out, s.r.fail(rows.Err())
}

// userRow is the scan destination of Repos.q.userColumns.
type userRow struct {
	u                      directory.User
	profile, props, emails []byte
	grants                 []byte
	// The columns of named string types scan into plain strings: pgx
	// plans a scan into a named type by reflection on every query.
	source, role, roleSetBy, authMethod, status, statusSetBy string
	statusBeforeDelete, statusBeforeDeleteSetBy              string
}

func (r *userRow) dest() []any {
	u := &r.u
	dest := make([]any, 0, userDestCount)
	dest = append(dest, &u.ID, &u.OrgID, &u.UserName, &r.source, &u.SourceRef, &u.Email, &u.Enterprise.ManagerID)
	for _, a := range textAttributes {
		dest = append(dest, a.Text(u))
	}
	return append(dest,
		&r.profile, &r.props, &r.role, &r.roleSetBy, &r.authMethod,
		&r.status, &u.StatusReason, &r.statusSetBy, &u.StatusSetByID, sqlbuild.ScanZeroNullTime(&u.StatusChangedAt),
		&r.statusBeforeDelete, &r.statusBeforeDeleteSetBy,
		&u.PasswordHash, &u.FailedLogins, sqlbuild.ScanNullTime(&u.LastLoginAt), sqlbuild.ScanNullTime(&u.ActivatedAt), sqlbuild.ScanNullTime(&u.LockedUntil),
		sqlbuild.ScanTime(&u.CreatedAt), sqlbuild.ScanTime(&u.UpdatedAt), sqlbuild.ScanNullTime(&u.DeletedAt), &u.Version,
		&r.emails, &r.grants,
	)
}

// userDestCount is how many values userRow.dest scans: userColumns, the
// emails and the grants.
var userDestCount = strings.Count(userColumns, ",") + 3

func (r *userRow) user() (*directory.User, error) {
	u := &r.u
	u.Source, u.Role, u.AuthMethod = directory.Source(r.source), directory.Role(r.role), directory.AuthMethod(r.authMethod)
	u.Status, u.StatusSetBy = directory.Status(r.status), directory.Authority(r.statusSetBy)
	u.RoleFromMapping = r.roleSetBy == roleSetByMapping
	u.StatusBeforeDelete = directory.Status(r.statusBeforeDelete)
	u.StatusBeforeDeleteSetBy = directory.Authority(r.statusBeforeDeleteSetBy)
	if err := unmarshal(r.profile, &u.Profile); err != nil {
		return nil, err
	}
	if err := unmarshal(r.props, &u.Properties); err != nil {
		return nil, err
	}
	if len(u.Properties) == 0 {
		u.Properties = nil
	}
	emails, err := decodeEmails(r.emails)
	if err != nil {
		return nil, err
	}
	u.Emails = emails
	grants, err := decodeGrants(r.grants)
	if err != nil {
		return nil, err
	}
	u.Roles, u.Entitlements = grants.roles, grants.entitlements
	return u, nil
}

// emailsAgg is the select expression of a user's emails, for decodeEmails;
// the user is u.
func emailsAgg(d sqlbuild.Dialect, user string) string {
	return d.ArrayAgg("e.value, e.type, e.is_primary, e.display", "user_emails e WHERE e.user_id = "+user, "e.ordinal")
}

// decodeEmails reads the emails selected by emailsAgg.
func decodeEmails(b []byte) ([]directory.Email, error) {
	vals, err := flatTuples(b, 4)
	if err != nil || len(vals) == 0 {
		return nil, err
	}
	out := make([]directory.Email, 0, len(vals)/4)
	for e := vals; len(e) >= 4; e = e[4:] {
		out = append(out, directory.Email{Value: e[0].str(), Type: e[1].str(), Primary: e[2].truthy(), Display: e[3].str()})
	}
	return out, nil
}

// sameEmails reports whether the stored emails b (see emailsAgg) are
// emails, in order.
func sameEmails(b []byte, emails []directory.Email) (bool, error) {
	stored, err := decodeEmails(b)
	if err != nil {
		return false, err
	}
	return slices.Equal(stored, emails), nil
}

// grantsAgg is the select expression of a user's roles and entitlements,
// for decodeGrants; user is the user's id column ("u.id"). It is NULL,
// without the subquery, for a user whose has_grants is false.
func grantsAgg(d sqlbuild.Dialect, user string) string {
	table, _ := strings.CutSuffix(user, ".id")
	return "CASE WHEN " + table + ".has_grants THEN " +
		d.ArrayAgg("x.kind, x.value, x.type, x.is_primary, x.display", "user_grants x WHERE x.user_id = "+user, "x.kind, x.ordinal") + " END"
}

// grantsAggAll is grantsAgg whatever has_grants says: an update's
// RETURNING sees has_grants as the update set it, so a user losing its
// last grants would otherwise report none stored and keep its rows.
func grantsAggAll(d sqlbuild.Dialect, user string) string {
	return d.ArrayAgg("x.kind, x.value, x.type, x.is_primary, x.display", "user_grants x WHERE x.user_id = "+user, "x.kind, x.ordinal")
}

// grantLists are a user's roles and entitlements.
type grantLists struct{ roles, entitlements []directory.Grant }

func grantsOf(u *directory.User) grantLists {
	return grantLists{slices.Clone(u.Roles), slices.Clone(u.Entitlements)}
}

func (g grantLists) equal(o grantLists) bool {
	return slices.Equal(g.roles, o.roles) && slices.Equal(g.entitlements, o.entitlements)
}

// decodeGrants reads the roles and entitlements selected by grantsAgg.
func decodeGrants(b []byte) (grantLists, error) {
	var out grantLists
	vals, err := flatTuples(b, 5)
	if err != nil {
		return out, err
	}
	for e := vals; len(e) >= 5; e = e[5:] {
		g := directory.Grant{Value: e[1].str(), Type: e[2].str(), Primary: e[3].truthy(), Display: e[4].str()}
		if e[0].str() == grantRole {
			out.roles = append(out.roles, g)
		} else {
			out.entitlements = append(out.entitlements, g)
		}
	}
	return out, nil
}
