package engine_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
	"github.com/roster/roster/sync/entra"
)

// With the shares alone, one deletion in a small directory is a mass
// deletion; the minimum counts let it through, and still hold a large
// change.
func TestSmallChangesPassTheMinimumCounts(t *testing.T) {
	mins := func(j *engine.Job) {
		j.Policy.ThresholdMin, j.Policy.GroupThresholdMin, j.Policy.MemberThresholdMin =
			directory.DefaultThresholdMin, directory.DefaultThresholdMin, directory.DefaultMemberThresholdMin
	}

	t.Run("one of two groups deleted", func(t *testing.T) {
		target := newFakeTarget()
		runJob(t, target, append(users(2), dirGroup("g-1", "Old", "dn-ref-1"), dirGroup("g-2", "Kept", "dn-ref-2")), mins)

		strictRep := runJob(t, target, append(users(2), dirGroup("g-2", "Kept", "dn-ref-2")), nil)
		if !strictRep.Held || !strings.Contains(strings.Join(strictRep.Reasons, ";"), "1 of 2 groups deleted") {
			t.Fatalf("with no minimum: held %t, reasons %q; want held for the group", strictRep.Held, strictRep.Reasons)
		}
		rep := runJob(t, target, append(users(2), dirGroup("g-2", "Kept", "dn-ref-2")), mins)
		if rep.Held || rep.Counts[directory.SyncGroupDelete] != 1 || len(target.groups) != 1 {
			t.Errorf("held %t (%q), counts %v, groups %v; want Old deleted", rep.Held, rep.Reasons, rep.Counts, target.groups)
		}
	})

	t.Run("a few users of a small directory", func(t *testing.T) {
		target := newFakeTarget()
		runJob(t, target, users(5), mins)
		rep := runJob(t, target, users(2), mins) // 3 of 5 gone: 60%, but only 3
		if rep.Held || rep.Counts[directory.SyncSuspend] != 3 {
			t.Errorf("held %t (%q), counts %v; want 3 suspensions", rep.Held, rep.Reasons, rep.Counts)
		}
	})

	t.Run("past the share and the minimum", func(t *testing.T) {
		target := newFakeTarget()
		runJob(t, target, users(30), mins)
		rep := runJob(t, target, users(19), mins) // 11 of 30 gone: 37%, and more than 10
		if !rep.Held || rep.Counts[directory.SyncSuspend] != 0 || len(rep.Pending) != 11 {
			t.Fatalf("held %t, counts %v, pending %d; want 11 suspensions held", rep.Held, rep.Counts, len(rep.Pending))
		}
		if want := "11 of 30 users deprovisioned (36.7%), over the threshold of 20% and more than 10"; rep.Reasons[0] != want {
			t.Errorf("reason = %q, want %q", rep.Reasons[0], want)
		}
		if u := target.byName("user30@corp.test"); u.Status != directory.StatusActive {
			t.Errorf("a held run suspended user30")
		}
	})

	t.Run("memberships", func(t *testing.T) {
		target := newFakeTarget()
		var all []string
		for i := 1; i <= 20; i++ {
			all = append(all, "dn-ref-"+strconv.Itoa(i))
		}
		runJob(t, target, append(users(20), dirGroup("g-1", "All", all...)), mins)
		// 15 of 20 memberships removed: 75%, but fewer than 100.
		rep := runJob(t, target, append(users(20), dirGroup("g-1", "All", all[:5]...)), mins)
		if rep.Held || rep.Counts[directory.SyncMemberRemove] != 15 {
			t.Errorf("held %t (%q), counts %v; want 15 removals", rep.Held, rep.Reasons, rep.Counts)
		}
	})

	t.Run("negative minimums are refused", func(t *testing.T) {
		if err := (engine.Policy{Deprovision: engine.DeprovisionSuspend, GroupThresholdMin: -1}).Validate(); err == nil {
			t.Error("Validate accepted a negative minimum")
		}
	})
}

func TestConnectorsKeepTheirMinimumCounts(t *testing.T) {
	forEachStore(t, func(t *testing.T, store directory.Store) {
		g := graphTenant(t, 1)
		e := newEnv(t, store, entra.Kind(entra.WithHTTPClient(g.Client())))
		settings, _ := json.Marshal(entra.Settings{TenantID: g.TenantID, ClientID: g.ClientID, AuthorityURL: g.URL, GraphURL: g.URL})
		c := e.connector(engine.ConnectorInput{Name: ptr("Contoso"), Kind: entra.KindName, Settings: settings,
			Secrets: map[string]string{entra.SecretClientSecret: g.ClientSecret}})
		if c.ThresholdMin != 10 || c.GroupThresholdMin != 10 || c.MemberThresholdMin != 100 {
			t.Errorf("defaults = %d, %d, %d; want 10, 10, 100", c.ThresholdMin, c.GroupThresholdMin, c.MemberThresholdMin)
		}
		up, err := e.runner.UpdateConnector(e.ctx, e.admin, e.org.ID, c.ID, 0, engine.ConnectorInput{ThresholdMin: ptr(0), MemberThresholdMin: ptr(500)})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := e.dir.GetConnector(e.ctx, e.org.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if up.ThresholdMin != 0 || stored.ThresholdMin != 0 || stored.GroupThresholdMin != 10 || stored.MemberThresholdMin != 500 {
			t.Errorf("after update: view %+v, stored %d, %d, %d", up, stored.ThresholdMin, stored.GroupThresholdMin, stored.MemberThresholdMin)
		}
		_, err = e.runner.UpdateConnector(e.ctx, e.admin, e.org.ID, c.ID, 0, engine.ConnectorInput{GroupThresholdMin: ptr(-1)})
		if directory.ErrorCode(err) != directory.CodeInvalid {
			t.Errorf("a negative minimum: %v, want invalid", err)
		}
		if again, _ := e.dir.GetConnector(e.ctx, e.org.ID, c.ID); again.GroupThresholdMin != 10 || again.Version != stored.Version {
			t.Errorf("a refused update changed the connector: %+v", again)
		}
	})
}
