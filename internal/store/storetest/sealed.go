package storetest

import (
	"testing"

	"github.com/roster/roster/internal/directory"
)

// testSealed lists and replaces sealed values of every kind, across
// organizations, and replaces one only where it is still as read.
func testSealed(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	ada, bob := f.user(a, "ada@"+a.Slug+".example"), f.user(b, "bob@"+b.Slug+".example")
	f.user(a, "plain@"+a.Slug+".example") // no second factor: no row
	must(t, "PutMFA(ada)", f.s.MFA().PutMFA(f.ctx, &directory.MFAState{OrgID: a.ID, UserID: ada.ID,
		TOTPSecret: "v1.ada-seed", UpdatedAt: f.base}))
	must(t, "PutMFA(bob)", f.s.MFA().PutMFA(f.ctx, &directory.MFAState{OrgID: b.ID, UserID: bob.ID,
		TOTPSecret: "v1.bob-seed", PendingSecret: "v1.bob-pending", UpdatedAt: f.base}))
	must(t, "PutOIDC", f.s.OIDC().PutOIDC(f.ctx, &directory.OIDCSettings{OrgID: b.ID, Issuer: "https://idp.example",
		ClientID: "roster", ClientSecret: "v1.client", UpdatedAt: f.base}))
	conn := f.connector(a, "ldap")
	f.connector(b, "no secrets", func(c *directory.Connector) { c.Secrets = nil })

	list := func(kind directory.SealedKind, after string, limit int) []directory.SealedValue {
		t.Helper()
		got, err := f.s.Sealed().SealedValues(f.ctx, kind, after, limit)
		must(t, "SealedValues("+string(kind)+")", err)
		return got
	}
	seeds := []directory.SealedValue{
		{Kind: directory.SealedTOTPSeed, OrgID: a.ID, ID: ada.ID, Value: []byte("v1.ada-seed")},
		{Kind: directory.SealedTOTPSeed, OrgID: b.ID, ID: bob.ID, Value: []byte("v1.bob-seed")},
	}
	if ada.ID > bob.ID {
		seeds[0], seeds[1] = seeds[1], seeds[0]
	}
	diff(t, "SealedValues(totp seeds)", seeds, list(directory.SealedTOTPSeed, "", 10))
	diff(t, "SealedValues(totp seeds) after the first", seeds[1:], list(directory.SealedTOTPSeed, seeds[0].ID, 10))
	diff(t, "SealedValues(totp seeds) one at a time", seeds[:1], list(directory.SealedTOTPSeed, "", 1))
	diff(t, "SealedValues(pending seeds)", []directory.SealedValue{
		{Kind: directory.SealedTOTPPendingSeed, OrgID: b.ID, ID: bob.ID, Value: []byte("v1.bob-pending")}},
		list(directory.SealedTOTPPendingSeed, "", 10))
	diff(t, "SealedValues(sso)", []directory.SealedValue{
		{Kind: directory.SealedSSOClientSecret, OrgID: b.ID, ID: b.ID, Value: []byte("v1.client")}},
		list(directory.SealedSSOClientSecret, "", 10))
	secrets := directory.SealedValue{Kind: directory.SealedConnectorSecrets, OrgID: a.ID, ID: conn.ID, Value: conn.Secrets}
	diff(t, "SealedValues(connectors)", []directory.SealedValue{secrets}, list(directory.SealedConnectorSecrets, "", 10))

	for _, v := range []directory.SealedValue{seeds[0], list(directory.SealedTOTPPendingSeed, "", 1)[0],
		list(directory.SealedSSOClientSecret, "", 1)[0], secrets} {
		replaced := []byte("new " + string(v.Kind))
		stale := v
		stale.Value = []byte("not what is stored")
		ok, err := f.s.Sealed().ReplaceSealed(f.ctx, stale, replaced)
		must(t, "ReplaceSealed(stale)", err)
		if ok {
			t.Errorf("ReplaceSealed(%s) replaced a value that was not the one read", v.Kind)
		}
		other := v
		other.OrgID = map[string]string{a.ID: b.ID, b.ID: a.ID}[v.OrgID]
		if ok, _ := f.s.Sealed().ReplaceSealed(f.ctx, other, replaced); ok {
			t.Errorf("ReplaceSealed(%s) replaced a value through another organization", v.Kind)
		}
		ok, err = f.s.Sealed().ReplaceSealed(f.ctx, v, replaced)
		must(t, "ReplaceSealed", err)
		if !ok {
			t.Errorf("ReplaceSealed(%s) did not replace the value it read", v.Kind)
		}
		if ok, _ := f.s.Sealed().ReplaceSealed(f.ctx, v, []byte("again")); ok {
			t.Errorf("ReplaceSealed(%s) replaced the old value twice", v.Kind)
		}
		got := list(v.Kind, "", 10)
		found := false
		for _, g := range got {
			if g.ID == v.ID {
				found = string(g.Value) == string(replaced)
			}
		}
		if !found {
			t.Errorf("after ReplaceSealed(%s) the store holds %q", v.Kind, got)
		}
	}

	// What the login and sync stores read back is the replaced value.
	m, err := f.s.MFA().GetMFA(f.ctx, seeds[0].OrgID, seeds[0].ID)
	must(t, "GetMFA", err)
	if m.TOTPSecret != "new totp_seed" {
		t.Errorf("GetMFA after ReplaceSealed: TOTPSecret %q", m.TOTPSecret)
	}
	c, err := f.s.Connectors().GetConnector(f.ctx, a.ID, conn.ID)
	must(t, "GetConnector", err)
	if string(c.Secrets) != "new connector_secrets" {
		t.Errorf("GetConnector after ReplaceSealed: Secrets %q", c.Secrets)
	}
}
