package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// stored returns the messages of the errors of a step the fake holds,
// open and resolved.
func stored(t *testing.T, srv *integratoriotest.Server, flow, step string) (open, resolved []string) {
	t.Helper()
	o, r := srv.FlowErrorsJSON(flow, step)
	messages := func(docs []json.RawMessage) []string {
		var out []string
		for _, d := range docs {
			var e struct{ Message string }
			require.NoError(t, json.Unmarshal(d, &e))
			out = append(out, e.Message)
		}
		slices.Sort(out)
		return out
	}
	return messages(o), messages(r)
}

// The bot reads one summary per flow, lists the errors of the steps that
// have some (a router's branches too) and no other, retries the passing
// failures by their retry-data keys, resolves the rest by error id, and
// shows the latest job of each flow. With a page size of 1 each error is a
// page of its own.
func TestRun(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]integratoriotest.Option{
		"default pages": nil,
		"a page each":   {integratoriotest.WithPageSize(1)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := integratoriotest.NewServer(opts...)
			defer srv.Close()
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), &out, srv))
			text := out.String()
			for _, want := range []string{
				`flow "Orders", steps with errors: 1`,
				"import " + ordersImport + ": retry 2, resolve 1",
				"import " + euImport + " (By region / EU): retry 1, resolve 1",
				"import " + usImport + " (By region / US): retry 1, resolve 1",
				`"Orders": job `, `completed, 40 ok, 3 errors`, `completed, 40 ok, 4 errors`,
			} {
				assert.Contains(t, text, want)
			}
			assert.NotContains(t, text, srv.Token)

			// Resolved: the failures of the record's own.
			for step, want := range map[[2]string][]string{
				{ordersFlowID, ordersImport}: {"Field 'sku' is required"},
				{routedFlowID, euImport}:     {"Duplicate customer: email already exists"},
				{routedFlowID, usImport}:     {"Invalid state code 'XX'"},
			} {
				_, resolved := stored(t, srv, step[0], step[1])
				assert.Equal(t, want, resolved, step[1])
			}

			// On the wire, after the seeding: the requests the bot needs, no more.
			var bot []integratoriotest.Request
			for _, r := range srv.Requests() {
				if strings.Contains(r.Header.Get("User-Agent"), "run-flow") {
					bot = append(bot, r)
				}
			}
			count := map[string]int{}
			var retries []string
			for _, r := range bot {
				key := r.Method + " " + r.Path
				if strings.HasSuffix(r.Path, "/errors") && strings.Count(r.Path, "/") == 4 { // /flows/{f}/{step}/errors
					key = r.Method + " step errors"
				}
				count[key]++
				if strings.HasSuffix(r.Path, "/retry") {
					retries = append(retries, string(r.Body))
				}
			}
			pages, flowPages := 3, 1 // one page of errors per step with errors
			if name == "a page each" {
				pages, flowPages = 7, 2 // one per error, one per flow
			}
			assert.Equal(t, map[string]int{
				"GET /integrations/" + integrationID + "/flows":                 flowPages,
				"GET /flows/" + ordersFlowID + "/errors":                        1,
				"GET /flows/" + routedFlowID + "/errors":                        1,
				"GET step errors":                                               pages,
				"POST /flows/" + ordersFlowID + "/" + ordersImport + "/retry":   1,
				"POST /flows/" + routedFlowID + "/" + euImport + "/retry":       1,
				"POST /flows/" + routedFlowID + "/" + usImport + "/retry":       1,
				"PUT /flows/" + ordersFlowID + "/" + ordersImport + "/resolved": 1,
				"PUT /flows/" + routedFlowID + "/" + euImport + "/resolved":     1,
				"PUT /flows/" + routedFlowID + "/" + usImport + "/resolved":     1,
				"GET /integrations/" + integrationID + "/jobs/latest":           1,
			}, count)
			// Retries name retry-data keys, never error ids.
			for _, b := range retries {
				assert.Regexp(t, `^\{"retryDataKeys":\["rdk-\d+"(,"rdk-\d+")*\]\}$`, b)
			}
			for _, r := range bot {
				assert.NotEqual(t, http.StatusBadRequest, r.Status, r.Path)
			}
		})
	}
}

func TestPassingFailures(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]bool{
		"Request timed out after 30000 ms":         true,
		"Rate limit exceeded":                      true,
		"503 Service Temporarily Unavailable":      true,
		"read ECONNRESET":                          true,
		"Field 'sku' is required":                  false,
		"Duplicate customer: email already exists": false,
	} {
		assert.Equal(t, want, passing.MatchString(msg), msg)
	}
	assert.IsType(t, &regexp.Regexp{}, passing)
}

// The bot stops at the first error, naming what failed.
func TestTriageStopsAtTheFirstError(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	require.NoError(t, seed(context.Background(), srv))
	srv.FailNext(10, http.StatusForbidden, integratoriotest.OnPath("/flows/"+routedFlowID+"/errors"))
	var out bytes.Buffer
	err := triage(context.Background(), &out, srv.Client(), integrationID, passing)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "flow "+routedFlowID)
	assert.NotContains(t, err.Error(), srv.Token)
}

// The summary, not the flow's shape, says which steps have errors: the
// errors of a step the flow no longer shows are triaged too, not left
// open.
func TestTriageReachesStepsTheFlowNoLongerShows(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	require.NoError(t, seed(context.Background(), srv))
	require.NoError(t, srv.AddFlowErrors(ordersFlowID, "65f0a1b2c3d4e5f6a7b8c9ff",
		[]byte(`{"code":"x","message":"Request timed out","retryDataKey":"rdk-gone"}`),
		[]byte(`{"code":"y","message":"Field 'sku' is required"}`)))
	var out bytes.Buffer
	require.NoError(t, triage(context.Background(), &out, srv.Client(), integrationID, passing))
	assert.Contains(t, out.String(), "step 65f0a1b2c3d4e5f6a7b8c9ff: retry 1, resolve 1")
	_, resolved := stored(t, srv, ordersFlowID, "65f0a1b2c3d4e5f6a7b8c9ff")
	assert.Equal(t, []string{"Field 'sku' is required"}, resolved)
}
