package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// A connector kind defined here, outside every other package, to show
// what a fourth kind takes: its own code and its registration with the
// runner, nothing else. It reads an HR system's people: a ref, an email,
// a title, a cost center and whether they are employed.
type person struct {
	ref, email, title, costCenter string
	employed                      bool
}

// hrisDirectory is the HR system's state, shared by the test and the
// kind's connectors.
type hrisDirectory struct{ people map[string]person }

type hrisSettings struct {
	Tenant string `json:"tenant"`
}

const hrisKind directory.ConnectorKind = "hris"

func (d *hrisDirectory) kind() engine.Kind {
	defaults := engine.Mapping{directory.UserUserName: "email", directory.UserEmail: "email", directory.UserTitle: "title"}
	return engine.Kind{
		Name: hrisKind, Label: "Example HR system", Source: "hris",
		Settings: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["tenant"],` +
			`"properties":{"tenant":{"type":"string","title":"Tenant"}}}`),
		Secrets: []string{"apiKey"},
		Mapping: defaults,
		New: func(raw json.RawMessage, mapping engine.Mapping, secrets map[string]string) (engine.Connector, error) {
			var s hrisSettings
			if err := engine.DecodeSettings(raw, &s); err != nil {
				return nil, err
			}
			if s.Tenant == "" {
				return nil, errors.New("hris: tenant is required")
			}
			// mapping holds the connector's overrides of the defaults.
			return &hrisConnector{d: d, mapping: defaults.With(mapping)}, nil
		},
	}
}

type hrisConnector struct {
	d       *hrisDirectory
	mapping engine.Mapping
}

func (c *hrisConnector) Check(context.Context) error { return nil }

func (c *hrisConnector) Fetch(_ context.Context, _ engine.FetchRequest, emit func(engine.Entry) error) (engine.FetchResult, error) {
	refs := make([]string, 0, len(c.d.people))
	for ref := range c.d.people {
		refs = append(refs, ref)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		p := c.d.people[ref]
		values := map[string]string{"email": p.email, "title": p.title, "cost": p.costCenter}
		attrs := c.mapping.Apply(func(attr string) string { return values[attr] })
		if err := emit(engine.Entry{Kind: engine.EntryUser, Ref: ref, User: &engine.UserRecord{Attrs: attrs, Active: p.employed}}); err != nil {
			return engine.FetchResult{}, err
		}
	}
	return engine.FetchResult{Full: true}, nil
}

func TestAKindDefinedOutsideTheEngineRunsEndToEnd(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		hr := &hrisDirectory{people: map[string]person{
			"p1": {ref: "p1", email: "ana@corp.test", title: "Nurse", costCenter: "CC-1", employed: true},
			"p2": {ref: "p2", email: "ben@corp.test", title: "Porter", costCenter: "CC-2", employed: true},
			"p3": {ref: "p3", email: "cat@corp.test", title: "Surgeon", costCenter: "CC-1", employed: true},
		}}
		e := newEnv(t, store, hr.kind())

		t.Log("the runner describes the kind as it was registered")
		kinds := e.runner.Kinds()
		if len(kinds) != 1 || kinds[0].Name != hrisKind || kinds[0].Label != "Example HR system" || kinds[0].Source != "hris" ||
			!cmp.Equal(kinds[0].Secrets, []string{"apiKey"}) || kinds[0].Mapping["title"] != "title" || !json.Valid(kinds[0].Settings) {
			t.Fatalf("Kinds() = %+v", kinds)
		}

		t.Log("connectors of the kind are checked against it")
		for _, tc := range []struct {
			name  string
			in    engine.ConnectorInput
			field string
		}{
			{"a kind the runner lacks", engine.ConnectorInput{Name: ptr("X"), Kind: "ldap", Settings: json.RawMessage(`{"tenant":"t"}`),
				Secrets: map[string]string{"apiKey": "k"}}, "kind"},
			{"a missing secret", engine.ConnectorInput{Name: ptr("X"), Kind: hrisKind, Settings: json.RawMessage(`{"tenant":"t"}`)}, "secrets"},
			{"a secret the kind has not", engine.ConnectorInput{Name: ptr("X"), Kind: hrisKind, Settings: json.RawMessage(`{"tenant":"t"}`),
				Secrets: map[string]string{"apiKey": "k", "password": "p"}}, "secrets"},
			{"an unknown setting", engine.ConnectorInput{Name: ptr("X"), Kind: hrisKind, Settings: json.RawMessage(`{"tenant":"t","color":"red"}`),
				Secrets: map[string]string{"apiKey": "k"}}, "settings"},
			{"settings the kind refuses", engine.ConnectorInput{Name: ptr("X"), Kind: hrisKind, Secrets: map[string]string{"apiKey": "k"}}, "settings"},
		} {
			_, err := e.runner.CreateConnector(e.ctx, e.admin, e.org.ID, tc.in)
			var de *directory.Error
			if !errors.As(err, &de) || de.Code != directory.CodeInvalid || de.Field != tc.field {
				t.Errorf("%s: CreateConnector = %v, want invalid %s", tc.name, err, tc.field)
			}
		}

		c := e.connector(engine.ConnectorInput{Name: ptr("HR"), Kind: hrisKind, Settings: json.RawMessage(`{"tenant":"corp"}`),
			Secrets: map[string]string{"apiKey": "k"}, Mapping: map[string]string{"enterprise.costCenter": "cost"}})
		first := e.run(c.ID)
		wantCounts(t, "first run", first, map[string]int{"create": 3})
		for _, it := range first.Errors {
			t.Errorf("first run: %s %s: %s", it.Op, it.Ref, it.Detail)
		}
		ana := e.user("ana@corp.test")
		if ana.Source != "hris" || ana.SourceRef != "p1" || ana.Title != "Nurse" || ana.Enterprise.CostCenter != "CC-1" ||
			ana.StatusSetBy != "hris" {
			t.Errorf("ana = source %s ref %s, title %q, cost center %q, status set by %s; want hris's user with its attributes",
				ana.Source, ana.SourceRef, ana.Title, ana.Enterprise.CostCenter, ana.StatusSetBy)
		}

		t.Log("status changes are the kind's, under its own authority")
		if _, err := e.dir.SetStatus(e.ctx, e.admin, e.org.ID, e.user("cat@corp.test").ID, directory.StatusSuspended, "on leave"); err != nil {
			t.Fatal(err)
		}
		ben := hr.people["p2"]
		ben.employed = false
		hr.people["p2"] = ben
		wantCounts(t, "a leaver", e.run(c.ID), map[string]int{"suspend": 1})
		if u := e.user("ben@corp.test"); u.Status != directory.StatusSuspended || u.StatusSetBy != "hris" {
			t.Errorf("ben = %s set by %s, want suspended by hris", u.Status, u.StatusSetBy)
		}
		if u := e.user("cat@corp.test"); u.Status != directory.StatusSuspended || u.StatusSetBy != directory.AuthorityAdmin {
			t.Errorf("cat = %s set by %s; the kind lifted an admin's suspension", u.Status, u.StatusSetBy)
		}
		ben.employed = true
		hr.people["p2"] = ben
		wantCounts(t, "a return", e.run(c.ID), map[string]int{"reactivate": 1})

		t.Log("the audit log shows the connector as the actor of every change")
		if n := e.auditCount(c.ID, "user.create"); n != 3 {
			t.Errorf("%d user.create events by the connector, want 3", n)
		}
		page, err := e.dir.ListAudit(e.ctx, e.org.ID, directory.AuditQuery{ActorID: c.ID, Action: "user.update", Limit: 10})
		if err != nil || len(page.Events) != 2 {
			t.Fatalf("user.update events by the connector = %d, %v; want 2", len(page.Events), err)
		}
		for _, ev := range page.Events {
			if ev.ActorKind != directory.ActorConnector || ev.ActorName != "HR" || ev.Changes["status"].After == nil {
				t.Errorf("event %s by %s %q changes %v; want a status change by connector HR", ev.Action, ev.ActorKind, ev.ActorName, ev.Changes)
			}
		}
	})
}

func TestKindsAreCheckedWhenRegistered(t *testing.T) {
	good := (&hrisDirectory{}).kind()
	for _, tc := range []struct {
		name   string
		mutate func(k *engine.Kind)
		want   string
	}{
		{"a name that is no kind's", func(k *engine.Kind) { k.Name = "HR System" }, "not a kind's name"},
		{"no label", func(k *engine.Kind) { k.Label = "" }, "needs a label"},
		{"no constructor", func(k *engine.Kind) { k.New = nil }, "needs a label and a constructor"},
		{"SCIM's source", func(k *engine.Kind) { k.Source = directory.SourceSCIM }, "not a directory's"},
		{"Roster's own source", func(k *engine.Kind) { k.Source = directory.SourceImport }, "not a directory's"},
		{"no settings schema", func(k *engine.Kind) { k.Settings = nil }, "settings schema"},
		{"a default mapping without userName", func(k *engine.Kind) { k.Mapping = engine.Mapping{directory.UserTitle: "title"} }, "userName"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := good
			tc.mutate(&k)
			if _, err := engine.Describe(k); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Describe = %v, want an error saying %q", err, tc.want)
			}
		})
	}
	if _, err := engine.Describe(good, good); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("a kind given twice: %v", err)
	}
	infos, err := engine.Describe(good)
	if err != nil || len(infos) != 1 || infos[0].Source != "hris" {
		t.Errorf("Describe(hris) = %+v, %v", infos, err)
	}
	noSource := good
	noSource.Source = ""
	if infos, err := engine.Describe(noSource); err != nil || infos[0].Source != "hris" {
		t.Errorf("a kind without a source: %+v, %v; want its name as source", infos, err)
	}
}
