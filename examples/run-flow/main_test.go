package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// storedError is the part of a stored flow error the tests read.
type storedError struct {
	ErrorID      string `json:"errorId"`
	TraceKey     string `json:"traceKey"`
	RetryDataKey string `json:"retryDataKey"`
	FlowJobID    string `json:"_flowJobId"`
	ResolvedAt   string `json:"resolvedAt"`
}

func decodeErrors(t *testing.T, docs []json.RawMessage) []storedError {
	t.Helper()
	out := make([]storedError, len(docs))
	for i, d := range docs {
		require.NoError(t, json.Unmarshal(d, &out[i]))
	}
	return out
}

// requestsTo returns the requests srv received with method and path.
func requestsTo(srv *integratoriotest.Server, method, path string) []integratoriotest.Request {
	var out []integratoriotest.Request
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// The example runs the flow, retries the three transient errors, resolves
// the two others, and leaves none open; with a page size of 2 the errors
// come in three pages.
func TestRun(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		opts []integratoriotest.Option
		// listGets is how many pages the two listings of the errors
		// (five, then none) take.
		listGets int
	}{
		"default pages": {nil, 2},
		"pages of 2":    {[]integratoriotest.Option{integratoriotest.WithPageSize(2)}, 3 + 1},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := integratoriotest.NewServer(tc.opts...)
			defer srv.Close()
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), &out, srv))
			s := out.String()

			// The output: the run's job, each error's action, the retry
			// job, the resolve and the summary.
			for _, want := range []string{
				"1. Run the flow\n  started job ",
				"  job completed: 45 succeeded, 5 failed, 0 ignored\n",
				"  ORD-1005  ECONNRESET              Connection reset by the ERP                          retry\n",
				"  ORD-1004  DUPLICATE_RECORD        Sales order ORD-1004 already exists                  resolve\n",
				"  ORD-1003  429                     Too many requests: the ERP's rate limit was reached  retry\n",
				"  ORD-1002  MISSING_REQUIRED_FIELD  Customer email is required                           resolve\n",
				"  ORD-1001  ETIMEDOUT               Request to the ERP timed out after 120 s             retry\n",
				"3. Retry the 3 transient errors\n  started retry job ",
				"  retry job completed: 3 succeeded, 0 failed, 0 ignored\n",
				"4. Resolve the other 2 errors\n  resolved (ORD-1004, ORD-1002)\n",
				"  retried     3 (ORD-1005, ORD-1003, ORD-1001), retry job completed: 3 succeeded, 0 failed, 0 ignored\n",
				"  resolved    2 (ORD-1004, ORD-1002)\n",
				"  still open  0\n",
			} {
				assert.Contains(t, s, want)
			}
			assert.NotContains(t, s, srv.Token, "the token is never printed")
			assert.NotContains(t, s, "integratoriotest-", "the token is never printed")

			// The fake's state: the retried errors are gone (their retry job
			// completed), the others resolved, none open.
			open, resolvedDocs := srv.FlowErrorsJSON(flowID, importID)
			assert.Empty(t, open)
			resolved := decodeErrors(t, resolvedDocs)
			require.Len(t, resolved, 2)
			var resolvedIDs []string
			for i, want := range []string{"ORD-1004", "ORD-1002"} {
				assert.Equal(t, want, resolved[i].TraceKey)
				assert.NotEmpty(t, resolved[i].ResolvedAt)
				resolvedIDs = append(resolvedIDs, resolved[i].ErrorID)
			}

			// The requests: one run, one retry of the transient errors'
			// keys, one resolve of the others' ids.
			runs := requestsTo(srv, http.MethodPost, "/flows/"+flowID+"/run")
			require.Len(t, runs, 1)
			jobs := srv.IDs("jobs")
			require.Len(t, jobs, 2, "the run's job and the retry's")
			for _, e := range resolved {
				assert.Equal(t, jobs[0], e.FlowJobID, "the errors are the run's")
			}

			retries := requestsTo(srv, http.MethodPost, "/flows/"+flowID+"/"+importID+"/retry")
			require.Len(t, retries, 1)
			var retryBody struct {
				Keys []string `json:"retryDataKeys"`
			}
			require.NoError(t, json.Unmarshal(retries[0].Body, &retryBody))
			assert.Equal(t, []string{runErrors[4].retryKey, runErrors[2].retryKey, runErrors[0].retryKey}, retryBody.Keys)

			resolves := requestsTo(srv, http.MethodPut, "/flows/"+flowID+"/"+importID+"/resolved")
			require.Len(t, resolves, 1)
			var resolveBody struct {
				Errors []string `json:"errors"`
			}
			require.NoError(t, json.Unmarshal(resolves[0].Body, &resolveBody))
			assert.Equal(t, resolvedIDs, resolveBody.Errors)

			assert.Len(t, requestsTo(srv, http.MethodGet, "/flows/"+flowID+"/"+importID+"/errors"), tc.listGets)

			// Nothing else was written.
			writes := 0
			for _, r := range srv.Requests() {
				assert.Less(t, r.Status, 300, "%s %s", r.Method, r.Path)
				if r.Method != http.MethodGet {
					writes++
				}
			}
			assert.Equal(t, 3, writes)
			job, ok := srv.DocumentJSON("jobs", jobs[1])
			require.True(t, ok)
			assert.Contains(t, string(job), `"type":"retry"`)
		})
	}
}

