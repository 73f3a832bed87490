package entra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/roster/roster/internal/outbound"
	"github.com/roster/roster/sync/engine"
)

// Connector reads one Entra tenant.
type Connector struct {
	s      Settings
	secret string
	base   *http.Client
	sleep  func(ctx context.Context, d time.Duration) error
}

// Option adjusts a Connector.
type Option func(*Connector)

// WithHTTPClient sets the client used for the token endpoint and Graph:
// Roster's outbound client (timeouts, proxy, User-Agent), or a test's.
// Without it the connector uses an outbound client with the default
// settings.
func WithHTTPClient(c *http.Client) Option { return func(k *Connector) { k.base = c } }

// WithSleep replaces the wait between retries (tests).
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(k *Connector) { k.sleep = f }
}

// New returns a connector for settings s and the application's client
// secret.
func New(s Settings, clientSecret string, opts ...Option) (*Connector, error) {
	s, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	if clientSecret == "" {
		return nil, errors.New("entra: client secret is required")
	}
	c := &Connector{s: s, secret: clientSecret, sleep: sleepCtx}
	for _, o := range opts {
		o(c)
	}
	if c.base == nil {
		c.base = outbound.New(outbound.Options{})
	}
	return c, nil
}

// cursor is what the connector stores between runs: the deltaLink of each
// round.
type cursor struct {
	Users  string `json:"users,omitempty"`
	Groups string `json:"groups,omitempty"`
}

// graphClient returns a Graph client holding a fresh client-credentials
// token source.
func (c *Connector) graphClient(ctx context.Context) (*graph, error) {
	cc := clientcredentials.Config{
		ClientID:     c.s.ClientID,
		ClientSecret: c.secret,
		TokenURL:     c.s.AuthorityURL + "/" + url.PathEscape(c.s.TenantID) + "/oauth2/v2.0/token",
		Scopes:       []string{c.s.scope()},
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.base)
	u, err := url.Parse(c.s.GraphURL)
	if err != nil {
		return nil, err
	}
	return &graph{
		client:     oauth2.NewClient(ctx, cc.TokenSource(ctx)),
		host:       u.Host,
		maxRetries: c.s.MaxRetries,
		sleep:      c.sleep,
	}, nil
}

// Check acquires a token and reads one page of users.
func (c *Connector) Check(ctx context.Context) error {
	g, err := c.graphClient(ctx)
	if err != nil {
		return err
	}
	_, err = getPage[json.RawMessage](ctx, g, c.s.GraphURL+"/v1.0/users?$top=1&$select=id")
	return err
}

// Fetch runs a users delta round, then a groups delta round. An expired
// delta token in either restarts both from a full read, so that the result
// is one consistent full picture.
func (c *Connector) Fetch(ctx context.Context, req engine.FetchRequest, emit func(engine.Entry) error) (engine.FetchResult, error) {
	var cur cursor
	if !req.Full && req.Cursor != "" {
		if err := json.Unmarshal([]byte(req.Cursor), &cur); err != nil {
			return engine.FetchResult{}, fmt.Errorf("entra: unreadable cursor: %w", err)
		}
	}
	g, err := c.graphClient(ctx)
	if err != nil {
		return engine.FetchResult{}, err
	}
	full := cur.Users == ""
	for {
		next, err := c.fetchAll(ctx, g, cur, full, emit)
		if errors.Is(err, errResync) && !full {
			cur, full = cursor{}, true
			continue
		}
		if err != nil {
			return engine.FetchResult{}, err
		}
		b, err := json.Marshal(next)
		if err != nil {
			return engine.FetchResult{}, err
		}
		// Nested groups are read whole every run: the groups the run
		// did not name are gone.
		swept := !full && c.s.NestedGroups && c.s.Groups != GroupsNone
		return engine.FetchResult{Cursor: string(b), Full: full, GroupsSwept: swept}, nil
	}
}

func (c *Connector) fetchAll(ctx context.Context, g *graph, cur cursor, full bool, emit func(engine.Entry) error) (cursor, error) {
	var next cursor
	start := cur.Users
	if full {
		start = c.usersURL()
	}
	link, err := c.usersRound(ctx, g, start, emit)
	if err != nil {
		return next, err
	}
	next.Users = link
	if c.s.Groups == GroupsNone {
		return next, nil
	}
	start = cur.Groups
	if full || start == "" || c.s.NestedGroups {
		start = c.groupsURL()
	}
	link, err = c.groupsRound(ctx, g, start, full || cur.Groups == "" || c.s.NestedGroups, emit)
	if err != nil {
		return next, err
	}
	next.Groups = link
	return next, nil
}

