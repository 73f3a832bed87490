package console

import (
	"net/http"
	"strconv"

	"github.com/roster/roster/internal/admin"
	"github.com/roster/roster/internal/directory"
)

// A row action of the users list and the edit page: one small form each,
// which works without JavaScript and through htmx alike.
type userAct int

const (
	actSuspend userAct = iota
	actReactivate
	actUnlock
	actResetPassword
	actDelete
	actRestore
	actRequireMFA
	actResetMFA
)

// userAction runs an action on the user {id} through the API's use case
// and goes back to the page the form came from (back), with what it did.
func (c *Console) userAction(act userAct) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, rq *request) error {
		id := r.PathValue("id")
		u, err := c.dir.GetUser(r.Context(), rq.user.OrgID, id)
		if err != nil {
			return err
		}
		back := localPath(r.PostFormValue("back"))
		if back == homePath {
			back = usersPath + "/" + id
		}
		name := fullName(u)
		ops := c.cfg.Users
		var msg string
		switch act {
		case actSuspend:
			err, msg = ops.Suspend(r, rq.user), name+" is banned; their sessions have ended."
		case actReactivate:
			err, msg = ops.Reactivate(r, rq.user), name+" is validated."
		case actUnlock:
			notify := r.PostFormValue("notify") == "on"
			err, msg = ops.Unlock(r, rq.user, r.PostFormValue("password"), notify), name+" is unlocked."
			if err == nil && r.PostFormValue("password") != "" {
				msg = name + " is unlocked with a new password."
			}
		case actResetPassword:
			var sent admin.EmailResult
			sent, err = ops.ResetPassword(r, rq.user)
			msg = "A password link was emailed to " + name + "."
			if err == nil && !sent.Sent {
				c.setFlash(w, "error", "The password link could not be emailed: "+sent.Error)
				return c.redirect(w, r, back, "")
			}
		case actDelete:
			err, msg = ops.Delete(r, rq.user), name+" is deleted; restore them from the deleted users."
			if back == usersPath+"/"+id {
				back = usersPath
			}
		case actRestore:
			err, msg = ops.Restore(r, rq.user), name+" is restored."
		case actRequireMFA:
			required := r.PostFormValue("required") == "on"
			err, msg = ops.RequireMFA(r, rq.user, required), "Two-factor authentication is no longer required of "+name+"."
			if required {
				msg = "Two-factor authentication is required of " + name + "."
			}
		case actResetMFA:
			err, msg = ops.ResetMFA(r, rq.user), name+"'s second factors (authenticator, text message codes, passkeys) and recovery codes are reset; they enrol again."
		}
		if err != nil {
			// A rule the admin can act on goes back to the page with the
			// message; anything else (another org's id, a refusal) is the
			// error page with its status.
			if code := directory.ErrorCode(err); code == directory.CodeInvalid || code == directory.CodeConflict {
				c.setFlash(w, "error", directory.ErrorMessage(err))
				return c.redirect(w, r, back, "")
			}
			return err
		}
		return c.redirect(w, r, back, msg)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