// A retry whose answer is lost may have started: the example stops with
// the SDK's ErrUnknownOutcome and neither retries again nor resolves.
func TestRunStopsOnUnknownRetryOutcome(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	srv.DropNext(1, integratoriotest.OnMethod(http.MethodPost), integratoriotest.OnPath("/flows/*/*/retry"))
	var out bytes.Buffer
	err := run(context.Background(), &out, srv)
	require.ErrorIs(t, err, integratorio.ErrUnknownOutcome)
	assert.Contains(t, err.Error(), "retrying 3 errors of step "+importID)
	assert.NotContains(t, err.Error()+out.String(), srv.Token)

	assert.Len(t, requestsTo(srv, http.MethodPost, "/flows/"+flowID+"/"+importID+"/retry"), 1, "never repeated")
	assert.Empty(t, requestsTo(srv, http.MethodPut, "/flows/"+flowID+"/"+importID+"/resolved"))
	open, resolved := srv.FlowErrorsJSON(flowID, importID)
	assert.Len(t, open, 5, "nothing resolved, and the retry job has not been read to its end")
	assert.Empty(t, resolved)
}

// A failure listing the errors ends the example with that error.
func TestRunStopsOnListError(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	srv.FailNext(1, http.StatusForbidden, integratoriotest.OnMethod(http.MethodGet), integratoriotest.OnPath("/flows/*/*/errors"))
	var out bytes.Buffer
	err := run(context.Background(), &out, srv)
	require.ErrorIs(t, err, integratorio.ErrForbidden)
	assert.Contains(t, err.Error(), "listing the errors of step "+importID)
	assert.Empty(t, requestsTo(srv, http.MethodPost, "/flows/"+flowID+"/"+importID+"/retry"))
	assert.Empty(t, requestsTo(srv, http.MethodPut, "/flows/"+flowID+"/"+importID+"/resolved"))
}

// The rule: a transient code and data to retry with.
func TestRetryable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code, key string
		want      bool
	}{
		{"ETIMEDOUT", "k", true},
		{"ECONNRESET", "k", true},
		{"429", "k", true},
		{"503", "k", true},
		{"ETIMEDOUT", "", false}, // no data kept: nothing to retry with
		{"MISSING_REQUIRED_FIELD", "k", false},
		{"DUPLICATE_RECORD", "k", false},
		{"400", "k", false},
		{"", "k", false},
	} {
		e := &integratorio.FlowError{Code: tc.code, RetryDataKey: integratorio.RetryDataKey(tc.key)}
		assert.Equal(t, tc.want, retryable(e), "code %q key %q", tc.code, tc.key)
	}
}
