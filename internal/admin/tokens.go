package admin

import (
	"net/http"

	"github.com/roster/roster/internal/apijson"
)

type nameRequest struct {
	Name string `json:"name"`
}

func (h *handler) listSCIMTokens(w http.ResponseWriter, r *http.Request, p *principal) error {
	tokens, err := h.dir.ListTokens(r.Context(), p.orgID())
	if err != nil {
		return err
	}
	out := make([]scimTokenView, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, viewSCIMToken(t))
	}
	apijson.Write(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

// createSCIMToken makes a SCIM token; its secret is in this response only.
func (h *handler) createSCIMToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	var in nameRequest
	if err := h.decode(w, r, &in); err != nil {
		return err
	}
	plaintext, t, err := h.dir.CreateToken(r.Context(), p.actor(true), p.orgID(), in.Name)
	if err != nil {
		return err
	}
	v := viewSCIMToken(t)
	v.Token = plaintext
	w.Header().Set("Location", Prefix+"/org/scim-tokens/"+t.ID)
	apijson.Write(w, http.StatusCreated, v)
	return nil
}

func (h *handler) revokeSCIMToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	if err := h.dir.RevokeToken(r.Context(), p.actor(true), p.orgID(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
