package integratorio

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
)

// A push answered 429 (the account's bucket, not the ids) is not split as
// if it named a stale id.
func TestRolloutDoesNotSplitARateLimitedPush(t *testing.T) {
	c, mt := regressionClient(t)
	var ids []string
	for i := range 8 {
		ids = append(ids, fmt.Sprintf("i%d", i))
	}
	var pushes atomic.Int32
	mt.RegisterResponder("PUT", "=~/connectors/c1/update$", func(*http.Request) (*http.Response, error) {
		pushes.Add(1)
		r := httpmock.NewStringResponse(429, `{"errors":[{"code":"rate_limited","message":"slow down"}]}`)
		r.Header.Set("Retry-After", "3600")
		return r, nil
	})
	rep, err := c.Connectors.Rollout(context.Background(), "c1", "1.1.0", func(*Integration) error { return nil },
		&RolloutOptions{IntegrationIDs: ids})
	t.Logf("err: %v", err)
	if n := pushes.Load(); n > 1 {
		t.Errorf("a rate-limited push was sent %d times (split into halves); %d of %d installs ended %q",
			n, rep.Count(RolloutFailed), len(ids), RolloutFailed)
	}
}