// usersURL starts a users round selecting the mapped properties.
func (c *Connector) usersURL() string {
	sel := map[string]bool{"id": true, "accountEnabled": true}
	for _, a := range c.s.Mapping.Attributes() {
		top, _, _ := strings.Cut(a, ".")
		sel[top] = true
	}
	return c.s.GraphURL + "/v1.0/users/delta?$select=" + url.QueryEscape(joinKeys(sel))
}

// groupsURL starts a groups round selecting names and members.
func (c *Connector) groupsURL() string {
	u := c.s.GraphURL + "/v1.0/groups/delta?$select=" + url.QueryEscape("displayName,members")
	if c.s.Groups == GroupsListed {
		var parts []string
		for _, id := range c.s.GroupIDs {
			parts = append(parts, "id eq '"+id+"'")
		}
		u += "&$filter=" + url.QueryEscape(strings.Join(parts, " or "))
	}
	return u
}

func joinKeys(m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

// removal is Graph's @removed annotation.
type removal struct {
	Reason string `json:"reason"`
}

// usersRound follows a users delta round from link to its deltaLink,
// emitting users as each page arrives.
func (c *Connector) usersRound(ctx context.Context, g *graph, link string, emit func(engine.Entry) error) (string, error) {
	for {
		p, err := getDeltaPage[map[string]any](ctx, g, link)
		if err != nil {
			return "", err
		}
		for _, obj := range p.Value {
			e, err := c.userEntry(obj)
			if err != nil {
				return "", err
			}
			if err := emit(e); err != nil {
				return "", err
			}
		}
		if p.DeltaLink != "" {
			return p.DeltaLink, nil
		}
		link = p.NextLink
	}
}

func (c *Connector) userEntry(obj map[string]any) (engine.Entry, error) {
	id, _ := obj["id"].(string)
	if id == "" {
		return engine.Entry{}, errors.New("entra: a user in the delta response has no id")
	}
	if r, ok := removedReason(obj); ok {
		return engine.Entry{Kind: engine.EntryUserRemoved, Ref: id, Reason: r}, nil
	}
	// accountEnabled is always set on users; a missing value is read as
	// enabled rather than suspending everyone on a malformed response.
	active := true
	if v, ok := obj["accountEnabled"].(bool); ok {
		active = v
	}
	attrs := c.s.Mapping.Apply(func(attr string) string { return lookup(obj, attr) })
	return engine.Entry{Kind: engine.EntryUser, Ref: id, User: &engine.UserRecord{Attrs: attrs, Active: active}}, nil
}

// removedReason reads @removed; an unknown reason is treated as deleted.
func removedReason(obj map[string]any) (engine.RemoveReason, bool) {
	m, ok := obj["@removed"].(map[string]any)
	if !ok {
		return "", false
	}
	if r, _ := m["reason"].(string); r == string(engine.RemovedChanged) {
		return engine.RemovedChanged, true
	}
	return engine.RemovedDeleted, true
}

// lookup reads a dotted property path as a string: the first element of
// an array, numbers and booleans in their JSON form.
func lookup(obj map[string]any, path string) string {
	var v any = obj
	for rest, more := path, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ".")
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[part]
	}
	if arr, ok := v.([]any); ok {
		if len(arr) == 0 {
			return ""
		}
		v = arr[0]
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return ""
}

// groupAcc gathers one group across the pages of a round: Graph may split
// a large group's members@delta over several pages, in any order.
type groupAcc struct {
	name    string
	seen    bool // a non-removed object arrived
	removed engine.RemoveReason
	// members maps a member id to true (added) or false (removed); the
	// last word wins, since Graph may replay changes.
	members map[string]bool
}

type groupObject struct {
	ID          string         `json:"id"`
	DisplayName *string        `json:"displayName"`
	Removed     *removal       `json:"@removed"`
	Members     []memberObject `json:"members@delta"`
}

type memberObject struct {
	Type    string   `json:"@odata.type"`
	ID      string   `json:"id"`
	Removed *removal `json:"@removed"`
}

