package integratorio_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A final write the server refused is a failure, even when the fresh read
// shows the target version unlocked (another actor finished an update to
// it): the function's changes were never stored.
func TestManagedUpdateARefusedFinalWriteIsNeverTakenForSuccess(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	ctx := context.Background()
	other := srv.Client()
	out, err := client.Integrations.ManagedUpdate(ctx, id, "1.0.1", func(in *integratorio.Integration) error {
		// Another actor finishes the same version meanwhile ...
		doc, err := other.Integrations.Get(ctx, id)
		require.NoError(t, err)
		doc.UpdateInProgress = false
		_, err = other.Integrations.Update(ctx, id, doc)
		require.NoError(t, err)
		// ... and this update's final write is refused.
		srv.FailNext(1, http.StatusBadRequest, integratoriotest.OnMethod(http.MethodPut))
		return in.EnsureSettings().Set("mine", true)
	}, integratorio.AllowSameVersion())
	require.Error(t, err)
	assert.Nil(t, out)
	var mue *integratorio.ManagedUpdateError
	require.ErrorAs(t, err, &mue)
	assert.Equal(t, integratorio.PhaseFinalWrite, mue.Phase)
	assert.False(t, mue.OutcomeUnknown, "a refusal is known not to have been applied")
	assert.NotErrorIs(t, err, integratorio.ErrUnknownOutcome)
	var apiErr *integratorio.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	require.ErrorIs(t, err, integratorio.ErrBadRequest)
	settings := stored(t, srv, id)["settings"].(map[string]any)
	assert.NotContains(t, settings, "mine", "the function's change was not stored")
}

// Modify from many goroutines of one client loses no update: the
// read-modify-writes of one id are serialised within the client.
func TestConcurrentModifiesOfOneIntegrationLoseNoUpdate(t *testing.T) {
	t.Parallel()
	srv, client, id := managedFixture(t, false)
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for g := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[g] = client.Integrations.Modify(ctx, id, func(in *integratorio.Integration) error {
				var count int
				if _, err := in.EnsureSettings().Get("counter", &count); err != nil {
					return err
				}
				return in.Settings.Set("counter", count+1)
			})
		}()
	}
	wg.Wait()
	for g, err := range errs {
		require.NoError(t, err, "goroutine %d", g)
	}
	settings := stored(t, srv, id)["settings"].(map[string]any)
	assert.EqualValues(t, n, settings["counter"], "every increment is kept")
	puts := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPut {
			puts++
		}
	}
	assert.Equal(t, n, puts, "one PUT per Modify: none had to start over")
}

// A Modify waiting for another one of the same id ends with its context.
func TestModifyWaitingForAnotherEndsWithItsContext(t *testing.T) {
	t.Parallel()
	_, client, id := managedFixture(t, false)
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := client.Integrations.Modify(context.Background(), id, func(*integratorio.Integration) error {
			close(inside)
			<-release
			return nil
		})
		done <- err
	}()
	<-inside
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := client.Integrations.Modify(ctx, id, func(*integratorio.Integration) error {
		t.Error("ran while another Modify of the same id was running")
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	close(release)
	require.NoError(t, <-done)
	// Another id is not held up by the first.
	srv2, client2, id2 := managedFixture(t, false)
	_ = srv2
	_, err = client2.Integrations.Modify(context.Background(), id2, func(*integratorio.Integration) error { return nil })
	require.NoError(t, err)
}

// Update refuses, before sending, a document whose id is not the id given:
// the PUT would overwrite one integration with another's members.
func TestUpdateRefusesADocumentOfAnotherIntegration(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	idA, err := srv.AddIntegrationJSON([]byte(`{"name":"A"}`))
	require.NoError(t, err)
	idB, err := srv.AddIntegrationJSON([]byte(`{"name":"B"}`))
	require.NoError(t, err)
	client := srv.Client()
	ctx := context.Background()
	docA, err := client.Integrations.Get(ctx, idA)
	require.NoError(t, err)
	srv.ResetRequests()
	_, err = client.Integrations.Update(ctx, idB, docA)
	require.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	assert.Contains(t, err.Error(), idA)
	assert.Empty(t, srv.Requests(), "nothing is sent")
	assert.Equal(t, "B", stored(t, srv, idB)["name"])

	// A document without an id (built in code) may be written anywhere.
	_, err = client.Integrations.Update(ctx, idB, &integratorio.Integration{Name: "B2"})
	require.NoError(t, err)
	assert.Equal(t, "B2", stored(t, srv, idB)["name"])
}
