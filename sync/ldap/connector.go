package ldap

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	ldapv3 "github.com/go-ldap/ldap/v3"

	"github.com/roster/roster/internal/outbound"
	"github.com/roster/roster/sync/engine"
)

// Connector reads one LDAP or Active Directory directory.
type Connector struct {
	c        *config
	password string
	now      func() time.Time
}

// Option configures the connectors of New and Kinds.
type Option func(*config)

// WithPolicy sets the destination policy of the connections to the
// directory (outbound.allow); without it, only public addresses are
// reached.
func WithPolicy(p *outbound.Policy) Option {
	return func(c *config) { c.policy = p }
}

// New returns a connector for settings s and the bind password. now is the
// clock that OpenLDAP change cursors are taken from.
func New(s Settings, bindPassword string, now func() time.Time, opts ...Option) (*Connector, error) {
	c, err := s.check()
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(c)
	}
	if c.policy == nil {
		c.policy = outbound.PublicOnly()
	}
	if now == nil {
		now = time.Now
	}
	return &Connector{c: c, password: bindPassword, now: now}, nil
}

// cursor is what the connector keeps between runs.
type cursor struct {
	// Active Directory: the DC's invocationId and the highest USN it had
	// committed when the last run started. USNs are per DC, so a cursor
	// taken from another DC (or a restored one) forces a full run.
	InvocationID string `json:"invocationId,omitempty"`
	USN          int64  `json:"usn,omitempty"`
	// OpenLDAP: entries modified at or after this generalized time.
	ModifiedSince string `json:"modifiedSince,omitempty"`
	// Servers that offer RFC 4533 content synchronisation: the cookies
	// of the user and group refreshes.
	ContentSync bool   `json:"contentSync,omitempty"`
	UserCookie  []byte `json:"userCookie,omitempty"`
	GroupCookie []byte `json:"groupCookie,omitempty"`
}

// generalizedTime is the LDAP GeneralizedTime layout servers stamp
// modifyTimestamp with.
const generalizedTime = "20060102150405Z"

// Check binds, checks the attributes the connector reads against the
// directory's schema, and reads the user base entry.
func (k *Connector) Check(ctx context.Context) error {
	s, err := k.c.dial(ctx, k.password)
	if err != nil {
		return err
	}
	defer s.close()
	flavor, err := s.detectFlavor()
	if err != nil {
		return err
	}
	if err := k.checkSchema(s, k.c.profile(flavor)); err != nil {
		return err
	}
	_, err = s.conn.Search(ldapv3.NewSearchRequest(k.c.UserBaseDN, ldapv3.ScopeBaseObject, ldapv3.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"1.1"}, nil))
	if err != nil {
		return fmt.Errorf("ldap: reading userBaseDn %s: %w", k.c.UserBaseDN, err)
	}
	return nil
}

// Fetch reads users, then groups. Incremental runs read the entries
// changed since the cursor in full, and then the reference alone of every
// entry in scope, so that an entry deleted or moved out of the base DN or
// filter is missed at once (FetchResult.Swept). On Active Directory they
// also read the tombstones of objects deleted since the cursor (the Show
// Deleted control), which are removals for good.
func (k *Connector) Fetch(ctx context.Context, req engine.FetchRequest, emit func(engine.Entry) error) (engine.FetchResult, error) {
	var cur cursor
	full := req.Full || req.Cursor == ""
	if !full {
		if err := json.Unmarshal([]byte(req.Cursor), &cur); err != nil {
			return engine.FetchResult{}, fmt.Errorf("ldap: unreadable cursor: %w", err)
		}
	}
	start := k.now()
	s, err := k.c.dial(ctx, k.password)
	if err != nil {
		return engine.FetchResult{}, err
	}
	defer s.close()
	flavor, err := s.detectFlavor()
	if err != nil {
		return engine.FetchResult{}, err
	}
	p := k.c.profile(flavor)
	if flavor != FlavorAD && !k.c.NoContentSync {
		offered, err := s.offersContentSync()
		if err != nil {
			return engine.FetchResult{}, err
		}
		if offered {
			next, res, err := k.fetchContentSync(ctx, s, p, cur, full, emit)
			if err != nil {
				return engine.FetchResult{}, err
			}
			b, err := json.Marshal(next)
			if err != nil {
				return engine.FetchResult{}, err
			}
			res.Cursor = string(b)
			return res, nil
		}
	}

	var next cursor
	var changed string // the filter clause an incremental run adds
	if flavor == FlavorAD {
		inv, usn, err := s.adState()
		if err != nil {
			return engine.FetchResult{}, err
		}
		next = cursor{InvocationID: inv, USN: usn}
		if cur.InvocationID != inv || cur.USN == 0 {
			full = true
		}
		changed = fmt.Sprintf("(uSNChanged>=%d)", cur.USN+1)
	} else {
		next = cursor{ModifiedSince: start.Add(-k.c.skew).UTC().Format(generalizedTime)}
		if cur.ModifiedSince == "" {
			full = true
		}
		changed = "(modifyTimestamp>=" + cur.ModifiedSince + ")"
	}
	if full {
		changed = ""
	}

	if err := k.fetchUsers(ctx, s, p, changed, emit); err != nil {
		return engine.FetchResult{}, err
	}
	var deletedGroups []string
	if !full {
		if flavor == FlavorAD {
			if deletedGroups, err = k.fetchDeleted(ctx, s, p, cur.USN, emit); err != nil {
				return engine.FetchResult{}, err
			}
		}
		if err := k.present(ctx, s, p, k.c.UserBaseDN, p.userFilter, engine.EntryUserPresent, emit); err != nil {
			return engine.FetchResult{}, err
		}
	}
	if !k.c.NoGroups {
		if k.c.NestedGroups {
			err = k.fetchNestedGroups(ctx, s, p, emit)
		} else {
			err = k.fetchGroups(ctx, s, p, changed, emit)
		}
		if err != nil {
			return engine.FetchResult{}, err
		}
		for _, ref := range deletedGroups {
			if err := emit(engine.Entry{Kind: engine.EntryGroupRemoved, Ref: ref, Reason: engine.RemovedDeleted}); err != nil {
				return engine.FetchResult{}, err
			}
		}
		if !full && !k.c.NestedGroups {
			if err := k.present(ctx, s, p, k.c.GroupBaseDN, p.groupFilter, engine.EntryGroupPresent, emit); err != nil {
				return engine.FetchResult{}, err
			}
		}
	}
	b, err := json.Marshal(next)
	if err != nil {
		return engine.FetchResult{}, err
	}
	return engine.FetchResult{Cursor: string(b), Full: full, UsersSwept: !full, GroupsSwept: !full && !k.c.NoGroups}, nil
}

