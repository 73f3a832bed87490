package directory

import "testing"

// Connector kinds name their own sources and authorities: a kind added to
// the sync engine needs nothing from this package.
func TestAConnectorKindsSourceIsADirectory(t *testing.T) {
	for _, tc := range []struct {
		source           Source
		valid, directory bool
	}{
		{SourceLocal, true, false},
		{SourceImport, true, false},
		{SourceSCIM, true, true},
		{SourceLDAP, true, true},
		{SourceEntra, true, true},
		{"hris", true, true},
		{"okta-2", true, true},
		{"", false, false},
		{"HRIS", false, false},
		{"2fa", false, false},
		{"admin", false, false},
		{"system", false, false},
		{"connector", false, false},
	} {
		if got := tc.source.Valid(); got != tc.valid {
			t.Errorf("Source(%q).Valid() = %v, want %v", tc.source, got, tc.valid)
		}
		if got := tc.source.IsDirectory(); got != tc.directory {
			t.Errorf("Source(%q).IsDirectory() = %v, want %v", tc.source, got, tc.directory)
		}
		if got := Authority(tc.source).IsDirectory(); got != tc.directory {
			t.Errorf("Authority(%q).IsDirectory() = %v, want %v", tc.source, got, tc.directory)
		}
	}
}

func TestAConnectorActsUnderItsKindsAuthority(t *testing.T) {
	for source, want := range map[Source]Authority{SourceLDAP: AuthorityLDAP, SourceEntra: AuthorityEntra, "hris": "hris"} {
		if got := (Actor{Kind: ActorConnector, ID: "c1", Source: source}).StatusAuthority(); got != want {
			t.Errorf("a connector of source %s acts as %s, want %s", source, got, want)
		}
	}
	if got := (Actor{Kind: ActorSystem}).StatusAuthority(); got.IsDirectory() {
		t.Errorf("the system actor acts as directory %s", got)
	}
}

func TestAnyDirectoryLiftsOnlyWhatItSet(t *testing.T) {
	u := &User{Status: StatusActive}
	if err := CheckTransition(u, StatusSuspended, "hris"); err != nil {
		t.Fatalf("hris may not suspend: %v", err)
	}
	u = &User{Status: StatusSuspended, StatusSetBy: "hris"}
	if err := CheckTransition(u, StatusActive, "hris"); err != nil {
		t.Errorf("hris may not lift its own suspension: %v", err)
	}
	if err := CheckTransition(u, StatusActive, AuthorityLDAP); err == nil {
		t.Error("ldap lifted hris's suspension")
	}
	if err := CheckTransition(&User{Status: StatusActive}, StatusSuspended, "system"); err == nil {
		t.Error("an authority that is no directory's suspended a user")
	}
}
