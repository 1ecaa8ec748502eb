package integratoriotest_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
	"github.com/integratorio-go/integratorio/integratoriotest/recording"
)

// Re-record the committed fixture with
//
//	go test ./integratoriotest -run TestRecordThenReplay -update
var update = flag.Bool("update", false, "record testdata/recorded/integrations.json again")

const (
	fixturePath = "testdata/recorded/integrations.json"
	// recordingToken is the fake token the fixture is recorded with; it must
	// never appear in the fixture.
	recordingToken = "fake-recording-token-do-not-use"
	// hexSecret looks like an API token and is sent in a settings member
	// whose name does not say it is secret.
	hexSecret = "0123456789abcdef0123456789abcdef"
)

// wantTranscript is what walkthrough reports, live or replayed.
var wantTranscript = []string{
	"list: Orders, Invoices, Customers",
	"get: Orders version 1.0.0",
	"create: Recorded settings [apiToken notes region]",
	"update: region=eu",
	"patch: Recorded v2",
	"clone: Clone of Orders uses conn-new",
	"get after a 503: Invoices",
	"delete: done",
	"get deleted: not found",
}

// walkthrough drives the SDK through the integrations API and reports
// what it saw. beforeRetryStep, when non-nil, runs before the step whose
// first attempt should fail with a 503.
func walkthrough(ctx context.Context, c *integratorio.Client, beforeRetryStep func()) ([]string, error) {
	var out []string
	ints := c.Integrations
	list, err := ints.List(ctx, nil)
	if err != nil {
		return out, err
	}
	var names []string
	for _, in := range list {
		names = append(names, in.Name)
	}
	out = append(out, "list: "+strings.Join(names, ", "))

	got, err := ints.Get(ctx, list[0].ID)
	if err != nil {
		return out, err
	}
	out = append(out, "get: "+got.Name+" version "+got.Version)

	settings, err := integratorio.NewSettings(map[string]any{
		"apiToken": recordingToken,
		"notes":    "key " + hexSecret,
		"region":   "us",
	})
	if err != nil {
		return out, err
	}
	created, err := ints.Create(ctx, &integratorio.Integration{Name: "Recorded", Settings: settings})
	if err != nil {
		return out, err
	}
	out = append(out, fmt.Sprintf("create: %s settings %v", created.Name, created.Settings.Keys()))

	if err := created.Settings.Set("region", "eu"); err != nil {
		return out, err
	}
	updated, err := ints.Update(ctx, created.ID, created)
	if err != nil {
		return out, err
	}
	var region string
	if _, err := updated.Settings.Get("region", &region); err != nil {
		return out, err
	}
	out = append(out, "update: region="+region)

	if err := ints.Patch(ctx, created.ID, integratorio.PatchOp{Op: "replace", Path: "/name", Value: "Recorded v2"}); err != nil {
		return out, err
	}
	patched, err := ints.Get(ctx, created.ID)
	if err != nil {
		return out, err
	}
	out = append(out, "patch: "+patched.Name)

	res, err := ints.Clone(ctx, list[0].ID, &integratorio.CloneOptions{
		Name:          "Clone of Orders",
		ConnectionMap: map[string]string{"conn-orders": "conn-new"},
	})
	if err != nil {
		return out, err
	}
	out = append(out, "clone: "+res.Document.Name+" uses "+res.Document.Install[0].ConnectionID)

	if beforeRetryStep != nil {
		beforeRetryStep()
	}
	again, err := ints.Get(ctx, list[1].ID)
	if err != nil {
		return out, err
	}
	out = append(out, "get after a 503: "+again.Name)

	if err := ints.Delete(ctx, created.ID); err != nil {
		return out, err
	}
	out = append(out, "delete: done")
	_, err = ints.Get(ctx, created.ID)
	if !errors.Is(err, integratorio.ErrNotFound) {
		return out, fmt.Errorf("get deleted: want a 404, got %v", err)
	}
	out = append(out, "get deleted: not found")
	return out, nil
}

// record runs walkthrough against a fresh, deterministic fake server
// through a Recorder and saves the recording to path.
func record(t *testing.T, path string) []string {
	t.Helper()
	srv := integratoriotest.NewServer(
		integratoriotest.WithToken(recordingToken),
		integratoriotest.WithClock(func() time.Time { return time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC) }),
		integratoriotest.WithIDSeed(2024),
		integratoriotest.WithPageSize(2),
	)
	defer srv.Close()
	_, err := srv.AddIntegrationJSON([]byte(`[
		{"_id":"65f1a0c2b3d4e5f607182901","name":"Orders","version":"1.0.0","lastModified":"2024-04-01T08:00:00.000Z",
		 "install":[{"name":"Shop connection","_connectionId":"conn-orders"}],"apiGroupings":[{"name":"g"}]},
		{"_id":"65f1a0c2b3d4e5f607182902","name":"Invoices","lastModified":"2024-04-02T08:00:00.000Z"},
		{"_id":"65f1a0c2b3d4e5f607182903","name":"Customers","lastModified":"2024-04-03T08:00:00.000Z"}]`))
	require.NoError(t, err)

	rec := recording.NewRecorder(srv.HTTPClient().Transport)
	client := srv.Client(integratorio.WithHTTPClient(&http.Client{Transport: rec}))
	got, err := walkthrough(context.Background(), client, func() { srv.FailNext(1, http.StatusServiceUnavailable) })
	require.NoError(t, err)
	require.NoError(t, rec.Save(path))
	return got
}

// assertNoSecrets checks a fixture file for the token and the token-like
// value the walkthrough sends.
func assertNoSecrets(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(b)
	assert.NotContains(t, s, recordingToken)
	assert.NotContains(t, s, hexSecret)
	assert.NotContains(t, s, "Authorization")
	assert.NotContains(t, s, "Bearer")
	assert.NotContains(t, s, "127.0.0.1", "links are host-relative")
	assert.Contains(t, s, `"apiToken": "REDACTED"`)
	assert.Contains(t, s, `"notes": "key REDACTED"`)
	assert.Contains(t, s, "65f1a0c2b3d4e5f607182901", "24-hex ids are not mistaken for tokens")
}

// Recording the walkthrough and replaying the recording give the same
// transcript. With -update, the recording replaces the committed fixture.
// Not parallel: TestRecordedFixtureReplays reads the fixture afterwards.
func TestRecordThenReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "integrations.json")
	if *update {
		path = fixturePath
	}
	live := record(t, path)
	assert.Equal(t, wantTranscript, live)
	assertNoSecrets(t, path)

	c := recording.NewClient(t, recording.ReplayFile(t, path, recording.ExpectAllUsed()))
	replayed, err := walkthrough(context.Background(), c, nil)
	require.NoError(t, err)
	assert.Equal(t, live, replayed)
}

// The committed fixture replays through the SDK: every exchange is used,
// including the 503 the client retried.
func TestRecordedFixtureReplays(t *testing.T) {
	t.Parallel()
	assertNoSecrets(t, fixturePath)
	cas, err := recording.Load(fixturePath)
	require.NoError(t, err)
	var sawRetry bool
	for _, ex := range cas.Exchanges {
		sawRetry = sawRetry || ex.Response.Status == http.StatusServiceUnavailable
	}
	assert.True(t, sawRetry, "the fixture holds the 503 that the client retried")

	c := recording.NewClient(t, recording.ReplayFile(t, fixturePath, recording.ExpectAllUsed()))
	got, err := walkthrough(context.Background(), c, nil)
	require.NoError(t, err)
	assert.Equal(t, wantTranscript, got)
}
