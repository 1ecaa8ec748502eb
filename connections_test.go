package integratorio

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPingTellsAWorkingConnectionFromAFailingOne(t *testing.T) {
	t.Parallel()
	ping := testRoot + "/connections/c1/ping"
	cases := []struct {
		name     string
		answer   httpmock.Responder
		works    bool
		reason   string
		apiError bool
	}{
		{"code 200", jsonResponder(200, []byte(`{"code":200}`)), true, "", false},
		{"204 without a body", httpmock.NewStringResponder(204, ""), true, "", false},
		{"2xx holding errors", jsonResponder(200, []byte(`{"errors":[{"code":"invalid_credentials","message":"Authentication failed: token expired"}]}`)), false, "token expired", false},
		{"2xx with another code", jsonResponder(200, []byte(`{"code":401,"errors":[{"code":"unauthorized","message":"401 from the endpoint"}]}`)), false, "401 from the endpoint", false},
		{"code as a string", jsonResponder(200, []byte(`{"code":"200"}`)), true, "", false},
		{"not an object", httpmock.NewStringResponder(200, "OK"), true, "", false},
		{"errors as strings", jsonResponder(200, []byte(`{"errors":["bad password"]}`)), false, "bad password", false},
		{"4xx", jsonResponder(400, []byte(`{"errors":[{"code":"invalid_connection","message":"host not found"}]}`)), false, "host not found", true},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, ping, k.answer)
			err := c.Connections.Ping(context.Background(), "c1")
			assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+ping])
			if k.works {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrConnectionFailed)
			var pe *PingError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "c1", pe.ConnectionID)
			assert.Contains(t, err.Error(), k.reason)
			var apiErr *APIError
			assert.Equal(t, k.apiError, errors.As(err, &apiErr))
		})
	}
	// A 404 or 401 is the request's error, not the connection's.
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, ping, jsonResponder(404, []byte(`{"errors":[{"code":"not_found"}]}`)))
	err := c.Connections.Ping(context.Background(), "c1")
	require.ErrorIs(t, err, ErrNotFound)
	assert.NotErrorIs(t, err, ErrConnectionFailed)
	assert.ErrorIs(t, c.Connections.Ping(context.Background(), "a/b"), ErrInvalidArgument)
}

func TestConnectionsOfOneIntegration(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	for _, r := range []string{"connections", "exports", "imports"} {
		mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/i1/"+r, jsonResponder(200, []byte(`[{"_id":"x1"}]`)))
	}
	ctx := context.Background()
	opts := &ResourceListOptions{IntegrationID: "i1"}
	conns, err := c.Connections.List(ctx, opts)
	require.NoError(t, err)
	exps, err := c.Exports.List(ctx, opts)
	require.NoError(t, err)
	imps, err := c.Imports.List(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, "x1", conns[0].ID)
	assert.Equal(t, "x1", exps[0].ID)
	assert.Equal(t, "x1", imps[0].ID)
	assert.Equal(t, 3, mt.GetTotalCallCount())
}

func TestExportInvokeReturnsTheAnswerRawAndIsNeverRepeated(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	invoke := testRoot + "/exports/e1/invoke"
	var rec recorder
	mt.RegisterResponder(http.MethodPost, invoke, rec.wrap(
		jsonResponder(200, []byte(`{"data":[{"id":1}],"errors":[]}`)).
			Then(jsonResponder(503, []byte(`{}`))).
			Then(httpmock.NewErrorResponder(errors.New("connection reset by peer")))))
	ctx := context.Background()
	out, err := c.Exports.Invoke(ctx, "e1", map[string]any{"data": []int{1}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"data":[{"id":1}],"errors":[]}`, string(out))
	assert.JSONEq(t, `{"data":[1]}`, string(rec.reqs[0].Body))
	_, err = c.Exports.Invoke(ctx, "e1", nil)
	assert.ErrorIs(t, err, ErrServerError)
	_, err = c.Exports.Invoke(ctx, "e1", nil)
	assert.ErrorIs(t, err, ErrUnknownOutcome)
	assert.Equal(t, 3, mt.GetCallCountInfo()["POST "+invoke], "an invoke is never repeated")
}

func TestExportAndImportCloneBodies(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodPost, testRoot+"/exports/e1/clone", rec.wrap(jsonResponder(201, []byte(`{"_id":"e2"}`))))
	mt.RegisterResponder(http.MethodPost, testRoot+"/imports/i1/clone", rec.wrap(jsonResponder(201, []byte(`[{"model":"Import","_id":"i2"}]`))))
	mt.RegisterResponder(http.MethodGet, testRoot+"/imports/i2", jsonResponder(200, []byte(`{"_id":"i2","name":"copy"}`)))
	ctx := context.Background()
	e, err := c.Exports.Clone(ctx, "e1", &CloneOptions{Name: "copy", ConnectionMap: map[string]string{"c1": "c2"}, Tag: "ignored"})
	require.NoError(t, err)
	assert.Equal(t, "e2", e.Document.ID)
	assert.JSONEq(t, `{"name":"copy","connectionMap":{"c1":"c2"}}`, string(rec.reqs[0].Body))
	i, err := c.Imports.Clone(ctx, "i1", nil)
	require.NoError(t, err)
	assert.Equal(t, "copy", i.Document.Name)
	assert.Len(t, i.Created, 1)
	assert.JSONEq(t, `{}`, string(rec.reqs[1].Body))
	_, err = c.Imports.Clone(ctx, "i1", &CloneOptions{ConnectionMap: map[string]string{"": "x"}})
	assert.ErrorIs(t, err, ErrInvalidArgument)
}
