package integratorio_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// Re-running a rollout over explicit IntegrationIDs writes nothing to the
// installs it already updated.
func TestRolloutRerunWithIntegrationIDsWritesNothing(t *testing.T) {
	srv := integratoriotest.NewServer()
	defer srv.Close()
	var ids []string
	for i := range 3 {
		id, err := srv.AddIntegrationJSON([]byte(fmt.Sprintf(`{"name":"i%d","_connectorId":"c0nnect0r0000000000000001","version":"1.0.0","updateInProgress":false}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	client := srv.Client()
	fn := func(in *integratorio.Integration) error { return in.EnsureSettings().Set("x", 1) }
	opts := &integratorio.RolloutOptions{IntegrationIDs: ids}
	if _, err := client.Connectors.Rollout(context.Background(), "c0nnect0r0000000000000001", "1.1.0", fn, opts); err != nil {
		t.Fatal(err)
	}
	srv.ResetRequests()
	rep, err := client.Connectors.Rollout(context.Background(), "c0nnect0r0000000000000001", "1.1.0", fn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("already current: %d of %d", rep.Count(integratorio.RolloutAlreadyCurrent), len(ids))
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("second run wrote: %s %s %s", r.Method, r.Path, r.Body)
		}
	}
}

// NoPush ("for installs already pushed"): an install already at the target
// but still locked by that earlier push is unlocked, and reported so.
func TestRolloutNoPushUnlocksAPushedCurrentInstall(t *testing.T) {
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"i","_connectorId":"c0nnect0r0000000000000001","version":"1.1.0","updateInProgress":true}`))
	if err != nil {
		t.Fatal(err)
	}
	client := srv.Client()
	rep, err := client.Connectors.Rollout(context.Background(), "c0nnect0r0000000000000001", "1.1.0",
		func(*integratorio.Integration) error { return nil }, &integratorio.RolloutOptions{NoPush: true, IntegrationIDs: []string{id}})
	t.Logf("err=%v results=%+v", err, rep.Results)
	in, gerr := client.Integrations.Get(context.Background(), id)
	if gerr != nil {
		t.Fatal(gerr)
	}
	if in.UpdateInProgress && len(rep.LeftLocked()) == 0 {
		t.Errorf("install %s is still locked (updateInProgress true) but the report says %q, Locked=false, LeftLocked()=%v",
			id, rep.Results[0].Status, rep.LeftLocked())
	}
}

// With AllowSameVersion, installs the install base shows above the target
// are neither pushed nor written.
func TestRolloutAllowSameVersionLeavesInstallsAboveTheTargetAlone(t *testing.T) {
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"i","_connectorId":"c0nnect0r0000000000000001","version":"2.0.0","updateInProgress":false}`))
	if err != nil {
		t.Fatal(err)
	}
	client := srv.Client()
	rep, err := client.Connectors.Rollout(context.Background(), "c0nnect0r0000000000000001", "1.1.0",
		func(*integratorio.Integration) error { return nil },
		&integratorio.RolloutOptions{UpdateOptions: []integratorio.ManagedUpdateOption{integratorio.AllowSameVersion()}})
	t.Logf("err=%v results=%+v", err, rep.Results)
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			t.Errorf("install %s at 2.0.0 (target 1.1.0) was written: %s %s", id, r.Method, r.Path)
		}
	}
}
