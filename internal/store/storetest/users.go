package storetest

import (
	"testing"
	"time"

	"github.com/roster/roster/internal/directory"
)

// fullUser sets every field of a user to something other than its zero value.
func (f *fixture) fullUser(org *directory.Org, userName string) *directory.User {
	return &directory.User{ //nolint:gosec // PasswordHash is a made-up value
		ID:          newID(),
		OrgID:       org.ID,
		UserName:    userName,
		ExternalID:  "ext-" + userName,
		Source:      directory.SourceSCIM,
		SourceRef:   "ref-" + userName,
		GivenName:   "Zoë",
		FamilyName:  "O'Hara",
		DisplayName: "Zoë O'Hara",
		Email:       userName,
		Emails: []directory.Email{
			{Value: userName, Type: "work", Primary: true, Display: "Work"},
			{Value: "ZOE@home.example", Type: "home"},
		},
		Roles: []directory.Grant{
			{Value: "Admin", Type: "WindowsAzureActiveDirectoryRole", Primary: true, Display: "Administrator"},
			{Value: "Reader"},
		},
		Entitlements: []directory.Grant{{Value: "crm", Display: "CRM seat"}},
		Phone:        "+33 1 23 45 67 89",
		Title:        "Chief 100% Officer",
		Enterprise: directory.Enterprise{
			EmployeeNumber: "E-42", CostCenter: "CC 7", Organization: "Acme", Division: "R&D",
			Department: "Labs", ManagerID: "MGR-1",
		},
		Profile: directory.Profile{
			MiddleName: "Q", HonorificPrefix: "Dr.", NickName: "Zo", Locale: "fr-FR", Timezone: "Europe/Paris",
			PhoneNumbers: []directory.PhoneNumber{{Value: "+33 6 00 00 00 00", Type: "mobile", Primary: true}},
			Addresses:    []directory.Address{{Type: "work", Locality: "Paris", Country: "FR", Primary: true}},
		},
		Properties:              map[string]any{"badge": 42.0, "remote": true, "hired": "2020-01-02"},
		Role:                    directory.RoleOrgAdmin,
		RoleFromMapping:         true,
		AuthMethod:              directory.AuthSSO,
		Status:                  directory.StatusSuspended,
		StatusReason:            "left the company",
		StatusSetBy:             directory.AuthoritySCIM,
		StatusSetByID:           "token-1",
		StatusChangedAt:         f.at(time.Minute),
		StatusBeforeDelete:      directory.StatusActive,
		StatusBeforeDeleteSetBy: directory.AuthorityAdmin,
		PasswordHash:            "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA",
		FailedLogins:            3,
		LastLoginAt:             ptr(f.at(2 * time.Minute)),
		ActivatedAt:             ptr(f.at(3 * time.Minute)),
		LockedUntil:             ptr(f.at(6*time.Minute + time.Nanosecond)),
		CreatedAt:               f.base,
		UpdatedAt:               f.at(4 * time.Minute),
		DeletedAt:               ptr(f.at(5 * time.Minute)),
		Version:                 1,
	}
}

// rounded returns u with its times as a store keeps them.
func rounded(u *directory.User) *directory.User {
	c := u.Clone()
	c.CreatedAt, c.UpdatedAt, c.StatusChangedAt = micro(u.CreatedAt), micro(u.UpdatedAt), micro(u.StatusChangedAt)
	for _, p := range []**time.Time{&c.LastLoginAt, &c.ActivatedAt, &c.LockedUntil, &c.DeletedAt} {
		if *p != nil {
			*p = ptr(micro(**p))
		}
	}
	return c
}

func testUserRoundTrip(t *testing.T, f *fixture) {
	org := f.org("acme")
	u := f.fullUser(org, "zoe@acme.example")
	want := rounded(u)
	must(t, "CreateUser", f.s.Users().CreateUser(f.ctx, u))
	diff(t, "CreateUser rounds the times it was given", want, u)

	got, err := f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser", err)
	diff(t, "GetUser", want, got)
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("GetUser CreatedAt location = %v, want UTC", got.CreatedAt.Location())
	}

	// The zero values round-trip too: no emails, no properties, no times.
	bare := f.newUser(org, "bare@acme.example")
	bare.Email = ""
	must(t, "CreateUser(bare)", f.s.Users().CreateUser(f.ctx, bare))
	got, err = f.s.Users().GetUser(f.ctx, org.ID, bare.ID)
	must(t, "GetUser(bare)", err)
	diff(t, "GetUser(bare)", rounded(bare), got)
}