// groupsRound reads a whole groups round, merging each group's members by
// id across pages, and emits the groups once the round is complete.
// Roster groups hold users only: without NestedGroups, only user members
// are kept; with it (and a whole round), each group is emitted with its
// effective members, the users of the groups in it included
// (engine.ResolveNested).
func (c *Connector) groupsRound(ctx context.Context, g *graph, link string, full bool, emit func(engine.Entry) error) (string, error) {
	acc := map[string]*groupAcc{}
	var order []string
	var delta string
	for delta == "" {
		p, err := getDeltaPage[groupObject](ctx, g, link)
		if err != nil {
			return "", err
		}
		for _, o := range p.Value {
			if o.ID == "" {
				return "", errors.New("entra: a group in the delta response has no id")
			}
			a := acc[o.ID]
			if a == nil {
				a = &groupAcc{members: map[string]bool{}}
				acc[o.ID] = a
				order = append(order, o.ID)
			}
			if o.Removed != nil {
				a.removed = engine.RemovedDeleted
				if o.Removed.Reason == string(engine.RemovedChanged) {
					a.removed = engine.RemovedChanged
				}
				continue
			}
			a.seen, a.removed = true, ""
			if o.DisplayName != nil {
				a.name = *o.DisplayName
			}
			for _, m := range o.Members {
				// Groups in the group count only when nested groups are
				// resolved, over a whole round.
				keep := m.Type == "" || m.Type == "#microsoft.graph.user" ||
					(m.Type == "#microsoft.graph.group" && c.s.NestedGroups && full)
				if m.ID == "" || !keep {
					continue
				}
				a.members[m.ID] = m.Removed == nil
			}
		}
		delta, link = p.DeltaLink, p.NextLink
	}
	var effective map[string][]string
	switch {
	case c.s.NestedGroups && full && c.s.Groups == GroupsListed:
		// The groups nested in listed ones are not read: Graph resolves
		// each listed group's users through any chain.
		effective = make(map[string][]string, len(order))
		for _, id := range order {
			if acc[id].removed != "" {
				continue
			}
			users, err := c.transitiveUsers(ctx, g, id)
			if err != nil {
				return "", err
			}
			effective[id] = users
		}
	case c.s.NestedGroups && full:
		direct := make(map[string][]string, len(acc))
		for id, a := range acc {
			if a.removed != "" {
				continue
			}
			members := make([]string, 0, len(a.members))
			for m, added := range a.members {
				if added {
					members = append(members, m)
				}
			}
			direct[id] = members
		}
		effective = engine.ResolveNested(direct)
	}
	for _, id := range order {
		a := acc[id]
		if a.removed != "" {
			if err := emit(engine.Entry{Kind: engine.EntryGroupRemoved, Ref: id, Reason: a.removed}); err != nil {
				return "", err
			}
			continue
		}
		rec := &engine.GroupRecord{DisplayName: a.name, Complete: full}
		if effective != nil {
			rec.Members = effective[id]
			if err := emit(engine.Entry{Kind: engine.EntryGroup, Ref: id, Group: rec}); err != nil {
				return "", err
			}
			continue
		}
		for m, added := range a.members {
			if added {
				rec.Members = append(rec.Members, m)
			} else if !full {
				rec.Removed = append(rec.Removed, m)
			}
		}
		sort.Strings(rec.Members)
		sort.Strings(rec.Removed)
		if err := emit(engine.Entry{Kind: engine.EntryGroup, Ref: id, Group: rec}); err != nil {
			return "", err
		}
	}
	return delta, nil
}

// transitiveUsers lists the ids of the users in a group directly or
// through the groups in it (Graph's transitiveMembers, users only),
// sorted.
func (c *Connector) transitiveUsers(ctx context.Context, g *graph, id string) ([]string, error) {
	link := c.s.GraphURL + "/v1.0/groups/" + url.PathEscape(id) + "/transitiveMembers/microsoft.graph.user?$select=id&$top=999"
	out := []string{}
	for link != "" {
		p, err := getPage[struct {
			ID string `json:"id"`
		}](ctx, g, link)
		if err != nil {
			return nil, fmt.Errorf("entra: reading the members of group %s through nested groups: %w", id, err)
		}
		for _, o := range p.Value {
			if o.ID != "" {
				out = append(out, o.ID)
			}
		}
		link = p.NextLink
	}
	sort.Strings(out)
	return out, nil
}
