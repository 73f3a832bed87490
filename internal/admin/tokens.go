package admin

import (
	"net/http"
)

type nameRequest struct {
	Name string `json:"name"`
}

func (h *handler) listSCIMTokens(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (scimTokenList, error) {
	tokens, err := h.dir.ListTokens(r.Context(), p.orgID())
	if err != nil {
		return scimTokenList{}, err
	}
	out := make([]scimTokenView, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, viewSCIMToken(t))
	}
	return scimTokenList{Tokens: out}, nil
}

// createSCIMToken makes a SCIM token; its secret is in this response only.
func (h *handler) createSCIMToken(w http.ResponseWriter, r *http.Request, p *principal, in *nameRequest) (scimTokenView, error) {
	plaintext, t, err := h.dir.CreateToken(r.Context(), p.actor(true), p.orgID(), in.Name)
	if err != nil {
		return scimTokenView{}, err
	}
	v := viewSCIMToken(t)
	v.Token = plaintext
	w.Header().Set("Location", Prefix+"/org/scim-tokens/"+t.ID)
	return v, nil
}

func (h *handler) revokeSCIMToken(w http.ResponseWriter, r *http.Request, p *principal, _ *noBody) (noBody, error) {
	if err := h.dir.RevokeToken(r.Context(), p.actor(true), p.orgID(), r.PathValue("id")); err != nil {
		return noBody{}, err
	}
	return noBody{}, nil
}
