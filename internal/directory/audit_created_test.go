package directory

import (
	"reflect"
	"testing"
)

func TestCreatedFieldsIsDiffFields(t *testing.T) {
	full := &User{SourceRef: "ref-1", Emails: []Email{{Value: "a@example.org", Primary: true}}, Roles: []Grant{{Value: "r"}},
		Entitlements: []Grant{{Value: "e"}}, Role: RoleUser, RoleFromMapping: true, AuthMethod: AuthLocal,
		Status: StatusActive, StatusReason: "enabled in the directory", Source: SourceLDAP,
		Properties: map[string]any{"badge": 7.0, "empty": "", "none": nil, "flag": false, "on": true}}
	for _, a := range userAttributes {
		if a.Text != nil {
			*a.Text(full) = "v-" + string(a.Name)
		}
	}
	for name, u := range map[string]*User{"full": full, "bare": {}, "status only": {Status: StatusSuspended}} {
		got, want := createdFields(u), diffFields(nil, userAuditFields(u))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", name, got, want)
		}
	}
	if len(createdFields(full)) < 10 {
		t.Errorf("the full user's creation has %d changes", len(createdFields(full)))
	}
}
