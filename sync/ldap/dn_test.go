package ldap

import "testing"

// The fast path of normDN gives what parsing gives.
func TestNormDNPlain(t *testing.T) {
	for _, dn := range []string{
		"uid=u000001,ou=people,dc=example,dc=org", "CN=Ana-Ng,OU=Staff,DC=corp,DC=test", "cn=a.b_c@d,dc=x",
		"2.5.4.3=x,dc=y", "cn=x",
	} {
		if !plainDN(dn) {
			t.Errorf("%q is not plain", dn)
		}
		if got, want := normDN(dn), parseNormDN(dn); got != want {
			t.Errorf("normDN(%q) = %q, parsing gives %q", dn, got, want)
		}
	}
	for _, dn := range []string{
		"", "cn=Ana Ng,dc=x", "uid=bo+cn=Bo,dc=x", `cn=a\,b,dc=x`, "cn=a=b,dc=x", "cn=,dc=x", "=a,dc=x", "cn=a,,dc=x",
		"cn=a,", "cn", `cn="a",dc=x`, "cn=é,dc=x", "cn=a;dc=x",
	} {
		if plainDN(dn) {
			t.Errorf("%q is plain", dn)
		}
	}
}
