package integratorio

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func requireNoPanic(t *testing.T, name string, f func() error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", name, r)
		}
	}()
	if err := f(); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
	}
}

func TestNilContextIsAnErrorEverywhere(t *testing.T) {
	c, mt := regressionClient(t)
	var ctx context.Context
	fn := func(*Integration) error { return nil }
	requireNoPanic(t, "Integrations.Modify", func() error { _, err := c.Integrations.Modify(ctx, "i1", fn); return err })
	requireNoPanic(t, "Flows.Modify", func() error { _, err := c.Flows.Modify(ctx, "f1", func(*Flow) error { return nil }); return err })
	requireNoPanic(t, "ManagedUpdate", func() error { _, err := c.Integrations.ManagedUpdate(ctx, "i1", "1.1.0", fn); return err })
	requireNoPanic(t, "Rollout", func() error {
		_, err := c.Connectors.Rollout(ctx, "c1", "1.1.0", fn, &RolloutOptions{IntegrationIDs: []string{"i1"}, NoPush: true})
		return err
	})
	requireNoPanic(t, "Jobs.Wait", func() error { _, err := c.Jobs.Wait(ctx, "j1", nil); return err })
	requireNoPanic(t, "State.Get", func() error { _, err := c.State.Get(ctx, "k", nil); return err })
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	_ = fmt.Sprint
}
