package integratorio

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

// A final write refused before it is sent (fn changed the id) is a failure,
// even when the fresh copy shows the target version unlocked (another
// actor): the function's changes were never stored.
func TestManagedUpdateAnUnsentFinalWriteIsNeverSuccess(t *testing.T) {
	c, mt := regressionClient(t)
	var gets, puts atomic.Int32
	mt.RegisterResponder("GET", "=~/integrations/i1$", func(*http.Request) (*http.Response, error) {
		if gets.Add(1) == 1 {
			return httpmock.NewStringResponse(200, `{"_id":"i1","version":"1.0.0","updateInProgress":true}`), nil
		}
		return httpmock.NewStringResponse(200, `{"_id":"i1","version":"1.1.0","updateInProgress":false}`), nil
	})
	mt.RegisterResponder("PUT", "=~/integrations/i1$", func(*http.Request) (*http.Response, error) {
		puts.Add(1)
		return httpmock.NewStringResponse(200, `{"_id":"i1"}`), nil
	})
	out, err := c.Integrations.ManagedUpdate(context.Background(), "i1", "1.1.0", func(in *Integration) error {
		in.ID = "i2" // a bug in fn: Update refuses it before sending
		return nil
	})
	if err == nil {
		t.Errorf("ManagedUpdate returned success (version %s) with %d PUTs sent; its final write was refused before sending", out.Version, puts.Load())
	}
}

// A final write the pacer held back (never sent), followed by a failed read
// for the unlock, is not reported as a write that may have been applied.
func TestManagedUpdateAFinalWriteThePacerHeldBackIsNotAnUnknownOutcome(t *testing.T) {
	c, mt := regressionClient(t, WithRateLimit(1, 1))
	var gets, puts atomic.Int32
	mt.RegisterResponder("GET", "=~/integrations/i1$", func(*http.Request) (*http.Response, error) {
		if gets.Add(1) == 1 {
			return httpmock.NewStringResponse(200, `{"_id":"i1","version":"1.0.0","updateInProgress":true}`), nil
		}
		return httpmock.NewStringResponse(503, ``), nil
	})
	mt.RegisterResponder("PUT", "=~/integrations/i1$", func(*http.Request) (*http.Response, error) {
		puts.Add(1)
		return httpmock.NewStringResponse(200, `{"_id":"i1"}`), nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Integrations.ManagedUpdate(ctx, "i1", "1.1.0", func(*Integration) error { return nil })
	var mue *ManagedUpdateError
	if !errors.As(err, &mue) {
		t.Fatal(err)
	}
	t.Logf("puts=%d step=%s err=%v", puts.Load(), mue.Phase, err)
	if puts.Load() == 0 && (mue.OutcomeUnknown || errors.Is(err, ErrUnknownOutcome)) {
		t.Errorf("no PUT was sent, yet OutcomeUnknown=%v and errors.Is(err, ErrUnknownOutcome)=%v", mue.OutcomeUnknown, errors.Is(err, ErrUnknownOutcome))
	}
}
