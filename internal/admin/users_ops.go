package admin

import (
	"net/http"

	"github.com/roster/roster/internal/directory"
)

// UserOps are the user routes' use cases for the web console, so that a
// form does exactly what its API route does: the same checks (password
// modes and policy, an admin may not ban or delete itself), the same
// emails and the same audit entries. Each takes the console's request,
// whose {id} path value names the user, and the signed-in caller.
type UserOps struct{ h *handler }

// NewUserOps returns the use cases over the API's configuration.
func NewUserOps(cfg Config) (*UserOps, error) {
	h, err := newHandler(cfg)
	if err != nil {
		return nil, err
	}
	return &UserOps{h: h}, nil
}

// CreateUserInput is a new user as POST /users takes it.
type CreateUserInput = createUserRequest

// UserPatch is an edit as PATCH /users/{id} takes it.
type UserPatch = userPatch

// EmailResult says whether the email a change calls for went out.
type EmailResult = emailResult

// BulkResult is what happened to each row of a bulk create or delete.
type BulkResult = bulkResult

// RowResult is one row of a BulkResult.
type RowResult = rowResult

// Password modes of a new user (CreateUserInput.PasswordMode).
const (
	ModeInvite      = modeInvite
	ModeGenerate    = modeGenerate
	ModeSetAndEmail = modeSetAndEmail
	ModeSet         = modeSet
	ModeNone        = modeNone
)

// discard is the response writer of the API handlers the console calls:
// the console renders its own answer.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (*discard) Write(b []byte) (int, error) { return len(b), nil }
func (*discard) WriteHeader(int)             {}

func caller(u *directory.User) *principal { return &principal{user: u} }

// Create creates a user and sends the email of its password mode.
func (o *UserOps) Create(r *http.Request, by *directory.User, in *CreateUserInput) (*directory.User, *EmailResult, error) {
	org, err := o.h.dir.GetOrg(r.Context(), by.OrgID)
	if err != nil {
		return nil, nil, err
	}
	return o.h.createOne(r, caller(by), org, in)
}

// CreateMany creates the rows in one transaction; a row that breaks a rule
// fails alone.
func (o *UserOps) CreateMany(r *http.Request, by *directory.User, in []CreateUserInput) (BulkResult, error) {
	return o.h.createUsers(&discard{}, r, caller(by), &bulkCreateRequest{Users: in})
}

// Edit applies a patch to the user {id}; an empty password keeps it.
func (o *UserOps) Edit(r *http.Request, by *directory.User, in *UserPatch) error {
	_, err := o.h.patchUser(&discard{}, r, caller(by), in)
	return err
}

// SetRole changes the role of the user {id}.
func (o *UserOps) SetRole(r *http.Request, by *directory.User, role directory.Role) error {
	_, err := o.h.setRole(&discard{}, r, caller(by), &roleRequest{Role: role})
	return err
}

// Suspend bans the user {id}; its sessions end.
func (o *UserOps) Suspend(r *http.Request, by *directory.User) error {
	_, err := o.h.suspend(&discard{}, r, caller(by), &reasonRequest{})
	return err
}

// Reactivate validates a banned, inactive or pending user {id}.
func (o *UserOps) Reactivate(r *http.Request, by *directory.User) error {
	_, err := o.h.reactivate(&discard{}, r, caller(by), &reasonRequest{})
	return err
}

// Unlock lifts the lockout of the user {id}, with a new password when
// one is given (emailed when notify).
func (o *UserOps) Unlock(r *http.Request, by *directory.User, password string, notify bool) error {
	_, err := o.h.unlock(&discard{}, r, caller(by), &unlockRequest{Password: password, Notify: notify})
	return err
}

// ResetPassword emails the user {id} a password link.
func (o *UserOps) ResetPassword(r *http.Request, by *directory.User) (EmailResult, error) {
	return o.h.resetPassword(&discard{}, r, caller(by), &noBody{})
}

// Delete soft-deletes the user {id} and ends its sessions.
func (o *UserOps) Delete(r *http.Request, by *directory.User) error {
	_, err := o.h.deleteUser(&discard{}, r, caller(by), &noBody{})
	return err
}

// DeleteMany soft-deletes users by id, each on its own.
func (o *UserOps) DeleteMany(r *http.Request, by *directory.User, ids []string) (BulkResult, error) {
	return o.h.deleteUsers(&discard{}, r, caller(by), &bulkDeleteRequest{IDs: ids})
}

// Restore brings back the deleted user {id}.
func (o *UserOps) Restore(r *http.Request, by *directory.User) error {
	_, err := o.h.restoreUser(&discard{}, r, caller(by), &noBody{})
	return err
}

// RequireMFA requires TOTP of the user {id}, or stops requiring it.
func (o *UserOps) RequireMFA(r *http.Request, by *directory.User, required bool) error {
	_, err := o.h.requireMFA(&discard{}, r, caller(by), &mfaRequireRequest{Required: &required})
	return err
}

// ResetMFA removes the TOTP seed, recovery codes and passkeys of the user
// {id}.
func (o *UserOps) ResetMFA(r *http.Request, by *directory.User) error {
	_, err := o.h.resetMFA(&discard{}, r, caller(by), &noBody{})
	return err
}

// UserListQuery reads the user list's query parameters as GET /users
// does: q, status, role, source, sort, order, limit and cursor.
func UserListQuery(r *http.Request) (directory.UserQuery, error) { return listQuery(r) }
