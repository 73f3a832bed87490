package admin

import (
	"net/http"
	"strings"

	"github.com/roster/roster/internal/apijson"
	"github.com/roster/roster/internal/directory"
)

// notSelf refuses changes an admin may not make to its own account: it
// would lock itself (or the organization) out.
func notSelf(p *principal, id, what string) error {
	if p.user.ID == id {
		return directory.Errorf(directory.CodeForbidden, "you cannot %s your own account; ask another admin", what)
	}
	return nil
}

type roleRequest struct {
	Role directory.Role `json:"role"`
}

func (h *handler) setRole(w http.ResponseWriter, r *http.Request, p *principal, in *roleRequest) (userView, error) {
	if err := notSelf(p, r.PathValue("id"), "change the role of"); err != nil {
		return userView{}, err
	}
	if !in.Role.Valid() {
		return userView{}, directory.FieldErrorf(directory.CodeInvalid, "role", "role must be org_admin, org_viewer, billing_admin or user")
	}
	u, err := h.dir.UpdateUser(r.Context(), p.actor(true), p.orgID(), r.PathValue("id"), 0, func(u *directory.User) error {
		u.Role = in.Role
		return nil
	})
	if err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (reasonRequest) optionalBody() {}

// reason checks the reason of an optional body.
func reason(in *reasonRequest) (string, error) {
	s := strings.TrimSpace(in.Reason)
	if len(s) > 500 {
		return "", directory.FieldErrorf(directory.CodeInvalid, "reason", "reason is limited to 500 characters")
	}
	return s, nil
}

// suspend bans a user: its sessions and personal tokens end at once.
func (h *handler) suspend(w http.ResponseWriter, r *http.Request, p *principal, in *reasonRequest) (userView, error) {
	reason, err := reason(in)
	if err != nil {
		return userView{}, err
	}
	if err := notSelf(p, r.PathValue("id"), "suspend"); err != nil {
		return userView{}, err
	}
	if reason == "" {
		reason = "suspended by an admin"
	}
	// The service ends its sessions and tokens in the same transaction.
	u, err := h.dir.SetStatus(r.Context(), p.actor(true), p.orgID(), r.PathValue("id"), directory.StatusSuspended, reason)
	if err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}

// reactivate (re-validate) makes a suspended, inactive or pending user
// active. A locked user is unlocked with unlock.
func (h *handler) reactivate(w http.ResponseWriter, r *http.Request, p *principal, in *reasonRequest) (userView, error) {
	reason, err := reason(in)
	if err != nil {
		return userView{}, err
	}
	cur, err := h.user(r, p)
	if err != nil {
		return userView{}, err
	}
	if cur.Status == directory.StatusLocked {
		return userView{}, directory.Errorf(directory.CodeInvalid, "the user is locked; unlock it instead")
	}
	if reason == "" {
		reason = "validated by an admin"
	}
	u, err := h.dir.SetStatus(r.Context(), p.actor(true), p.orgID(), cur.ID, directory.StatusActive, reason)
	if err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}

type unlockRequest struct {
	// Password, if set, replaces the password as the user is unlocked.
	Password string `json:"password"`
	// Notify emails the new password to the user.
	Notify bool `json:"notify"`
}

func (unlockRequest) optionalBody() {}

// unlock lifts a lockout, optionally with a new password, in one change.
func (h *handler) unlock(w http.ResponseWriter, r *http.Request, p *principal, in *unlockRequest) (userView, error) {
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return userView{}, err
	}
	var hash string
	if in.Password != "" {
		if hash, err = h.hashNewPassword(org, in.Password); err != nil {
			return userView{}, err
		}
	} else if in.Notify {
		return userView{}, directory.FieldErrorf(directory.CodeInvalid, "notify", "notify needs a new password to send")
	}
	// Unlock lifts both locks: the status after wrong passwords and the
	// temporary lock of the organization's last active admin.
	u, err := h.dir.Unlock(r.Context(), p.actor(true), p.orgID(), r.PathValue("id"), "unlocked by an admin", hash)
	if err != nil {
		return userView{}, err
	}
	if in.Notify {
		msg, err := h.cfg.Mailer.Compose.Unlocked(org, u, in.Password)
		res := h.send(r.Context(), msg, err)
		w.Header().Set("X-Roster-Email-Sent", boolString(res.Sent))
	}
	return h.userAnswer(w, r, u)
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// resetPassword emails a one-time link: an invitation again for a pending
// user, a reset link for an active one. An inactive user that never set
// a password (the inactivity job marks pending users whose invitation
// lapsed) is invited again: it goes back to pending, with a new
// invitation.
func (h *handler) resetPassword(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (emailResult, error) {
	u, err := h.user(r, p)
	if err != nil {
		return emailResult{}, err
	}
	purpose := directory.LinkPasswordReset
	reinvite := false
	switch {
	case u.AuthMethod != directory.AuthLocal:
		return emailResult{}, directory.Errorf(directory.CodeInvalid, "this user signs in through single sign-on and has no password")
	case u.Status == directory.StatusPending:
		purpose = directory.LinkPasswordSet
	case u.Status == directory.StatusInactive && u.PasswordHash == "":
		purpose, reinvite = directory.LinkPasswordSet, true
	case u.Status != directory.StatusActive:
		return emailResult{}, directory.Errorf(directory.CodeInvalid, "the user is %s; only active and pending users get password links", u.Status)
	}
	org, err := h.dir.GetOrg(r.Context(), p.orgID())
	if err != nil {
		return emailResult{}, err
	}
	if reinvite {
		if u, err = h.dir.SetStatus(r.Context(), p.actor(true), p.orgID(), u.ID, directory.StatusPending, "invited again by an admin"); err != nil {
			return emailResult{}, err
		}
	}
	return *h.sendLink(r.Context(), p.actor(true), org, u, purpose), nil
}

// deleteOne soft-deletes a user and ends its sessions and tokens.
func (h *handler) deleteOne(r *http.Request, p *principal, id string) (*directory.User, error) {
	if err := notSelf(p, id, "delete"); err != nil {
		return nil, err
	}
	// The service ends its sessions and tokens in the same transaction.
	return h.dir.DeleteUser(r.Context(), p.actor(true), p.orgID(), id, 0)
}

func (h *handler) deleteUser(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (userView, error) {
	u, err := h.deleteOne(r, p, r.PathValue("id"))
	if err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}

type bulkDeleteRequest struct {
	IDs []string `json:"ids"`
}

func (h *handler) deleteUsers(w http.ResponseWriter, r *http.Request, p *principal, in *bulkDeleteRequest) (bulkResult, error) {
	if len(in.IDs) == 0 || len(in.IDs) > maxBulkRows {
		return bulkResult{}, directory.FieldErrorf(directory.CodeInvalid, "ids", "send 1 to %d ids", maxBulkRows)
	}
	out := bulkResult{Results: []rowResult{}}
	for i, id := range in.IDs {
		if _, err := h.deleteOne(r, p, id); err != nil {
			if directory.IsServerFault(err) {
				h.logger.ErrorContext(r.Context(), "bulk delete row failed", "row", i, "error", err)
			}
			d := apijson.Detail(err)
			out.add(rowResult{Row: i, ID: id, Status: "failed", Error: &d})
			continue
		}
		out.add(rowResult{Row: i, ID: id, Status: "deleted"})
	}
	return out, nil
}

func (h *handler) restoreUser(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (userView, error) {
	u, err := h.dir.RestoreUser(r.Context(), p.actor(true), p.orgID(), r.PathValue("id"))
	if err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}

// detachUser takes a user back from the connector that owns its
// attributes.
func (h *handler) detachUser(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (userView, error) {
	u, err := h.dir.DetachUser(r.Context(), p.actor(true), p.orgID(), r.PathValue("id"))
	if err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}

type mfaRequireRequest struct {
	Required *bool `json:"required"`
}

func (h *handler) requireMFA(w http.ResponseWriter, r *http.Request, p *principal, in *mfaRequireRequest) (userView, error) {
	if in.Required == nil {
		return userView{}, directory.FieldErrorf(directory.CodeInvalid, "required", "required (true or false) is missing")
	}
	u, err := h.user(r, p)
	if err != nil {
		return userView{}, err
	}
	if _, err := h.dir.SetMFARequired(r.Context(), p.actor(true), p.orgID(), u.ID, *in.Required); err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}

// resetMFA removes a user's TOTP seed and recovery codes; it enrols again.
func (h *handler) resetMFA(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (userView, error) {
	u, err := h.user(r, p)
	if err != nil {
		return userView{}, err
	}
	if err := h.dir.ResetMFA(r.Context(), p.actor(true), p.orgID(), u.ID); err != nil {
		return userView{}, err
	}
	return h.userAnswer(w, r, u)
}
