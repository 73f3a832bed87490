package admin

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/roster/roster/internal/directory"
)

// passkeyOptionsView carries the options a browser hands to
// navigator.credentials.create or .get (binary values base64url-encoded,
// as WebAuthn's JSON form has them).
type passkeyOptionsView struct {
	Options json.RawMessage `json:"options" doc:"PublicKeyCredentialCreationOptions or RequestOptions, under publicKey"`
}

func viewOptions(v any) (passkeyOptionsView, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return passkeyOptionsView{}, directory.Internal(err)
	}
	return passkeyOptionsView{Options: raw}, nil
}

// passkeyRegistration names a new passkey and carries the browser's
// answer to the registration's options (the PublicKeyCredential as JSON).
type passkeyRegistration struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// passkeyAssertion carries the browser's answer to a sign-in's options;
// Org is the organization's slug for a passwordless sign-in.
type passkeyAssertion struct {
	Org        string          `json:"org,omitempty"`
	Credential json.RawMessage `json:"credential"`
}

// passwordlessRequest names the organization of a passwordless sign-in
// (its slug; empty on a single-organization install).
type passwordlessRequest struct {
	Org string `json:"org,omitempty"`
}

// The organization may be left out, and so the body.
func (passwordlessRequest) optionalBody() {}

type passkeyView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Transports []string   `json:"transports"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
}

func viewPasskey(p *directory.Passkey) passkeyView {
	return passkeyView{ID: p.ID, Name: p.Name, Transports: append([]string{}, p.Transports...), CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt}
}

type passkeyList struct {
	Passkeys []passkeyView `json:"passkeys"`
}

// registeredPasskey answers a registration; RecoveryCodes are fresh ones
// when the passkey is the user's first second factor (shown in this
// response only; empty otherwise); Session is set when it completed a
// login held at the enrol stage.
type registeredPasskey struct {
	Passkey       passkeyView  `json:"passkey"`
	RecoveryCodes []string     `json:"recoveryCodes"`
	Session       *sessionView `json:"session,omitempty"`
}

func (h *handler) listPasskeys(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (passkeyList, error) {
	keys, err := h.auth.ListPasskeys(r.Context(), p.user)
	if err != nil {
		return passkeyList{}, err
	}
	out := passkeyList{Passkeys: make([]passkeyView, 0, len(keys))}
	for _, k := range keys {
		out.Passkeys = append(out.Passkeys, viewPasskey(k))
	}
	return out, nil
}

// beginPasskeyRegistration starts registering a passkey, for a signed-in
// user or a login the MFA policy holds at the enrol stage.
func (h *handler) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (passkeyOptionsView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return passkeyOptionsView{}, err
	}
	c, err := h.auth.BeginPasskeyRegistration(r.Context(), p.session, p.user)
	if err != nil {
		return passkeyOptionsView{}, err
	}
	return viewOptions(c)
}

func (h *handler) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request, p *principal, in *passkeyRegistration) (registeredPasskey, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return registeredPasskey{}, err
	}
	wasEnrol := p.session.Stage == directory.StageEnrol
	k, codes, err := h.auth.FinishPasskeyRegistration(r.Context(), p.session, p.user, in.Name, in.Credential)
	if err != nil {
		return registeredPasskey{}, err
	}
	out := registeredPasskey{Passkey: viewPasskey(k), RecoveryCodes: codes}
	if out.RecoveryCodes == nil {
		out.RecoveryCodes = []string{}
	}
	if wasEnrol {
		s := viewSession("", p.session)
		out.Session = &s
		h.setSessionCookie(w, p.token, p.session.ExpiresAt)
	}
	w.Header().Set("Location", Prefix+"/me/passkeys/"+k.ID)
	return out, nil
}

func (h *handler) renamePasskey(w http.ResponseWriter, r *http.Request, p *principal, in *nameRequest) (passkeyView, error) {
	k, err := h.auth.RenamePasskey(r.Context(), p.session, p.user, r.PathValue("id"), in.Name)
	if err != nil {
		return passkeyView{}, err
	}
	return viewPasskey(k), nil
}

func (h *handler) removePasskey(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (noBody, error) {
	return noBody{}, h.auth.RemovePasskey(r.Context(), p.session, p.user, r.PathValue("id"))
}

// beginPasskeyMFA starts the passkey second step of a login waiting at
// the MFA stage.
func (h *handler) beginPasskeyMFA(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (passkeyOptionsView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return passkeyOptionsView{}, err
	}
	a, err := h.auth.BeginPasskeyLogin(r.Context(), p.session, p.user)
	if err != nil {
		return passkeyOptionsView{}, err
	}
	return viewOptions(a)
}

func (h *handler) finishPasskeyMFA(w http.ResponseWriter, r *http.Request, p *principal, in *passkeyAssertion) (sessionView, error) {
	if err := h.limit(w, "mfa:"+p.user.ID); err != nil {
		return sessionView{}, err
	}
	if err := h.auth.FinishPasskeyLogin(r.Context(), p.session, p.user, in.Credential); err != nil {
		return sessionView{}, err
	}
	h.setSessionCookie(w, p.token, p.session.ExpiresAt)
	return viewSession("", p.session), nil
}

// beginPasswordless starts a sign-in with a passkey alone, where the
// organization allows it.
func (h *handler) beginPasswordless(w http.ResponseWriter, r *http.Request, _ *principal, in *passwordlessRequest) (passkeyOptionsView, error) {
	if err := h.limit(w, "passkey:"+clientIP(r)); err != nil {
		return passkeyOptionsView{}, err
	}
	a, err := h.auth.BeginPasswordless(r.Context(), in.Org)
	if err != nil {
		return passkeyOptionsView{}, err
	}
	return viewOptions(a)
}

func (h *handler) finishPasswordless(w http.ResponseWriter, r *http.Request, _ *principal, in *passkeyAssertion) (sessionView, error) {
	if err := h.limit(w, "passkey:"+clientIP(r)); err != nil {
		return sessionView{}, err
	}
	l, err := h.auth.FinishPasswordless(r.Context(), in.Org, in.Credential)
	if err != nil {
		return sessionView{}, err
	}
	h.setSessionCookie(w, l.Token, l.Session.ExpiresAt)
	return viewSession(l.Token, l.Session), nil
}
