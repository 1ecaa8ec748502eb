package integratorio_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
	"github.com/integratorio-go/integratorio/integratoriotest/recording"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateAndCloneWithDroppedConnectionHappenOnce(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	tmpl, err := srv.AddIntegrationJSON([]byte(`{"name":"template"}`))
	require.NoError(t, err)

	srv.DropNext(1, integratoriotest.OnMethod(http.MethodPost))
	_, err = client.Integrations.Create(ctx, &integratorio.Integration{Name: "made once"})
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)

	srv.DropNext(1, integratoriotest.OnMethod(http.MethodPost))
	_, err = client.Integrations.Clone(ctx, tmpl, &integratorio.CloneOptions{Name: "cloned once"})
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)

	names := map[string]int{}
	list, err := client.Integrations.List(ctx, nil)
	require.NoError(t, err)
	for _, in := range list {
		names[in.Name]++
	}
	assert.Equal(t, map[string]int{"template": 1, "made once": 1, "cloned once": 1}, names, "exactly one of each exists")
	posts := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			posts++
		}
	}
	assert.Equal(t, 2, posts, "neither write was sent twice")
}

func TestDeleteRetriedAfterTheServerDeletedSucceeds(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"doomed"}`))
	require.NoError(t, err)
	srv.DropNext(1, integratoriotest.OnMethod(http.MethodDelete))
	require.NoError(t, srv.Client().Integrations.Delete(context.Background(), id))
	_, ok := srv.IntegrationJSON(id)
	assert.False(t, ok)
	var statuses []int
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
	}
	assert.Equal(t, []int{http.StatusNoContent, http.StatusNotFound}, statuses)
}

func TestServerErrorStormOnGetIsBounded(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"x"}`))
	require.NoError(t, err)
	srv.FailNext(100, http.StatusServiceUnavailable)
	_, err = srv.Client().Integrations.Get(context.Background(), id)
	var apiErr *integratorio.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	assert.Len(t, srv.Requests(), integratorio.DefaultRetryPolicy().MaxRetries+1)
}

func TestManyGoroutinesShareOneClient(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer(integratoriotest.WithPageSize(50))
	defer srv.Close()
	client := srv.Client()
	ctx := context.Background()
	var seeded []string
	for i := range 20 {
		id, err := srv.AddIntegrationJSON(fmt.Appendf(nil, `{"name":"seed %d","custom":{"n":%d}}`, i, i))
		require.NoError(t, err)
		seeded = append(seeded, id)
	}

	const workers = 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	created := make(chan string, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := seeded[w%len(seeded)]
			var err error
			switch w % 5 {
			case 0:
				var in *integratorio.Integration
				in, err = client.Integrations.Create(ctx, &integratorio.Integration{Name: fmt.Sprintf("worker %d", w)})
				if err == nil {
					created <- in.ID
				}
			case 1:
				err = client.Integrations.Patch(ctx, id, integratorio.PatchOp{Op: "add", Path: "/tag", Value: fmt.Sprint(w)})
			case 2:
				_, err = client.Integrations.List(ctx, nil)
			case 3:
				var in *integratorio.Integration
				if in, err = client.Integrations.Get(ctx, id); err == nil {
					in.Description = fmt.Sprint("by ", w)
					_, err = client.Integrations.Update(ctx, id, in)
				}
			default:
				_, err = client.Integrations.Get(ctx, id)
			}
			if err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(created)
	for err := range errs {
		t.Error(err)
	}
	assert.Len(t, created, workers/5)
	all, err := client.Integrations.List(ctx, nil)
	require.NoError(t, err)
	assert.Len(t, all, len(seeded)+workers/5, "every create happened exactly once")
	for _, id := range seeded {
		raw, ok := srv.IntegrationJSON(id)
		require.True(t, ok)
		var doc struct{ Custom map[string]int }
		require.NoError(t, json.Unmarshal(raw, &doc))
		assert.Contains(t, doc.Custom, "n", "untyped members survived concurrent read-modify-writes")
	}
}

// TestTokenNeverLeaks drives every error path with a debug logger and a
// recording transport, and looks for the token everywhere.
func TestTokenNeverLeaks(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer(integratoriotest.WithToken("tok-LEAKCHECK-9f8e7d6c5b4a"))
	defer srv.Close()
	token := srv.Token
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"x"}`))
	require.NoError(t, err)

	var logs integratorio.LockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := recording.NewRecorder(srv.HTTPClient().Transport)
	fast := integratorio.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}
	client := srv.Client(integratorio.WithLogger(logger), integratorio.WithHTTPClient(&http.Client{Transport: rec}), integratorio.WithRetryPolicy(fast))
	wrong, err := integratorio.NewClient(token+"-wrong", integratorio.WithBaseURL(srv.URL), integratorio.WithLogger(logger), integratorio.WithHTTPClient(&http.Client{Transport: rec}))
	require.NoError(t, err)
	ctx := context.Background()

	var errs []error
	collect := func(err error) {
		t.Helper()
		require.Error(t, err)
		errs = append(errs, err)
	}
	_, err = wrong.Integrations.Get(ctx, id) // 401
	collect(err)
	srv.FailNext(1, http.StatusForbidden)
	_, err = client.Integrations.Get(ctx, id)
	collect(err)
	_, err = client.Integrations.Get(ctx, "000000000000000000000000") // 404
	collect(err)
	srv.RateLimitNext(3, 0)
	_, err = client.Integrations.Get(ctx, id) // 429 exhausted
	collect(err)
	srv.FailNext(3, http.StatusBadGateway)
	_, err = client.Integrations.Get(ctx, id) // 5xx exhausted
	collect(err)
	srv.DropNext(1, integratoriotest.OnMethod(http.MethodPost))
	_, err = client.Integrations.Create(ctx, &integratorio.Integration{Name: "y"}) // transport error
	collect(err)
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>" + r.Header.Get("Authorization") + "</html>")) // a server echoing the header
	}))
	defer html.Close()
	echo, err := integratorio.NewClient(token, integratorio.WithBaseURL(html.URL+"/v1"), integratorio.WithLogger(logger))
	require.NoError(t, err)
	_, err = echo.Integrations.Get(ctx, id) // decode error
	collect(err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = client.Integrations.Get(cctx, id) // context cancelled
	collect(err)

	assert.True(t, errors.Is(errs[0], integratorio.ErrUnauthorized))
	for i, err := range errs {
		assert.NotContains(t, err.Error(), token, "error %d", i)
		assert.NotContains(t, fmt.Sprintf("%+v", err), token, "error %d", i)
	}
	assert.NotContains(t, logs.String(), token)
	assert.Contains(t, logs.String(), "status=429", "the logger did see the failures")
	cassette, err := rec.Cassette().Marshal()
	require.NoError(t, err)
	assert.NotContains(t, string(cassette), token)
	assert.NotContains(t, string(cassette), strings.TrimPrefix(token, "tok-"))
	for _, r := range srv.Requests() {
		raw, _ := json.Marshal(r)
		assert.NotContains(t, string(raw), token)
	}
}
