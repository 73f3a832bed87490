package engine_test

import (
	"encoding/json"
	"testing"

	"github.com/roster/roster/internal/directory"
	"github.com/roster/roster/sync/engine"
)

// Run history keeps plans and errors as the engine wrote them; runs
// recorded by earlier versions are read back, so the documents keep their
// shape byte for byte.
func TestStoredPlansReadBackUnchanged(t *testing.T) {
	const stored = `{"items":[{"op":"create","ref":"ref-1","userName":"ada@corp.test"},` +
		`{"op":"group_update","ref":"g-1","target":"01J0GROUP","detail":"2 members added, 0 removed"},` +
		`{"op":"suspend","ref":"ref-2","target":"01J0USER","detail":"no longer in the directory"}],` +
		`"truncated":3,"held":["ref-2"]}`
	var plan engine.Plan
	if err := json.Unmarshal([]byte(stored), &plan); err != nil {
		t.Fatal(err)
	}
	if plan.Items[1].Op != directory.SyncGroupUpdate || plan.Items[2].Op != directory.SyncSuspend {
		t.Errorf("ops read back as %q and %q", plan.Items[1].Op, plan.Items[2].Op)
	}
	again, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != stored {
		t.Errorf("plan written back as\n%s\nwant\n%s", again, stored)
	}

	const errors = `[{"op":"conflict","ref":"ref-3","userName":"bob@corp.test","detail":"userName taken"},{"op":"error","ref":"g-2","target":"01J0GROUP","detail":"boom"}]`
	var items []engine.PlanItem
	if err := json.Unmarshal([]byte(errors), &items); err != nil {
		t.Fatal(err)
	}
	if again, _ := json.Marshal(items); string(again) != errors {
		t.Errorf("errors written back as\n%s\nwant\n%s", again, errors)
	}
}