func testUserScoping(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	u := f.user(a, "someone@a.example")

	_, err := f.s.Users().GetUser(f.ctx, b.ID, u.ID)
	wantCode(t, "GetUser from another organization", err, directory.CodeNotFound, "")
	_, err = f.s.Users().GetUser(f.ctx, a.ID, newID())
	wantCode(t, "GetUser(unknown)", err, directory.CodeNotFound, "")

	moved := u.Clone()
	moved.OrgID = b.ID
	moved.DisplayName = "hijacked"
	wantCode(t, "UpdateUser through another organization", f.s.Users().UpdateUser(f.ctx, moved, f.at(time.Hour)), directory.CodeNotFound, "")
	got, err := f.s.Users().GetUser(f.ctx, a.ID, u.ID)
	must(t, "GetUser", err)
	diff(t, "user after an update through another organization", u, got)

	page, err := f.s.Users().ListUsers(f.ctx, b.ID, directory.UserQuery{IncludeDeleted: true, CountTotal: true})
	must(t, "ListUsers", err)
	if len(page.Users) != 0 || page.Total != 0 {
		t.Errorf("ListUsers of another organization = %d users, total %d; want none", len(page.Users), page.Total)
	}
	_, err = f.s.Users().FindUserBySourceRef(f.ctx, b.ID, u.Source, u.SourceRef)
	wantCode(t, "FindUserBySourceRef in another organization", err, directory.CodeNotFound, "")
}

func testUserNameUnique(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	first := f.user(a, "Dup@Example.com")

	for _, tc := range []struct {
		what string
		org  *directory.Org
		name string
	}{
		{"the same name in the same organization", a, "Dup@Example.com"},
		{"another case in the same organization", a, "dup@example.COM"},
	} {
		u := f.fullUser(tc.org, tc.name)
		wantCode(t, "CreateUser with "+tc.what, f.s.Users().CreateUser(f.ctx, u), directory.CodeConflict, "userName")
		// The failed create left nothing behind, not even its emails.
		_, err := f.s.Users().GetUser(f.ctx, tc.org.ID, u.ID)
		wantCode(t, "GetUser after a failed create", err, directory.CodeNotFound, "")
		page, err := f.s.Users().ListUsers(f.ctx, tc.org.ID, directory.UserQuery{
			Filter: directory.Has{Attr: directory.UserEmails, Where: directory.Eq(directory.EmailValue, "zoe@home.example")},
		})
		must(t, "ListUsers", err)
		if len(page.Users) != 0 {
			t.Errorf("a failed create left emails behind")
		}
	}
	// Another organization has its own names.
	f.user(b, "DUP@EXAMPLE.COM")

	sameID := f.newUser(a, "other@example.com")
	sameID.ID = first.ID
	wantCode(t, "CreateUser with a taken id", f.s.Users().CreateUser(f.ctx, sameID), directory.CodeConflict, "id")

	// Renaming onto a taken name is a conflict; changing the case of one's
	// own name is not.
	second := f.user(a, "second@example.com")
	renamed := second.Clone()
	renamed.UserName = "dup@EXAMPLE.com"
	wantCode(t, "UpdateUser onto a taken name", f.s.Users().UpdateUser(f.ctx, renamed, f.at(time.Hour)), directory.CodeConflict, "userName")
	recased := second.Clone()
	recased.UserName = "SECOND@example.com"
	must(t, "UpdateUser changing the case of its own name", f.s.Users().UpdateUser(f.ctx, recased, f.at(time.Hour)))
}

