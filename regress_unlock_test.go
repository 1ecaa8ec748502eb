package integratorio

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitForWaiters spins until n callers hold or wait for key's lock.
func waitForWaiters(t *testing.T, k *keyedLock, key string, n int) {
	t.Helper()
	for range 1_000_000 {
		k.mu.Lock()
		e := k.m[key]
		got := 0
		if e != nil {
			got = e.refs
		}
		k.mu.Unlock()
		if got >= n {
			return
		}
		runtime.Gosched()
	}
	t.Fatalf("no %d callers on the lock of %s", n, key)
}

// Unlock is a read-modify-write too: run while a ManagedUpdate of the same
// integration is in flight on the same client, it waits for it, and then
// finds nothing to unlock, instead of writing back a copy read before the
// update and erasing it.
func TestUnlockIsSerialisedWithManagedUpdate(t *testing.T) {
	c, mt := regressionClient(t)
	var mu sync.Mutex
	stored := []byte(`{"_id":"i1","version":"1.0.0","updateInProgress":true,"settings":{}}`)
	puts := 0
	mt.RegisterResponder("GET", "=~/integrations/i1$", func(*http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		return httpmock.NewBytesResponse(200, stored), nil
	})
	mt.RegisterResponder("PUT", "=~/integrations/i1$", func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		stored, puts = b, puts+1
		return httpmock.NewBytesResponse(200, b), nil
	})
	unlocked := make(chan error, 1)
	_, err := c.Integrations.ManagedUpdate(context.Background(), "i1", "1.1.0", func(in *Integration) error {
		go func() { _, err := c.Integrations.Unlock(context.Background(), "i1"); unlocked <- err }()
		waitForWaiters(t, c.locks, "/integrations/i1", 2) // Unlock waits for this update
		return in.EnsureSettings().Set("refundsExportId", "exp-1")
	})
	require.NoError(t, err)
	require.NoError(t, <-unlocked)
	mu.Lock()
	defer mu.Unlock()
	var d struct {
		Version          string
		UpdateInProgress bool
		Settings         map[string]any
	}
	require.NoError(t, json.Unmarshal(stored, &d))
	assert.Equal(t, "1.1.0", d.Version, "the update is kept")
	assert.Equal(t, "exp-1", d.Settings["refundsExportId"])
	assert.False(t, d.UpdateInProgress)
	assert.Equal(t, 1, puts, "only the update's final write: Unlock found nothing to unlock")
}
