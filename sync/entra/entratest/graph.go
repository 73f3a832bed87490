// Package entratest is a fake Microsoft Graph for tests: a token endpoint
// for client credentials and /users/delta and /groups/delta that follow the
// documented wire format — opaque skip and delta tokens in nextLink and
// deltaLink, $select, @removed objects with their reason, members@delta
// split across pages, throttling with Retry-After, and expired delta tokens
// (410 Gone or syncStateNotFound).
package entratest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// User is a directory user of the fake tenant. Empty properties are "never
// set" and left out of responses, as Graph does.
type User struct {
	ID                string
	UserPrincipalName string
	Mail              string
	GivenName         string
	Surname           string
	DisplayName       string
	JobTitle          string
	Department        string
	MobilePhone       string
	EmployeeID        string
	AccountEnabled    bool
	// Extra holds any other property (e.g. onPremisesExtensionAttributes).
	Extra map[string]any
}

func (u *User) props() map[string]any {
	m := map[string]any{
		"id": u.ID, "userPrincipalName": u.UserPrincipalName, "mail": u.Mail, "givenName": u.GivenName,
		"surname": u.Surname, "displayName": u.DisplayName, "jobTitle": u.JobTitle, "department": u.Department,
		"mobilePhone": u.MobilePhone, "employeeId": u.EmployeeID, "accountEnabled": u.AccountEnabled,
	}
	for k, v := range u.Extra {
		m[k] = v
	}
	for k, v := range m {
		if v == "" || v == nil {
			delete(m, k)
		}
	}
	return m
}

type userState struct {
	u       User
	changed int64  // sequence number of the last change
	removed string // "", "changed" (soft-deleted) or "deleted"
}

type memberEvent struct {
	seq   int64
	id    string
	added bool
}

type groupState struct {
	id, name string
	members  map[string]bool
	log      []memberEvent
	changed  int64
	removed  string
}

// ExpiryMode says how the fake reports an expired delta token.
type ExpiryMode int

// Expiry modes.
const (
	ExpireGone              ExpiryMode = iota // 410 Gone with a Location header
	ExpireSyncStateNotFound                   // 400 with error code syncStateNotFound
)

// Server is a fake tenant behind a fake Graph.
type Server struct {
	*httptest.Server
	TenantID, ClientID, ClientSecret string
	// Scope is the only scope the token endpoint grants: a Microsoft
	// cloud's Graph resource (the global cloud's unless a test says
	// otherwise), whatever URL the fake answers on, as Entra does.
	Scope string
	// PageSize is the number of objects per page; MemberPageSize the
	// number of members@delta entries per group object.
	PageSize, MemberPageSize int

	mu           sync.Mutex
	seq          int64
	users        map[string]*userState
	userOrder    []string
	groups       map[string]*groupState
	groupOrder   []string
	throttle     []throttleRule
	expireBefore int64
	expiryMode   ExpiryMode
	tokens       int
	requests     []string
}

type throttleRule struct {
	status     int
	retryAfter string
}

// New starts a fake Graph; Close it when done.
func New() *Server {
	s := &Server{
		TenantID: "00000000-0000-4000-8000-00000000aaaa", ClientID: "roster-test", ClientSecret: "s3cret",
		Scope: "https://graph.microsoft.com/.default", PageSize: 100, MemberPageSize: 50,
		users: map[string]*userState{}, groups: map[string]*groupState{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.token)
	mux.HandleFunc("GET /v1.0/users/delta", s.auth(s.usersDelta))
	mux.HandleFunc("GET /v1.0/groups/delta", s.auth(s.groupsDelta))
	mux.HandleFunc("GET /v1.0/groups/{id}/transitiveMembers/microsoft.graph.user", s.auth(s.transitiveUsers))
	mux.HandleFunc("GET /v1.0/users", s.auth(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{}, "@odata.deltaLink": s.URL + "/v1.0/users"})
	}))
	s.Server = httptest.NewServer(mux)
	return s
}

// ID returns a deterministic object id for n.
func ID(n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n) }

func (s *Server) tick() int64 { s.seq++; return s.seq }