func testUserLookups(t *testing.T, f *fixture) {
	a, b := f.org("a"), f.org("b")
	u := f.user(a, "Mixed.Case@Example.com", func(u *directory.User) {
		u.Source, u.SourceRef = directory.SourceEntra, "0b7c9e2a-entra-object"
	})

	for _, name := range []string{"Mixed.Case@Example.com", "mixed.case@example.com", "MIXED.CASE@EXAMPLE.COM", " mixed.case@example.com "} {
		got, err := f.s.Users().FindUserByUserName(f.ctx, a.ID, name)
		must(t, "FindUserByUserName("+name+")", err)
		diff(t, "FindUserByUserName("+name+")", u, got)
	}
	_, err := f.s.Users().FindUserByUserName(f.ctx, a.ID, "nobody@example.com")
	wantCode(t, "FindUserByUserName(unknown)", err, directory.CodeNotFound, "")
	_, err = f.s.Users().FindUserByUserName(f.ctx, b.ID, "Mixed.Case@Example.com")
	wantCode(t, "FindUserByUserName in another organization", err, directory.CodeNotFound, "")
	for _, email := range []string{"Mixed.Case@Example.com", "MIXED.case@example.com"} {
		got, err := f.s.Users().FindUserByEmail(f.ctx, a.ID, email)
		must(t, "FindUserByEmail("+email+")", err)
		diff(t, "FindUserByEmail("+email+")", u, got)
	}
	for _, tc := range []struct{ what, org, email string }{
		{"another organization", b.ID, "mixed.case@example.com"},
		{"an unknown email", a.ID, "nobody@example.com"},
		{"no email", a.ID, ""},
	} {
		_, err := f.s.Users().FindUserByEmail(f.ctx, tc.org, tc.email)
		wantCode(t, "FindUserByEmail in "+tc.what, err, directory.CodeNotFound, "")
	}

	got, err := f.s.Users().FindUserBySourceRef(f.ctx, a.ID, directory.SourceEntra, "0b7c9e2a-entra-object")
	must(t, "FindUserBySourceRef", err)
	diff(t, "FindUserBySourceRef", u, got)
	for _, tc := range []struct {
		what   string
		org    string
		source directory.Source
		ref    string
	}{
		{"another source", a.ID, directory.SourceLDAP, "0b7c9e2a-entra-object"},
		{"another case", a.ID, directory.SourceEntra, "0B7C9E2A-ENTRA-OBJECT"},
		{"another organization", b.ID, directory.SourceEntra, "0b7c9e2a-entra-object"},
		{"an empty reference", a.ID, directory.SourceLocal, ""},
	} {
		_, err := f.s.Users().FindUserBySourceRef(f.ctx, tc.org, tc.source, tc.ref)
		wantCode(t, "FindUserBySourceRef with "+tc.what, err, directory.CodeNotFound, "")
	}

	// Should a deleted user share a reference with a live one, the live one
	// is found.
	f.user(a, "old@example.com", func(u *directory.User) {
		u.ID = "00000000-0000-7000-8000-000000000000" // sorts first
		u.Source, u.SourceRef, u.Status = directory.SourceLDAP, "guid-1", directory.StatusDeleted
	})
	live := f.user(a, "new@example.com", func(u *directory.User) { u.Source, u.SourceRef = directory.SourceLDAP, "guid-1" })
	got, err = f.s.Users().FindUserBySourceRef(f.ctx, a.ID, directory.SourceLDAP, "guid-1")
	must(t, "FindUserBySourceRef", err)
	if got.ID != live.ID {
		t.Errorf("FindUserBySourceRef found %s, want the live user %s", got.UserName, live.UserName)
	}
}

func testUserUpdate(t *testing.T, f *fixture) {
	org := f.org("acme")
	u := f.user(org, "before@acme.example")
	stale := u.Clone()

	next := f.fullUser(org, "After@acme.example")
	next.ID, next.Version, next.CreatedAt = u.ID, u.Version, u.CreatedAt
	next.Emails = []directory.Email{{Value: "After@acme.example", Type: "work", Primary: true}}
	now := f.at(time.Hour)
	must(t, "UpdateUser", f.s.Users().UpdateUser(f.ctx, next, now))
	if next.Version != u.Version+1 {
		t.Errorf("UpdateUser set Version = %d, want %d", next.Version, u.Version+1)
	}
	if !next.UpdatedAt.Equal(micro(now)) {
		t.Errorf("UpdateUser set UpdatedAt = %v, want %v", next.UpdatedAt, micro(now))
	}
	want := rounded(next)
	want.UpdatedAt = micro(now)
	got, err := f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser", err)
	diff(t, "GetUser after UpdateUser", want, got)
	if _, err := f.s.Users().FindUserByUserName(f.ctx, org.ID, "before@acme.example"); !directory.IsCode(err, directory.CodeNotFound) {
		t.Errorf("FindUserByUserName(old name) error = %v, want not found", err)
	}

	// Clearing fields clears them.
	cleared := f.newUser(org, "cleared@acme.example")
	cleared.ID, cleared.Version, cleared.CreatedAt = u.ID, got.Version, got.CreatedAt
	must(t, "UpdateUser clearing fields", f.s.Users().UpdateUser(f.ctx, cleared, f.at(2*time.Hour)))
	got, err = f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser", err)
	diff(t, "GetUser after clearing", rounded(cleared), got)

	wantStale(t, "UpdateUser with a stale version", f.s.Users().UpdateUser(f.ctx, stale, f.at(3*time.Hour)))
	if stale.Version != 1 {
		t.Errorf("a stale UpdateUser changed the caller's Version to %d", stale.Version)
	}
	after, err := f.s.Users().GetUser(f.ctx, org.ID, u.ID)
	must(t, "GetUser", err)
	diff(t, "user after a stale update", got, after)

	missing := f.newUser(org, "missing@acme.example")
	wantCode(t, "UpdateUser(unknown)", f.s.Users().UpdateUser(f.ctx, missing, now), directory.CodeNotFound, "")
}

