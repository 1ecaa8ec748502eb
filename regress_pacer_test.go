package integratorio

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

func TestWritesThePacerHeldBackAreNotUnknownOutcomes(t *testing.T) {
	c, mt := regressionClient(t, WithRateLimit(1, 1))
	mt.RegisterResponder("GET", "=~.*", httpmock.NewStringResponder(200, `{"_id":"x"}`))
	_, _ = c.Integrations.Get(context.Background(), "x") // takes the only token
	writes := map[string]func(ctx context.Context) error{
		"Create": func(ctx context.Context) error { _, err := c.Flows.Create(ctx, &Flow{Name: "n"}); return err },
		"Run":    func(ctx context.Context) error { _, err := c.Flows.Run(ctx, "f", nil); return err },
		"Retry":  func(ctx context.Context) error { _, err := c.Flows.RetryErrors(ctx, "f", "s", "k"); return err },
		"Invoke": func(ctx context.Context) error { _, err := c.Exports.Invoke(ctx, "e", nil); return err },
		"Patch": func(ctx context.Context) error {
			return c.Flows.Patch(ctx, "f", PatchOp{Op: "replace", Path: "/name", Value: "x"})
		},
		"Do":    func(ctx context.Context) error { return c.Do(ctx, "POST", "/x", nil, nil) },
		"Clone": func(ctx context.Context) error { _, err := c.Integrations.Clone(ctx, "i", nil); return err },
	}
	for name, w := range writes {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		err := w(ctx)
		cancel()
		if err == nil || errors.Is(err, ErrUnknownOutcome) {
			t.Errorf("%s refused by the pacer: %v", name, err)
		}
	}
	if n := mt.GetTotalCallCount(); n != 1 {
		t.Errorf("%d requests", n)
	}
}