// PutUser creates or replaces a user (and restores it if it was removed).
func (s *Server) PutUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.users[u.ID]
	if !ok {
		st = &userState{}
		s.users[u.ID] = st
		s.userOrder = append(s.userOrder, u.ID)
	}
	st.u, st.removed, st.changed = u, "", s.tick()
}

// UpdateUser changes a user in place.
func (s *Server) UpdateUser(id string, f func(*User)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.users[id]
	f(&st.u)
	st.changed = s.tick()
}

// DeleteUser removes a user: soft (restorable, reported as "changed") or
// hard ("deleted"). It leaves its groups, as in Entra.
func (s *Server) DeleteUser(id string, hard bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.users[id]
	st.removed, st.changed = "changed", s.tick()
	if hard {
		st.removed = "deleted"
	}
	for _, g := range s.groups {
		if g.members[id] {
			delete(g.members, id)
			g.log = append(g.log, memberEvent{seq: s.tick(), id: id})
		}
	}
}

// PutGroup creates a group or renames it.
func (s *Server) PutGroup(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[id]
	if !ok {
		g = &groupState{id: id, members: map[string]bool{}}
		s.groups[id] = g
		s.groupOrder = append(s.groupOrder, id)
	}
	g.name, g.removed, g.changed = name, "", s.tick()
}

// AddMembers adds users (or, with a group's id, a nested group) to a group.
func (s *Server) AddMembers(groupID string, ids ...string) {
	s.setMembers(groupID, true, ids)
}

// RemoveMembers removes members from a group.
func (s *Server) RemoveMembers(groupID string, ids ...string) {
	s.setMembers(groupID, false, ids)
}

func (s *Server) setMembers(groupID string, add bool, ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[groupID]
	for _, id := range ids {
		if g.members[id] == add {
			continue
		}
		if add {
			g.members[id] = true
		} else {
			delete(g.members, id)
		}
		g.log = append(g.log, memberEvent{seq: s.tick(), id: id, added: add})
	}
}

// DeleteGroup removes a group, soft or hard.
func (s *Server) DeleteGroup(id string, hard bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[id]
	g.removed, g.changed = "changed", s.tick()
	if hard {
		g.removed = "deleted"
	}
}

// Throttle makes the next n Graph requests fail with status (429 or 503)
// and the given Retry-After header ("" for none).
func (s *Server) Throttle(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.throttle = append(s.throttle, throttleRule{status: status, retryAfter: retryAfter})
	}
}

// ExpireDeltaTokens invalidates every delta token issued so far.
func (s *Server) ExpireDeltaTokens(mode ExpiryMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireBefore, s.expiryMode = s.tick(), mode
}

// Requests returns the Graph requests served so far ("/path?query").
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// TokensIssued counts access tokens handed out.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	switch {
	case r.PathValue("tenant") != s.TenantID:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found."})
	case r.PostForm.Get("grant_type") != "client_credentials":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
	case id != s.ClientID || secret != s.ClientSecret:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
	case r.PostForm.Get("scope") != s.Scope:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_scope"})
	default:
		s.mu.Lock()
		s.tokens++
		n := s.tokens
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": fmt.Sprintf("fake-token-%d", n)})
	}
}

// auth checks the bearer token, logs the request and applies throttling.
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer fake-token-") {
			writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, r.URL.RequestURI())
		var rule *throttleRule
		if len(s.throttle) > 0 {
			rule = &s.throttle[0]
			s.throttle = s.throttle[1:]
		}
		s.mu.Unlock()
		if rule != nil {
			if rule.retryAfter != "" {
				w.Header().Set("Retry-After", rule.retryAfter)
			}
			code := "TooManyRequests"
			if rule.status == http.StatusServiceUnavailable {
				code = "serviceNotAvailable"
			}
			writeError(w, rule.status, code, "Please retry later.")
			return
		}
		h(w, r)
	}
}

// state is what skip and delta tokens encode. The fake's tokens are
// base64 JSON; clients must treat them as opaque.
type state struct {
	Select string `json:"sel,omitempty"`
	Filter string `json:"flt,omitempty"`
	Since  int64  `json:"since"`  // changes after this sequence number; 0 = initial round
	Snap   int64  `json:"snap"`   // the round covers changes up to here
	Offset int    `json:"off"`    // position in the object order
	Member int    `json:"member"` // position in the current group's members
}

