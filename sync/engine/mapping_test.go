package engine_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// The default mappings come from the attribute catalogue; these are the
// mappings connectors have always used, which stored connectors rely on,
// plus what the catalogue added since: officeLocation everywhere and
// the cost center from Entra's employeeOrgData.
func TestDefaultMappingsAreTheDirectoriesUsualAttributes(t *testing.T) {
	for _, tc := range []struct {
		family string
		want   engine.Mapping
	}{
		{"ldap", engine.Mapping{
			directory.UserUserName: "mail", directory.UserEmail: "mail", directory.UserGivenName: "givenName",
			directory.UserFamilyName: "sn", directory.UserDisplayName: "displayName", directory.UserTitle: "title",
			directory.UserPhone: "telephoneNumber", directory.UserDepartment: "departmentNumber",
			directory.UserEmployeeNumber: "employeeNumber", directory.UserOrganization: "o", directory.UserExternalID: "uid",
			directory.UserOfficeLocation: "physicalDeliveryOfficeName",
		}},
		{"ad", engine.Mapping{
			directory.UserUserName: "userPrincipalName", directory.UserEmail: "mail", directory.UserGivenName: "givenName",
			directory.UserFamilyName: "sn", directory.UserDisplayName: "displayName", directory.UserTitle: "title",
			directory.UserPhone: "telephoneNumber", directory.UserDepartment: "department",
			directory.UserEmployeeNumber: "employeeID", directory.UserOrganization: "company", directory.UserExternalID: "sAMAccountName",
			directory.UserOfficeLocation: "physicalDeliveryOfficeName",
		}},
		{"entra", engine.Mapping{
			directory.UserUserName: "userPrincipalName", directory.UserEmail: "mail", directory.UserGivenName: "givenName",
			directory.UserFamilyName: "surname", directory.UserDisplayName: "displayName", directory.UserTitle: "jobTitle",
			directory.UserPhone: "mobilePhone", directory.UserDepartment: "department",
			directory.UserEmployeeNumber: "employeeId", directory.UserOrganization: "companyName",
			directory.UserOfficeLocation: "officeLocation", directory.UserCostCenter: "employeeOrgData.costCenter",
		}},
	} {
		t.Run(tc.family, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, engine.DefaultMapping(tc.family)); diff != "" {
				t.Errorf("DefaultMapping(%q) (-want +got):\n%s", tc.family, diff)
			}
		})
	}
}

func TestMappingAcceptsWhatTheCatalogueLetsADirectoryFeed(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    engine.Mapping
		ok   bool
	}{
		{"catalogue attributes a directory may feed", engine.Mapping{"userName": "mail", "enterprise.costCenter": "cc", "enterprise.division": "div"}, true},
		{"a custom property", engine.Mapping{"userName": "mail", "properties.badge": "badgeId"}, true},
		{"an attribute directories may not write (role)", engine.Mapping{"userName": "mail", "role": "title"}, false},
		{"a reference the catalogue keeps from directories (manager)", engine.Mapping{"userName": "mail", "enterprise.manager": "manager"}, false},
		{"an unknown attribute", engine.Mapping{"userName": "mail", "shoeSize": "x"}, false},
		{"a property without a key", engine.Mapping{"userName": "mail", "properties.": "x"}, false},
		{"an attribute without a source", engine.Mapping{"userName": "mail", "title": " "}, false},
		{"no userName", engine.Mapping{"title": "title"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.m.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
