package integratorio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
		{"another code, errors an object", jsonResponder(200, []byte(`{"code":401,"errors":{"code":"unauthorized","message":"bad key"}}`)), false, "bad key", false},
		{"another code, errors a string", jsonResponder(200, []byte(`{"code":401,"errors":"denied"}`)), false, "denied", false},
		{"another code alone", jsonResponder(200, []byte(`{"code":403}`)), false, "403", false},
		{"another code as a string", jsonResponder(200, []byte(`{"code":"500","message":"boom"}`)), false, "500", false},
		{"code 200, errors an object", jsonResponder(200, []byte(`{"code":200,"errors":{"message":"refused"}}`)), false, "refused", false},
		{"a numeric code in an entry", jsonResponder(200, []byte(`{"code":200,"errors":[{"code":401,"message":"bad credentials"}]}`)), false, "bad credentials", false},
		{"code as a string", jsonResponder(200, []byte(`{"code":"200"}`)), true, "", false},
		{"errors as strings", jsonResponder(200, []byte(`{"errors":["bad password"]}`)), false, "bad password", false},
		{"4xx", jsonResponder(400, []byte(`{"errors":[{"code":"invalid_connection","message":"host not found"}]}`)), false, "host not found", true},
	}
	for _, k := range cases {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			var rec recorder
			mt.RegisterResponder(http.MethodPost, ping, rec.wrap(k.answer))
			err := c.Connections.Ping(context.Background(), "c1")
			assert.Equal(t, map[string]int{"POST " + ping: 1}, mt.GetCallCountInfo(), "one POST, no GET")
			require.Len(t, rec.reqs, 1)
			assert.JSONEq(t, `{}`, string(rec.reqs[0].Body))
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
	c, mt := newMockClient(t)
	assert.ErrorIs(t, c.Connections.Ping(context.Background(), "a/b"), ErrInvalidArgument)
	assert.Zero(t, mt.GetTotalCallCount())
}

// A server that pings by GET only answers the POST 404 or 405: the GET
// that follows decides, in each of its three answers (works, fails, no
// such connection).
func TestPingFallsBackToGETOn404And405(t *testing.T) {
	t.Parallel()
	ping := testRoot + "/connections/c1/ping"
	for _, refused := range []int{404, 405} {
		for name, k := range map[string]struct {
			get       httpmock.Responder
			works     bool
			notFound  bool
			getsCount int
		}{
			"works":        {jsonResponder(200, []byte(`{"code":200}`)), true, false, 1},
			"fails":        {jsonResponder(200, []byte(`{"code":401,"errors":{"message":"bad key"}}`)), false, false, 1},
			"no such conn": {jsonResponder(404, []byte(`{"errors":[{"code":"not_found"}]}`)), false, true, 1},
			"refused too":  {jsonResponder(405, nil), false, false, 1},
			"failing":      {jsonResponder(500, nil), false, false, 1 + fastRetries.MaxRetries},
		} {
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodPost, ping, jsonResponder(refused, []byte(`{"errors":[{"code":"not_found","message":"no route"}]}`)))
			mt.RegisterResponder(http.MethodGet, ping, k.get)
			err := c.Connections.Ping(context.Background(), "c1")
			what := fmt.Sprintf("POST answered %d, GET %s", refused, name)
			assert.Equal(t, map[string]int{"POST " + ping: 1, "GET " + ping: k.getsCount}, mt.GetCallCountInfo(), what)
			switch {
			case k.works:
				assert.NoError(t, err, what)
			case k.notFound:
				assert.ErrorIs(t, err, ErrNotFound, what)
				assert.NotErrorIs(t, err, ErrConnectionFailed, what)
			case name == "refused too" || name == "failing":
				// The server pings by neither method, or fails: whether
				// the connection works is unknown, not "does not work".
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr, what)
				assert.NotErrorIs(t, err, ErrConnectionFailed, what)
			default:
				assert.ErrorIs(t, err, ErrConnectionFailed, what)
				assert.ErrorContains(t, err, "bad key", what)
			}
		}
	}
	// Other refusals are not a reason to try GET: 401 is the token's.
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, ping, jsonResponder(401, []byte(`{"errors":[{"code":"unauthorized"}]}`)))
	err := c.Connections.Ping(context.Background(), "c1")
	assert.ErrorIs(t, err, ErrUnauthorized)
	assert.Equal(t, map[string]int{"POST " + ping: 1}, mt.GetCallCountInfo())
}

// A 2xx answer that is not a JSON object (a proxy's page, say) does not
// tell whether the connection works: neither nil nor ErrConnectionFailed.
func TestPingAnswerThatIsNotAnObjectTellsNothing(t *testing.T) {
	t.Parallel()
	ping := testRoot + "/connections/c1/ping"
	for _, body := range []string{"OK", "<html><body>Sign in</body></html>", "[]", "true", `{"code":200`} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodPost, ping, httpmock.NewStringResponder(200, body))
		err := c.Connections.Ping(context.Background(), "c1")
		assert.ErrorIs(t, err, ErrUnexpectedResponse, body)
		assert.NotErrorIs(t, err, ErrConnectionFailed, body)
		assert.Equal(t, map[string]int{"POST " + ping: 1}, mt.GetCallCountInfo(), body)
	}
}

// A ping changes nothing: its POST is retried like a GET, after a 5xx or
// a connection failure.
func TestPingIsRetriedLikeARead(t *testing.T) {
	t.Parallel()
	ping := testRoot + "/connections/c1/ping"
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, ping, jsonResponder(502, []byte(`{}`)).
		Then(httpmock.NewErrorResponder(errors.New("connection reset by peer"))).
		Then(jsonResponder(200, []byte(`{"code":200}`))))
	require.NoError(t, c.Connections.Ping(context.Background(), "c1"))
	assert.Equal(t, 3, mt.GetCallCountInfo()["POST "+ping])
}

func TestConnectionIsOffline(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]bool{
		`{"_id":"c"}`:                                    false,
		`{"_id":"c","offline":true}`:                     true,
		`{"_id":"c","status":"offline"}`:                 true,
		`{"_id":"c","status":"Offline","offline":false}`: true,
		`{"_id":"c","status":"online"}`:                  false,
		`{"_id":"c","status":7}`:                         false,
	} {
		var conn Connection
		require.NoError(t, json.Unmarshal([]byte(body), &conn))
		assert.Equal(t, want, conn.IsOffline(), body)
	}
	assert.False(t, (*Connection)(nil).IsOffline())
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