func encodeState(st state) string {
	b, _ := json.Marshal(st)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeState(tok string) (state, error) {
	var st state
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	return st, err
}

// roundState reads the request's position: a skip token continues a
// round; a delta token starts a round of changes; neither starts an
// initial round. It writes the error response itself when it fails.
func (s *Server) roundState(w http.ResponseWriter, r *http.Request, path string) (state, bool) {
	q := r.URL.Query()
	if tok := q.Get("$skiptoken"); tok != "" {
		st, err := decodeState(tok)
		if err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", "Invalid skip token.")
			return st, false
		}
		return st, true
	}
	if tok := q.Get("$deltatoken"); tok != "" {
		st, err := decodeState(tok)
		if err != nil {
			writeError(w, http.StatusBadRequest, "BadRequest", "Invalid delta token.")
			return st, false
		}
		if st.Snap < s.expireBefore {
			if s.expiryMode == ExpireGone {
				w.Header().Set("Location", s.URL+path+"?$deltatoken=")
				writeError(w, http.StatusGone, "syncStateNotFound", "The delta token is no longer valid.")
			} else {
				writeError(w, http.StatusBadRequest, "syncStateNotFound", "The sync state generation is not found.")
			}
			return st, false
		}
		return state{Select: st.Select, Filter: st.Filter, Since: st.Snap, Snap: s.seq}, true
	}
	return state{Select: q.Get("$select"), Filter: q.Get("$filter"), Snap: s.seq}, true
}

func (s *Server) usersDelta(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.roundState(w, r, "/v1.0/users/delta")
	if !ok {
		return
	}
	sel := selectSet(st.Select)
	var value []any
	for st.Offset < len(s.userOrder) && len(value) < s.PageSize {
		u := s.users[s.userOrder[st.Offset]]
		st.Offset++
		if st.Since == 0 {
			if u.removed == "" {
				value = append(value, project(u.u.props(), sel))
			}
			continue
		}
		if u.changed <= st.Since || u.changed > st.Snap {
			continue
		}
		if u.removed != "" {
			value = append(value, map[string]any{"id": u.u.ID, "@removed": map[string]string{"reason": u.removed}})
		} else {
			value = append(value, project(u.u.props(), sel))
		}
	}
	s.writePage(w, "/v1.0/users/delta", st, st.Offset >= len(s.userOrder), value)
}

func (s *Server) groupsDelta(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.roundState(w, r, "/v1.0/groups/delta")
	if !ok {
		return
	}
	sel := selectSet(st.Select)
	wanted := filterIDs(st.Filter)
	var value []any
	for st.Offset < len(s.groupOrder) && len(value) < s.PageSize {
		g := s.groups[s.groupOrder[st.Offset]]
		if (wanted != nil && !wanted[g.id]) || !s.groupInRound(g, st) {
			st.Offset, st.Member = st.Offset+1, 0
			continue
		}
		if g.removed != "" {
			value = append(value, map[string]any{"id": g.id, "@removed": map[string]string{"reason": g.removed}})
			st.Offset, st.Member = st.Offset+1, 0
			continue
		}
		obj := map[string]any{"id": g.id}
		if sel == nil || sel["displayName"] {
			obj["displayName"] = g.name
		}
		var members []any
		if sel == nil || sel["members"] {
			members = s.memberDelta(g, st)
		}
		end := min(st.Member+s.MemberPageSize, len(members))
		if len(members) > 0 {
			obj["members@delta"] = members[st.Member:end]
		}
		value = append(value, obj)
		if end < len(members) {
			// This group fills the page; its next members come on the
			// next page, in another object with the same id.
			st.Member = end
			break
		}
		st.Offset, st.Member = st.Offset+1, 0
	}
	s.writePage(w, "/v1.0/groups/delta", st, st.Offset >= len(s.groupOrder), value)
}

// groupInRound reports whether a group belongs in the round: every live
// group in an initial round, changed groups in a round of changes.
func (s *Server) groupInRound(g *groupState, st state) bool {
	if st.Since == 0 {
		return g.removed == ""
	}
	if g.changed > st.Since && g.changed <= st.Snap {
		return true
	}
	for _, e := range g.log {
		if e.seq > st.Since && e.seq <= st.Snap {
			return true
		}
	}
	return false
}

