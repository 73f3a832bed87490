package ldap_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/ldap"
	"github.com/roster/roster/sync/ldap/ldaptest"
)

func kindNamed(t *testing.T, name directory.ConnectorKind) engine.Kind {
	t.Helper()
	for _, k := range ldap.Kinds(nil, ldap.WithPolicy(ldaptest.Loopback())) {
		if k.Name == name {
			return k
		}
	}
	t.Fatalf("no kind %s", name)
	return engine.Kind{}
}

func TestTheADKindReadsActiveDirectoryWithItsDefaults(t *testing.T) {
	d := newADDirectory(t)
	secrets := map[string]string{ldap.SecretBindPassword: d.srv.BindPassword}
	settings := func(flavor ldap.Flavor) json.RawMessage {
		b, err := json.Marshal(ldap.Settings{URL: d.srv.URL, AllowInsecure: true, BindDN: d.srv.BindDN,
			UserBaseDN: "OU=Staff,DC=corp,DC=test", GroupBaseDN: "OU=Groups,DC=corp,DC=test", Flavor: flavor})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name   string
		kind   directory.ConnectorKind
		flavor ldap.Flavor
	}{
		{"an ad connector", ldap.KindAD, ""},
		{"an ad connector naming its flavor", ldap.KindAD, ldap.FlavorAD},
		{"an ldap connector of flavor ad, as stored before the ad kind", ldap.KindLDAP, ldap.FlavorAD},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := kindNamed(t, tc.kind).New(settings(tc.flavor), nil, secrets)
			if err != nil {
				t.Fatal(err)
			}
			users, _, _ := fetch(t, conn.(*ldap.Connector), "")
			alice := users[d.guids["alice"]].User
			if alice == nil || alice.Attrs[directory.UserUserName] != "alice@corp.test" || alice.Attrs[directory.UserExternalID] != "alice" {
				t.Errorf("alice = %+v, want her read with the AD mapping", alice)
			}
		})
	}
	if _, err := kindNamed(t, ldap.KindAD).New(settings(ldap.FlavorOpenLDAP), nil, secrets); err == nil || !strings.Contains(err.Error(), "flavor") {
		t.Errorf("an ad connector of flavor openldap = %v, want refused", err)
	}
}

func TestBothKindsMakeUsersOfSourceLDAP(t *testing.T) {
	for _, k := range ldap.Kinds(nil) {
		if k.Source != directory.SourceLDAP {
			t.Errorf("kind %s makes users of source %s; stored users are ldap's", k.Name, k.Source)
		}
	}
	if diff := cmp.Diff(ldap.ADMapping, kindNamed(t, ldap.KindAD).Mapping); diff != "" {
		t.Errorf("the ad kind's default mapping (-want +got):\n%s", diff)
	}
}

// The schema the console builds its form from names every setting, and
// nothing else (the mapping is the connector's, not its settings').
func TestSettingsSchemaDescribesEverySetting(t *testing.T) {
	var want []string
	st := reflect.TypeFor[ldap.Settings]()
	for i := range st.NumField() {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		if name != "mapping" {
			want = append(want, name)
		}
	}
	sort.Strings(want)
	for _, k := range ldap.Kinds(nil) {
		var schema struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(k.Settings, &schema); err != nil {
			t.Fatalf("kind %s: %v", k.Name, err)
		}
		var got []string
		for name := range schema.Properties {
			got = append(got, name)
		}
		sort.Strings(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("kind %s: schema properties (-settings +schema):\n%s", k.Name, diff)
		}
	}
}
