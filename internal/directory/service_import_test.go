package directory_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
)

func TestImportUsers(t *testing.T) {
	f := newFixture(t)
	setTitle := func(title string) func(*directory.User) error {
		return func(u *directory.User) error { u.Title = title; return nil }
	}

	t.Run("a batch creates and updates users, each change audited", func(t *testing.T) {
		old := f.user(t, admin, "old@acme.com")
		res, err := f.svc.ImportUsers(f.ctx, admin, f.org.ID, []directory.ImportRow{
			{UserName: "ann@acme.com", Create: &directory.User{UserName: "ann@acme.com", GivenName: "Ann", Source: directory.SourceImport}},
			{UserName: "sso@acme.com", Create: &directory.User{UserName: "sso@acme.com", AuthMethod: directory.AuthSSO, Source: directory.SourceImport}},
			{UserName: "OLD@acme.com", Update: setTitle("Chief")},
			{UserName: "old@acme.com", Update: setTitle("Chief")},
		})
		if err != nil {
			t.Fatal(err)
		}
		var actions []directory.ImportAction
		for _, r := range res {
			actions = append(actions, r.Action)
		}
		if diff := cmp.Diff([]directory.ImportAction{directory.ImportCreated, directory.ImportCreated, directory.ImportUpdated, directory.ImportUnchanged}, actions); diff != "" {
			t.Fatalf("actions (-want +got):\n%s", diff)
		}
		ann, err := f.svc.GetUser(f.ctx, f.org.ID, res[0].User.ID)
		if err != nil || ann.Status != directory.StatusPending || ann.Source != directory.SourceImport || ann.StatusSetBy != directory.AuthorityImport {
			t.Fatalf("created %+v, %v", ann, err)
		}
		if sso, _ := f.svc.GetUser(f.ctx, f.org.ID, res[1].User.ID); sso.Status != directory.StatusActive || sso.ActivatedAt == nil {
			t.Fatalf("an SSO user is active at once: %+v", sso)
		}
		if got, _ := f.svc.GetUser(f.ctx, f.org.ID, old.ID); got.Title != "Chief" || got.Version != old.Version+1 {
			t.Fatalf("updated %+v", got)
		}
		if diff := cmp.Diff([]string{"user.create"}, f.auditActions(t, ann.ID)); diff != "" {
			t.Fatalf("audit of a create (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"user.create", "user.update"}, f.auditActions(t, old.ID)); diff != "" {
			t.Fatalf("audit of an update (-want +got):\n%s", diff)
		}
	})

	t.Run("a row that breaks a rule fails alone", func(t *testing.T) {
		gone := f.user(t, admin, "gone@acme.com")
		if _, err := f.svc.DeleteUser(f.ctx, admin, f.org.ID, gone.ID, 0); err != nil {
			t.Fatal(err)
		}
		foreign, err := f.svc.CreateUser(f.ctx, admin, f.other.ID, &directory.User{UserName: "theirs@globex.com", PasswordHash: "x"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.svc.ImportUsers(f.ctx, admin, f.org.ID, []directory.ImportRow{
			{UserName: "Ann@acme.com", Create: &directory.User{UserName: "Ann@acme.com"}},
			{UserName: "ba\x00d", Create: &directory.User{UserName: "ba\x00d"}},
			{UserName: "props@acme.com", Create: &directory.User{UserName: "props@acme.com", Properties: map[string]any{"shoe": "42"}}},
			{UserName: "gone@acme.com", Update: setTitle("x")},
			{UserName: "theirs@globex.com", Update: setTitle("x")},
			{UserName: "nobody@acme.com", Update: setTitle("x")},
			{UserName: "old@acme.com", Update: func(u *directory.User) error { u.Status = directory.StatusSuspended; return nil }},
			{UserName: "old@acme.com", Update: func(*directory.User) error { return errors.New("no") }},
			{UserName: "fine@acme.com", Create: &directory.User{UserName: "fine@acme.com"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []directory.Code{directory.CodeConflict, directory.CodeInvalid, directory.CodeInvalid, directory.CodeInvalid,
			directory.CodeNotFound, directory.CodeNotFound, directory.CodeInvalid, directory.CodeInternal, ""}
		var got []directory.Code
		for _, r := range res {
			got = append(got, directory.ErrorCode(r.Err))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("codes (-want +got):\n%s", diff)
		}
		if res[8].Action != directory.ImportCreated {
			t.Fatalf("the good row: %+v", res[8])
		}
		if u, _ := f.svc.GetUser(f.ctx, f.other.ID, foreign.ID); u.Title != "" {
			t.Fatal("another organization's user was changed")
		}
	})

	t.Run("a row that may create or update does whichever applies", func(t *testing.T) {
		upsert := func(name string) directory.ImportRow {
			return directory.ImportRow{UserName: name, Create: &directory.User{UserName: name, Title: "New"}, Update: setTitle("Upserted")}
		}
		res, err := f.svc.ImportUsers(f.ctx, admin, f.org.ID, []directory.ImportRow{upsert("old@acme.com"), upsert("fresh@acme.com"), upsert("theirs@globex.com")})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Action != directory.ImportUpdated || res[0].User.Title != "Upserted" || res[1].Action != directory.ImportCreated ||
			res[1].User.Title != "New" || directory.ErrorCode(res[2].Err) != directory.CodeConflict {
			t.Fatalf("got %+v", res)
		}
	})

	t.Run("two rows of a batch cannot create the same userName", func(t *testing.T) {
		res, err := f.svc.ImportUsers(f.ctx, admin, f.org.ID, []directory.ImportRow{
			{UserName: "twin@acme.com", Create: &directory.User{UserName: "twin@acme.com"}},
			{UserName: "TWIN@acme.com", Create: &directory.User{UserName: "TWIN@acme.com"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Action != directory.ImportCreated || directory.ErrorCode(res[1].Err) != directory.CodeConflict {
			t.Fatalf("got %+v", res)
		}
	})

	t.Run("a batch that only creates fails each userName taken alone", func(t *testing.T) {
		gone := f.user(t, admin, "gone2@acme.com")
		if _, err := f.svc.DeleteUser(f.ctx, admin, f.org.ID, gone.ID, 0); err != nil {
			t.Fatal(err)
		}
		create := func(name string) directory.ImportRow {
			return directory.ImportRow{UserName: name, Create: &directory.User{UserName: name}}
		}
		res, err := f.svc.ImportUsers(f.ctx, admin, f.org.ID, []directory.ImportRow{
			create("first@acme.com"), create("OLD@acme.com"), create("gone2@acme.com"), create("theirs@globex.com"), create("last@acme.com"),
		})
		if err != nil {
			t.Fatal(err)
		}
		// A deleted user's userName is free; theirs@globex.com is on a
		// domain another organization verified.
		want := []directory.Code{"", directory.CodeConflict, "", directory.CodeConflict, ""}
		var got []directory.Code
		for _, r := range res {
			got = append(got, directory.ErrorCode(r.Err))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("codes (-want +got):\n%s", diff)
		}
		if res[2].User.ID == gone.ID {
			t.Fatal("the import revived the deleted user")
		}
		for _, i := range []int{0, 2, 4} {
			if res[i].Action != directory.ImportCreated {
				t.Fatalf("row %d: %+v", i, res[i])
			}
			if diff := cmp.Diff([]string{"user.create"}, f.auditActions(t, res[i].User.ID)); diff != "" {
				t.Fatalf("audit of row %d, written once (-want +got):\n%s", i, diff)
			}
		}
	})

	t.Run("a batch is bounded", func(t *testing.T) {
		_, err := f.svc.ImportUsers(f.ctx, admin, f.org.ID, make([]directory.ImportRow, directory.MaxImportBatch+1))
		if directory.ErrorCode(err) != directory.CodeInvalid {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("userNames are found in the organization regardless of case", func(t *testing.T) {
		found, err := f.svc.FindUsersByUserNames(f.ctx, f.org.ID, []string{"ANN@acme.com", "theirs@globex.com", "nobody@acme.com"})
		if err != nil || len(found) != 1 {
			t.Fatalf("found %d: %v", len(found), err)
		}
	})
}