// memberDelta lists members@delta: every member in an initial round; the
// last change of each member in a round of changes.
func (s *Server) memberDelta(g *groupState, st state) []any {
	var ids []string
	added := map[string]bool{}
	if st.Since == 0 {
		for id := range g.members {
			ids = append(ids, id)
			added[id] = true
		}
	} else {
		for _, e := range g.log {
			if e.seq > st.Since && e.seq <= st.Snap {
				if _, seen := added[e.id]; !seen {
					ids = append(ids, e.id)
				}
				added[e.id] = e.added
			}
		}
	}
	slices.Sort(ids)
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		typ := "#microsoft.graph.user"
		if _, isGroup := s.groups[id]; isGroup {
			typ = "#microsoft.graph.group"
		}
		m := map[string]any{"@odata.type": typ, "id": id}
		if !added[id] {
			m["@removed"] = map[string]string{"reason": "deleted"}
		}
		out = append(out, m)
	}
	return out
}

func (s *Server) writePage(w http.ResponseWriter, path string, st state, done bool, value []any) {
	if value == nil {
		value = []any{}
	}
	resp := map[string]any{"@odata.context": s.URL + "/v1.0/$metadata#" + strings.TrimPrefix(strings.TrimSuffix(path, "/delta"), "/v1.0/"), "value": value}
	if done {
		resp["@odata.deltaLink"] = s.URL + path + "?$deltatoken=" + encodeState(state{Select: st.Select, Filter: st.Filter, Snap: st.Snap})
	} else {
		resp["@odata.nextLink"] = s.URL + path + "?$skiptoken=" + encodeState(st)
	}
	writeJSON(w, http.StatusOK, resp)
}

func selectSet(sel string) map[string]bool {
	if sel == "" {
		return nil
	}
	m := map[string]bool{"id": true}
	for _, p := range strings.Split(sel, ",") {
		m[strings.TrimSpace(p)] = true
	}
	return m
}

// filterIDs reads the one $filter delta supports: id eq '…' or id eq '…'.
func filterIDs(f string) map[string]bool {
	if f == "" {
		return nil
	}
	m := map[string]bool{}
	for _, part := range strings.Split(f, " or ") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "id eq '"); ok {
			m[strings.TrimSuffix(v, "'")] = true
		}
	}
	return m
}

func project(props map[string]any, sel map[string]bool) map[string]any {
	if sel == nil {
		return props
	}
	for k := range props {
		if !sel[k] {
			delete(props, k)
		}
	}
	return props
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

// transitiveUsers answers GET /groups/{id}/transitiveMembers/microsoft.graph.user:
// the users in a group directly or through the groups in it, however
// deep (cycles end), as {"id": …} objects (the $select Roster sends),
// PageSize a page, in id order. A group that does not exist (or was
// removed) is 404 Request_ResourceNotFound.
func (s *Server) transitiveUsers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[r.PathValue("id")]
	if g == nil || g.removed != "" {
		writeError(w, http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+r.PathValue("id")+"' does not exist.")
		return
	}
	users := map[string]bool{}
	seen := map[string]bool{g.id: true}
	todo := []*groupState{g}
	for len(todo) > 0 {
		cur := todo[0]
		todo = todo[1:]
		for id := range cur.members {
			if inner, isGroup := s.groups[id]; isGroup {
				if !seen[id] && inner.removed == "" {
					seen[id] = true
					todo = append(todo, inner)
				}
				continue
			}
			if u := s.users[id]; u != nil && u.removed == "" {
				users[id] = true
			}
		}
	}
	ids := make([]string, 0, len(users))
	for id := range users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	off, _ := strconv.Atoi(r.URL.Query().Get("$skiptoken"))
	off = min(max(off, 0), len(ids))
	end := min(off+s.PageSize, len(ids))
	value := make([]any, 0, end-off)
	for _, id := range ids[off:end] {
		value = append(value, map[string]any{"@odata.type": "#microsoft.graph.user", "id": id})
	}
	resp := map[string]any{"@odata.context": s.URL + "/v1.0/$metadata#users(id)", "value": value}
	if end < len(ids) {
		resp["@odata.nextLink"] = s.URL + r.URL.Path + "?$select=id&$skiptoken=" + strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, resp)
}
