package integratorio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const flowID = "6b0e92c4a791ac036628c9f1"

func TestFlowsListOfOneIntegration(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/i1/flows",
		rec.wrap(jsonResponder(200, []byte(`[{"_id":"f1","name":"A","routers":[]},{"_id":"f2","name":"B"}]`))))
	mt.RegisterResponder(http.MethodGet, testRoot+"/flows", httpmock.NewStringResponder(204, ""))
	ctx := context.Background()
	got, err := c.Flows.List(ctx, &ResourceListOptions{IntegrationID: "i1", ListOptions: ListOptions{Exclude: []string{"routers"}}})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "B", got[1].Name)
	assert.True(t, got[0].Partial(), "a list with Exclude is partial")
	require.Len(t, rec.reqs, 1)
	assert.Equal(t, "exclude=routers", rec.reqs[0].RawQuery)

	all, err := c.Flows.List(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, all, "204 with no body is an empty list")

	_, err = c.Flows.List(ctx, &ResourceListOptions{IntegrationID: "a/b"})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

func TestFlowRunStartsAJobOnce(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	runURL := testRoot + "/flows/" + flowID + "/run"
	mt.RegisterResponder(http.MethodPost, runURL, rec.wrap(
		jsonResponder(201, []byte(`{"_jobId":"j1","flowExecutionGroupId":"g1"}`)).
			Then(jsonResponder(201, []byte(`{"_jobId":"j1"}`))).
			// A 503 or a dropped connection may have started the run.
			Then(jsonResponder(503, []byte(`{"errors":[{"code":"unavailable"}]}`))).
			Then(httpmock.NewErrorResponder(errors.New("connection reset by peer"))).
			// A 429 means the server did not act: the run is tried again.
			Then(jsonResponder(429, []byte(`{"errors":[{"code":"rate_limited"}]}`))).
			Then(jsonResponder(201, []byte(`{"_jobId":"j2"}`)))))
	ctx := context.Background()
	res, err := c.Flows.Run(ctx, flowID, nil)
	require.NoError(t, err)
	assert.Equal(t, "j1", res.JobID)
	var group string
	ok, err := res.Extra("flowExecutionGroupId", &group)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "g1", group, "the rest of the answer is kept")
	require.Len(t, rec.reqs, 1)
	assert.Equal(t, "{}", string(rec.reqs[0].Body))
	assert.Equal(t, "application/json", rec.reqs[0].Header.Get("Content-Type"))

	_, err = c.Flows.Run(ctx, flowID, &RunOptions{Body: map[string]any{"export": map[string]any{"startDate": "2024-01-01T00:00:00Z"}}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"export":{"startDate":"2024-01-01T00:00:00Z"}}`, string(rec.reqs[1].Body), "Body is sent as it is")

	_, err = c.Flows.Run(ctx, flowID, nil)
	assert.ErrorIs(t, err, ErrServerError)
	_, err = c.Flows.Run(ctx, flowID, nil)
	assert.ErrorIs(t, err, ErrUnknownOutcome)
	assert.Equal(t, 4, mt.GetCallCountInfo()["POST "+runURL], "no attempt was repeated")

	res, err = c.Flows.Run(ctx, flowID, nil)
	require.NoError(t, err)
	assert.Equal(t, "j2", res.JobID)
	assert.Equal(t, 6, mt.GetCallCountInfo()["POST "+runURL], "the 429 was retried")

	_, err = c.Flows.Run(ctx, "", nil)
	assert.ErrorIs(t, err, ErrInvalidArgument)
}

func TestFlowCloneNeedsTheTargetIntegration(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	cloneURL := testRoot + "/flows/" + flowID + "/clone"
	mt.RegisterResponder(http.MethodPost, cloneURL, rec.wrap(jsonResponder(201,
		[]byte(`[{"model":"Export","_id":"e9"},{"model":"Flow","_id":"f9","name":"copy"}]`))))
	mt.RegisterResponder(http.MethodGet, testRoot+"/flows/f9", jsonResponder(200, []byte(`{"_id":"f9","name":"copy"}`)))
	ctx := context.Background()

	_, err := c.Flows.Clone(ctx, flowID, nil)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.Flows.Clone(ctx, flowID, &FlowCloneOptions{IntegrationID: "i2", ConnectionMap: map[string]string{"c1": ""}})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Zero(t, mt.GetTotalCallCount())

	res, err := c.Flows.Clone(ctx, flowID, &FlowCloneOptions{IntegrationID: "i2", ConnectionMap: map[string]string{"c1": "c2"}})
	require.NoError(t, err)
	assert.Equal(t, "f9", res.Document.ID)
	assert.Len(t, res.Created, 2)
	require.Len(t, rec.reqs, 1)
	assert.JSONEq(t, `{"_integrationId":"i2","connectionMap":{"c1":"c2"}}`, string(rec.reqs[0].Body))

	// The other answer shape: the flow itself.
	mt.RegisterResponder(http.MethodPost, cloneURL, jsonResponder(201, []byte(`{"_id":"f8","name":"copy 2","x":1}`)))
	res, err = c.Flows.Clone(ctx, flowID, &FlowCloneOptions{IntegrationID: "i2"})
	require.NoError(t, err)
	assert.Equal(t, "f8", res.Document.ID)
	assert.Nil(t, res.Created)
}

func TestFlowErrorsArePagedByNextPageURL(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	base := testRoot + "/flows/" + flowID + "/e1/errors"
	var rec recorder
	page := func(ids []string, next string) httpmock.Responder {
		body := `{"errors":[`
		for i, id := range ids {
			if i > 0 {
				body += ","
			}
			body += fmt.Sprintf(`{"errorId":%q,"code":"c","message":"m","occurredAt":"2024-01-02T03:04:05.000Z","retryDataKey":"k-%s","exportDataURI":"u"}`, id, id)
		}
		body += `]`
		if next != "" {
			body += `,"nextPageURL":` + fmt.Sprintf("%q", next)
		}
		return rec.wrap(jsonResponder(200, []byte(body+"}")))
	}
	mt.RegisterResponderWithQuery(http.MethodGet, base, "occurredAt_gte=2024-01-01T00:00:00.000Z&source=application", page([]string{"a", "b"}, "/v1/flows/"+flowID+"/e1/errors?page=2"))
	mt.RegisterResponderWithQuery(http.MethodGet, base, "page=2", page([]string{"c"}, testRoot+"/flows/"+flowID+"/e1/errors?page=3"))
	mt.RegisterResponderWithQuery(http.MethodGet, base, "page=3", page([]string{"d"}, ""))
	ctx := context.Background()
	opts := &FlowErrorListOptions{OccurredAfter: mustTime(t, "2024-01-01T00:00:00Z"), Source: "application"}
	var ids []ErrorID
	for e, err := range c.Flows.Errors(ctx, flowID, "e1", opts) {
		require.NoError(t, err)
		ids = append(ids, e.ErrorID)
		assert.Equal(t, RetryDataKey("k-"+e.ErrorID), e.RetryDataKey)
	}
	assert.Equal(t, []ErrorID{"a", "b", "c", "d"}, ids)
	require.Len(t, rec.reqs, 3)

	// Breaking out fetches no further page.
	rec.reqs = nil
	for range c.Flows.Errors(ctx, flowID, "e1", opts) {
		break
	}
	assert.Len(t, rec.reqs, 1)

	// Another origin and a loop end the listing with an error.
	loop := testRoot + "/flows/" + flowID + "/e1/errors?page=9"
	for name, k := range map[string]struct {
		next         string
		calls, items int
	}{"origin": {"https://evil.example/v1/x", 1, 0}, "loop": {loop, 2, 1}} {
		c2, mt2 := newMockClient(t)
		mt2.RegisterResponder(http.MethodGet, base, jsonResponder(200, []byte(`{"errors":[{"errorId":"a"}],"nextPageURL":"`+k.next+`"}`)))
		mt2.RegisterResponderWithQuery(http.MethodGet, base, "page=9", jsonResponder(200, []byte(`{"errors":[],"nextPageURL":"`+loop+`"}`)))
		var last error
		items := 0
		for e, err := range c2.Flows.Errors(ctx, flowID, "e1", nil) {
			if last = err; e != nil {
				items++
			}
		}
		assert.ErrorIs(t, last, ErrUnexpectedResponse, name)
		assert.Equal(t, k.calls, mt2.GetTotalCallCount(), name)
		assert.Equal(t, k.items, items, name)
	}
	for _, bad := range [][2]string{{"", "e1"}, {flowID, "a/b"}, {flowID, ""}} {
		_, err := collect(c.Flows.Errors(ctx, bad[0], bad[1], nil))
		assert.ErrorIs(t, err, ErrInvalidArgument, bad)
	}
}

func TestResolveAndRetryFlowErrors(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	step := testRoot + "/flows/" + flowID + "/i1"
	var rec recorder
	mt.RegisterResponder(http.MethodPut, step+"/resolved",
		rec.wrap(jsonResponder(503, []byte(`{}`)).Then(rec.wrap(httpmock.NewStringResponder(204, "")))))
	mt.RegisterResponder(http.MethodPost, step+"/retry", rec.wrap(jsonResponder(200, []byte(`{"_jobId":"r1"}`)).Then(jsonResponder(502, []byte(`{}`)))))
	ctx := context.Background()
	require.NoError(t, c.Flows.ResolveErrors(ctx, flowID, "i1", "e1", "e2"))
	assert.Equal(t, 2, mt.GetCallCountInfo()["PUT "+step+"/resolved"], "a PUT is retried")
	assert.JSONEq(t, `{"errors":["e1","e2"]}`, string(rec.reqs[0].Body))

	res, err := c.Flows.RetryErrors(ctx, flowID, "i1", "k1")
	require.NoError(t, err)
	assert.Equal(t, "r1", res.JobID)
	assert.JSONEq(t, `{"retryDataKeys":["k1"]}`, string(rec.reqs[len(rec.reqs)-1].Body))

	_, err = c.Flows.RetryErrors(ctx, flowID, "i1", "k1")
	assert.ErrorIs(t, err, ErrServerError)
	assert.Equal(t, 2, mt.GetCallCountInfo()["POST "+step+"/retry"], "a retry of errors is never repeated")

	// The answer's shape is not documented: one without a job, or without
	// a body, is taken as it is.
	for body, job := range map[string]string{`{"retried":2}`: "", ``: "", `{"_jobId":"r2","x":1}`: "r2"} {
		c2, mt2 := newMockClient(t)
		mt2.RegisterResponder(http.MethodPost, step+"/retry", httpmock.NewStringResponder(200, body))
		res, err := c2.Flows.RetryErrors(ctx, flowID, "i1", "k1")
		require.NoError(t, err, body)
		assert.Equal(t, job, res.JobID, body)
	}

	assert.ErrorIs(t, c.Flows.ResolveErrors(ctx, flowID, "i1"), ErrInvalidArgument)
	assert.ErrorIs(t, c.Flows.ResolveErrors(ctx, flowID, "i1", ""), ErrInvalidArgument)
	_, err = c.Flows.RetryErrors(ctx, flowID, "", "k")
	assert.ErrorIs(t, err, ErrInvalidArgument)
}

func TestFlowRunWindowAndExports(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	runURL := testRoot + "/flows/" + flowID + "/run"
	mt.RegisterResponder(http.MethodPost, runURL, rec.wrap(jsonResponder(201, []byte(`{"_jobId":"j1"}`))))
	ctx := context.Background()
	start := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.FixedZone("CET", 3600))
	end := time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC)
	for _, k := range []struct {
		opts *RunOptions
		body string
	}{
		{&RunOptions{}, `{}`},
		{&RunOptions{StartDate: start}, `{"export":{"startDate":"2024-01-02T02:04:05.006Z"}}`},
		{&RunOptions{StartDate: start, EndDate: end, ExportIDs: []string{"e1", "e2"}},
			`{"export":{"startDate":"2024-01-02T02:04:05.006Z","endDate":"2024-01-03T00:00:00.000Z"},"_exportIds":["e1","e2"]}`},
		{&RunOptions{ExportIDs: []string{"e1"}}, `{"_exportIds":["e1"]}`},
		{&RunOptions{EndDate: end}, `{"export":{"endDate":"2024-01-03T00:00:00.000Z"}}`},
		{&RunOptions{Body: json.RawMessage(`{"x":1}`)}, `{"x":1}`},
	} {
		rec.reqs = nil
		_, err := c.Flows.Run(ctx, flowID, k.opts)
		require.NoError(t, err, k.body)
		require.Len(t, rec.reqs, 1)
		assert.JSONEq(t, k.body, string(rec.reqs[0].Body))
	}
	calls := mt.GetTotalCallCount()
	for _, bad := range []*RunOptions{
		{Body: map[string]any{}, ExportIDs: []string{"e1"}},
		{StartDate: end, EndDate: start},
		{ExportIDs: []string{""}},
	} {
		_, err := c.Flows.Run(ctx, flowID, bad)
		assert.ErrorIs(t, err, ErrInvalidArgument)
	}
	assert.Equal(t, calls, mt.GetTotalCallCount(), "nothing sent for bad options")
}

func TestFlowErrorSummary(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	url := testRoot + "/flows/" + flowID + "/errors"
	var rec recorder
	mt.RegisterResponder(http.MethodGet, url, rec.wrap(jsonResponder(503, nil).Then(jsonResponder(200, []byte(
		`{"flowErrors":[{"_expOrImpId":"e1","numError":3,"lastErrorAt":"2024-01-02T03:04:05.000Z","_flowId":"x"},{"_expOrImpId":"i1","numError":1}]}`)))))
	ctx := context.Background()
	sum, err := c.Flows.ErrorSummary(ctx, flowID)
	require.NoError(t, err)
	require.Len(t, sum, 2)
	assert.Equal(t, "e1", sum[0].StepID)
	assert.Equal(t, 3, sum[0].NumErrors)
	assert.Equal(t, mustTime(t, "2024-01-02T03:04:05Z"), sum[0].LastErrorAt.UTC())
	var other string
	ok, err := sum[0].Extra("_flowId", &other)
	require.NoError(t, err)
	assert.True(t, ok && other == "x", "members it does not type are kept")
	assert.Equal(t, "i1", sum[1].StepID)
	assert.Equal(t, 2, mt.GetCallCountInfo()["GET "+url], "a read is retried")
	assert.Empty(t, rec.reqs[1].RawQuery)

	// Tolerated: a bare array, no body, no flowErrors.
	for body, n := range map[string]int{`[{"_expOrImpId":"e1","numError":1}]`: 1, ``: 0, `{}`: 0, `{"flowErrors":null}`: 0} {
		c2, mt2 := newMockClient(t)
		mt2.RegisterResponder(http.MethodGet, url, httpmock.NewStringResponder(200, body))
		sum, err := c2.Flows.ErrorSummary(ctx, flowID)
		require.NoError(t, err, body)
		assert.Len(t, sum, n, body)
	}
	c3, mt3 := newMockClient(t)
	mt3.RegisterResponder(http.MethodGet, url, httpmock.NewStringResponder(200, `{"flowErrors":{}}`))
	_, err = c3.Flows.ErrorSummary(ctx, flowID)
	assert.ErrorIs(t, err, ErrUnexpectedResponse)
	_, err = c.Flows.ErrorSummary(ctx, "a/b")
	assert.ErrorIs(t, err, ErrInvalidArgument)
}

// A summary the server pages (as it pages an integration's) is read to
// its end: a step left on a later page would never be triaged. Its
// nextPageURL is followed as Errors follows it, never to another host.
func TestFlowErrorSummaryFollowsNextPageURL(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	url := testRoot + "/flows/" + flowID + "/errors"
	var rec recorder
	mt.RegisterResponder(http.MethodGet, url, rec.wrap(jsonResponder(200, []byte(
		`{"flowErrors":[{"_expOrImpId":"e1","numError":3}],"nextPageURL":"/v1/flows/`+flowID+`/errors?page=2"}`))))
	mt.RegisterResponderWithQuery(http.MethodGet, url, "page=2", rec.wrap(jsonResponder(200, []byte(
		`{"flowErrors":[],"nextPageURL":"`+testRoot+`/flows/`+flowID+`/errors?page=3"}`))))
	mt.RegisterResponderWithQuery(http.MethodGet, url, "page=3", rec.wrap(jsonResponder(200, []byte(
		`{"flowErrors":[{"_expOrImpId":"i1","numError":1}]}`))))
	ctx := context.Background()
	sum, err := c.Flows.ErrorSummary(ctx, flowID)
	require.NoError(t, err)
	require.Len(t, sum, 2)
	assert.Equal(t, []string{"e1", "i1"}, []string{sum[0].StepID, sum[1].StepID})
	require.Len(t, rec.reqs, 3, "an empty page in the middle does not end the summary")

	c2, mt2 := newMockClient(t)
	var other recorder
	mt2.RegisterResponder(http.MethodGet, url, jsonResponder(200, []byte(`{"flowErrors":[{"_expOrImpId":"e1","numError":3}],"nextPageURL":"https://elsewhere.example/v1/x"}`)))
	mt2.RegisterNoResponder(other.wrap(jsonResponder(200, []byte(`{"flowErrors":[]}`))))
	sum, err = c2.Flows.ErrorSummary(ctx, flowID)
	assert.ErrorIs(t, err, ErrUnexpectedResponse, "a summary cut short is an error, not a shorter summary")
	assert.Nil(t, sum)
	assert.Empty(t, other.reqs, "nothing, and no token, is sent to another host")
}

func TestResolvedErrorsListAndDelete(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	resolved := testRoot + "/flows/" + flowID + "/i1/resolved"
	var rec recorder
	mt.RegisterResponderWithQuery(http.MethodGet, resolved, "source=connection", rec.wrap(jsonResponder(200, []byte(
		`{"resolved":[{"errorId":"a","retryDataKey":"k-a","reqAndResKey":"rr-a","resolvedAt":"2024-01-02T00:00:00.000Z"}],"nextPageURL":"/v1/flows/`+flowID+`/i1/resolved?page=2"}`))))
	mt.RegisterResponderWithQuery(http.MethodGet, resolved, "page=2", rec.wrap(jsonResponder(200, []byte(`{"resolved":[{"errorId":"b"}]}`))))
	mt.RegisterResponder(http.MethodDelete, resolved, rec.wrap(jsonResponder(503, nil).Then(httpmock.NewStringResponder(204, ""))))
	ctx := context.Background()
	var got []*FlowError
	for e, err := range c.Flows.ResolvedErrors(ctx, flowID, "i1", &FlowErrorListOptions{Source: "connection"}) {
		require.NoError(t, err)
		got = append(got, e)
	}
	require.Len(t, got, 2)
	assert.Equal(t, ErrorID("a"), got[0].ErrorID)
	assert.Equal(t, RetryDataKey("k-a"), got[0].RetryDataKey)
	assert.Equal(t, "rr-a", got[0].ReqAndResKey)
	assert.Equal(t, ErrorID("b"), got[1].ErrorID)

	require.NoError(t, c.Flows.DeleteResolvedErrors(ctx, flowID, "i1", "a", "b"))
	assert.Equal(t, 2, mt.GetCallCountInfo()["DELETE "+resolved], "a DELETE is retried")
	last := rec.reqs[len(rec.reqs)-1]
	assert.Equal(t, http.MethodDelete, last.Method)
	assert.JSONEq(t, `{"errors":["a","b"]}`, string(last.Body))

	calls := mt.GetTotalCallCount()
	assert.ErrorIs(t, c.Flows.DeleteResolvedErrors(ctx, flowID, "i1"), ErrInvalidArgument)
	assert.ErrorIs(t, c.Flows.DeleteResolvedErrors(ctx, flowID, "a/b", "a"), ErrInvalidArgument)
	_, err := collect(c.Flows.ResolvedErrors(ctx, "", "i1", nil))
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Equal(t, calls, mt.GetTotalCallCount())
}

func TestRetryErrorsByIDSendsErrorIDsOnce(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	retry := testRoot + "/flows/" + flowID + "/i1/retry"
	var rec recorder
	mt.RegisterResponder(http.MethodPost, retry, rec.wrap(jsonResponder(201, []byte(`{"_jobId":"r1"}`)).Then(jsonResponder(502, nil))))
	ctx := context.Background()
	res, err := c.Flows.RetryErrorsByID(ctx, flowID, "i1", "e1", "e2")
	require.NoError(t, err)
	assert.Equal(t, "r1", res.JobID)
	assert.JSONEq(t, `{"errorIds":["e1","e2"]}`, string(rec.reqs[0].Body))
	_, err = c.Flows.RetryErrorsByID(ctx, flowID, "i1", "e1")
	assert.ErrorIs(t, err, ErrUnknownOutcome)
	assert.Equal(t, 2, mt.GetCallCountInfo()["POST "+retry], "a retry is never repeated")
	_, err = c.Flows.RetryErrorsByID(ctx, flowID, "i1")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.Flows.RetryErrorsByID(ctx, flowID, "i1", "")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Equal(t, 2, mt.GetTotalCallCount())
}