func testUserSoftDelete(t *testing.T, f *fixture) {
	org := f.org("acme")
	live := f.user(org, "live@acme.example")
	gone := f.user(org, "gone@acme.example", func(u *directory.User) {
		u.Status, u.DeletedAt = directory.StatusDeleted, ptr(f.base)
		u.StatusBeforeDelete, u.StatusBeforeDeleteSetBy = directory.StatusSuspended, directory.AuthorityLDAP
	})

	page, err := f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{CountTotal: true})
	must(t, "ListUsers", err)
	diff(t, "ListUsers hides deleted users", []*directory.User{live}, page.Users)
	if page.Total != 1 {
		t.Errorf("ListUsers Total = %d, want 1", page.Total)
	}

	page, err = f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{IncludeDeleted: true, CountTotal: true})
	must(t, "ListUsers(IncludeDeleted)", err)
	diff(t, "ListUsers(IncludeDeleted)", []*directory.User{live, gone}, page.Users)
	if page.Total != 2 {
		t.Errorf("ListUsers(IncludeDeleted) Total = %d, want 2", page.Total)
	}

	page, err = f.s.Users().ListUsers(f.ctx, org.ID, directory.UserQuery{Filter: directory.Eq(directory.UserStatus, "deleted")})
	must(t, "ListUsers(status eq deleted)", err)
	if len(page.Users) != 0 {
		t.Errorf("a filter reached deleted users without IncludeDeleted")
	}

	got, err := f.s.Users().GetUser(f.ctx, org.ID, gone.ID)
	must(t, "GetUser(deleted)", err)
	diff(t, "GetUser(deleted)", gone, got)
	// A deleted user holds no userName nor login email.
	_, err = f.s.Users().FindUserByUserName(f.ctx, org.ID, "gone@acme.example")
	wantCode(t, "FindUserByUserName(deleted)", err, directory.CodeNotFound, "")
	_, err = f.s.Users().FindUserByEmail(f.ctx, org.ID, "gone@acme.example")
	wantCode(t, "FindUserByEmail(deleted)", err, directory.CodeNotFound, "")
}

func testCountUsers(t *testing.T, f *fixture) {
	org, other := f.org("acme"), f.org("other")
	add := func(name string, status directory.Status, source directory.Source) {
		f.user(org, name, func(u *directory.User) { u.Status, u.Source = status, source })
	}
	add("a@x.example", directory.StatusActive, directory.SourceLocal)
	add("b@x.example", directory.StatusActive, directory.SourceLocal)
	add("c@x.example", directory.StatusActive, directory.SourceSCIM)
	add("d@x.example", directory.StatusSuspended, directory.SourceSCIM)
	add("e@x.example", directory.StatusDeleted, directory.SourceLDAP)
	f.user(other, "f@x.example")

	got, err := f.s.Users().CountUsersByStatus(f.ctx, org.ID)
	must(t, "CountUsersByStatus", err)
	diff(t, "CountUsersByStatus", map[directory.Status]map[directory.Source]int{
		directory.StatusActive:    {directory.SourceLocal: 2, directory.SourceSCIM: 1},
		directory.StatusSuspended: {directory.SourceSCIM: 1},
		directory.StatusDeleted:   {directory.SourceLDAP: 1},
	}, got)

	empty := f.org("empty")
	got, err = f.s.Users().CountUsersByStatus(f.ctx, empty.ID)
	must(t, "CountUsersByStatus(empty)", err)
	if len(got) != 0 {
		t.Errorf("CountUsersByStatus(empty) = %v, want nothing", got)
	}
}