func and(filter, extra string) string {
	if extra == "" {
		return filter
	}
	return "(&" + filter + extra + ")"
}

func (k *Connector) fetchUsers(ctx context.Context, s *session, p profile, changed string, emit func(engine.Entry) error) error {
	return s.search(ctx, k.c.UserBaseDN, and(p.userFilter, changed), k.userAttrs(p), func(e *ldapv3.Entry) error {
		ref, err := reference(p, e)
		if err != nil {
			return err
		}
		return emit(engine.Entry{Kind: engine.EntryUser, Ref: ref, User: k.userRecord(p, e)})
	})
}

// userAttrs lists the attributes a user entry is read with.
func (k *Connector) userAttrs(p profile) []string {
	attrs := append([]string{p.refAttr}, p.mapping.Attributes()...)
	if p.flavor == FlavorAD {
		attrs = append(attrs, "userAccountControl")
	}
	if k.c.DisabledAttribute != "" {
		attrs = append(attrs, k.c.DisabledAttribute)
	}
	if k.c.MemberKeyAttribute != "" {
		attrs = append(attrs, k.c.MemberKeyAttribute)
	}
	return attrs
}

// userRecord maps a user entry.
func (k *Connector) userRecord(p profile, e *ldapv3.Entry) *engine.UserRecord {
	return &engine.UserRecord{
		MemberKey: k.memberKey(e),
		Attrs:     p.mapping.Apply(e.GetEqualFoldAttributeValue),
		Active:    k.active(p, e),
	}
}

// reference reads the entry's stable id: objectGUID or entryUUID.
func reference(p profile, e *ldapv3.Entry) (string, error) {
	var ref string
	if p.binaryRef {
		ref = formatGUID(e.GetEqualFoldRawAttributeValue(p.refAttr))
	} else {
		ref = strings.ToLower(e.GetEqualFoldAttributeValue(p.refAttr))
	}
	if ref == "" {
		return "", fmt.Errorf("ldap: %s has no %s; is the flavor right?", e.DN, p.refAttr)
	}
	return ref, nil
}

// memberKey is what group member values call the user.
func (k *Connector) memberKey(e *ldapv3.Entry) string {
	if k.c.MemberKeyAttribute != "" {
		return strings.ToLower(e.GetEqualFoldAttributeValue(k.c.MemberKeyAttribute))
	}
	return normDN(e.DN)
}

// uacDisabled is userAccountControl's ACCOUNTDISABLE bit.
const uacDisabled = 0x2

func (k *Connector) active(p profile, e *ldapv3.Entry) bool {
	if p.flavor == FlavorAD {
		if uac, err := strconv.ParseInt(e.GetEqualFoldAttributeValue("userAccountControl"), 10, 64); err == nil && uac&uacDisabled != 0 {
			return false
		}
	}
	if k.c.DisabledAttribute == "" {
		return true
	}
	for _, v := range e.GetEqualFoldAttributeValues(k.c.DisabledAttribute) {
		if len(k.c.DisabledValues) == 0 {
			if !strings.EqualFold(v, "false") && v != "0" {
				return false
			}
			continue
		}
		for _, d := range k.c.DisabledValues {
			if strings.EqualFold(v, d) {
				return false
			}
		}
	}
	return true
}

func (k *Connector) groupAttrs(p profile) []string {
	return append([]string{p.refAttr, k.c.GroupNameAttribute}, k.c.MemberAttributes...)
}

// members reads a group's member values as member keys.
func (k *Connector) members(s *session, e *ldapv3.Entry) ([]string, error) {
	var out []string
	for _, attr := range k.c.MemberAttributes {
		vals, err := s.values(e, attr)
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			if k.c.MemberKeyAttribute != "" {
				out = append(out, strings.ToLower(v))
			} else {
				out = append(out, normDN(v))
			}
		}
	}
	return out, nil
}

func (k *Connector) fetchGroups(ctx context.Context, s *session, p profile, changed string, emit func(engine.Entry) error) error {
	return s.search(ctx, k.c.GroupBaseDN, and(p.groupFilter, changed), k.groupAttrs(p), func(e *ldapv3.Entry) error {
		ref, err := reference(p, e)
		if err != nil {
			return err
		}
		rec, err := k.groupRecord(s, e)
		if err != nil {
			return err
		}
		return emit(engine.Entry{Kind: engine.EntryGroup, Ref: ref, Group: rec})
	})
}

// groupRecord maps a group entry with its whole membership.
func (k *Connector) groupRecord(s *session, e *ldapv3.Entry) (*engine.GroupRecord, error) {
	members, err := k.members(s, e)
	if err != nil {
		return nil, err
	}
	return &engine.GroupRecord{MemberKey: normDN(e.DN), DisplayName: e.GetEqualFoldAttributeValue(k.c.GroupNameAttribute),
		Members: members, Complete: true}, nil
}

// nestedGroup is a group held while nested memberships are resolved.
type nestedGroup struct {
	ref, name, dn string
}

// fetchNestedGroups reads every group, then emits each with its effective
// members: its own and those of the groups nested in it, transitively
// (engine.ResolveNested: cycles end, MaxNestingDepth levels at most). On
// Active Directory the domain controller computes them instead: a group
// with nested groups is answered by one search of the users that are
// members of it through any chain (LDAP_MATCHING_RULE_IN_CHAIN), which
// also follows groups outside the connector's group base DN and filter.
func (k *Connector) fetchNestedGroups(ctx context.Context, s *session, p profile, emit func(engine.Entry) error) error {
	groups := map[string]*nestedGroup{}
	direct := map[string][]string{}
	var order []string
	err := s.search(ctx, k.c.GroupBaseDN, p.groupFilter, k.groupAttrs(p), func(e *ldapv3.Entry) error {
		ref, err := reference(p, e)
		if err != nil {
			return err
		}
		members, err := k.members(s, e)
		if err != nil {
			return err
		}
		key := normDN(e.DN)
		if _, twice := groups[key]; !twice {
			order = append(order, key)
		}
		groups[key] = &nestedGroup{ref: ref, name: e.GetEqualFoldAttributeValue(k.c.GroupNameAttribute), dn: e.DN}
		direct[key] = members
		return nil
	})
	if err != nil {
		return err
	}
	effective := engine.ResolveNested(direct)
	if p.flavor == FlavorAD {
		for _, key := range k.inChainGroups(direct) {
			if effective[key], err = k.inChainMembers(ctx, s, p, groups[key].dn); err != nil {
				return err
			}
		}
	}
	for _, key := range order {
		g := groups[key]
		if err := emit(engine.Entry{Kind: engine.EntryGroup, Ref: g.ref, Group: &engine.GroupRecord{
			MemberKey: key, DisplayName: g.name, Members: effective[key], Complete: true,
		}}); err != nil {
			return err
		}
	}
	return nil
}

// inChainGroups lists the groups whose effective members the domain
// controller is asked for: those with a member that is a group the run
// read, or a member that is neither a user of the connector's user base
// DN nor such a group (a group elsewhere in the domain, possibly holding
// users of the base DN).
func (k *Connector) inChainGroups(direct map[string][]string) []string {
	if k.c.MemberKeyAttribute != "" {
		// Member values are not DNs (memberUid): nothing nests.
		return nil
	}
	userBase := normDN(k.c.UserBaseDN)
	var out []string
	for key, members := range direct {
		for _, m := range members {
			if _, isGroup := direct[m]; isGroup || !strings.HasSuffix(m, ","+userBase) {
				out = append(out, key)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// inChainOID is LDAP_MATCHING_RULE_IN_CHAIN: memberOf matched through any
// chain of nested groups.
const inChainOID = "1.2.840.113556.1.4.1941"

// inChainMembers reads the DNs (as member keys) of the users of the
// connector's scope that belong to group dn through any chain, sorted.
// It reads no attribute ("1.1"): the DN is the key.
func (k *Connector) inChainMembers(ctx context.Context, s *session, p profile, dn string) ([]string, error) {
	filter := and(p.userFilter, "(memberOf:"+inChainOID+":="+ldapv3.EscapeFilter(dn)+")")
	out := []string{}
	err := s.search(ctx, k.c.UserBaseDN, filter, []string{"1.1"}, func(e *ldapv3.Entry) error {
		out = append(out, normDN(e.DN))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ldap: reading the nested members of %s: %w", dn, err)
	}
	sort.Strings(out)
	return out, nil
}
