package integratorio

import (
	"context"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	depID  = "6b0e92c4a791ac036628c9d1"
	connA  = "6b0e92c4a791ac036628c9d2"
	connB  = "6b0e92c4a791ac036628c9d3"
	depDoc = `{"_id":"` + depID + `","name":"x","lastModified":"2024-01-02T03:04:05.000Z"}`
)

func TestRegisterConnectionsWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	var put, del recorder
	fails := 1
	mt.RegisterResponder(http.MethodPut, testRoot+"/integrations/"+depID+"/connections/register", put.wrap(func(*http.Request) (*http.Response, error) {
		if fails > 0 {
			fails--
			return httpmock.NewStringResponse(503, ""), nil
		}
		return httpmock.NewStringResponse(204, ""), nil
	}))
	mt.RegisterResponder(http.MethodDelete, testRoot+"/integrations/"+depID+"/connections/"+connA+"/register", del.wrap(httpmock.NewStringResponder(204, "")))

	require.NoError(t, c.Integrations.RegisterConnections(ctx, depID, connA, connB))
	require.Len(t, put.reqs, 2, "a PUT is retried after a 503")
	for _, r := range put.reqs {
		assert.JSONEq(t, `["`+connA+`","`+connB+`"]`, string(r.Body), "a bare JSON array")
	}
	require.NoError(t, c.Integrations.DeregisterConnection(ctx, depID, connA))
	require.Len(t, del.reqs, 1)
	assert.Empty(t, del.reqs[0].Body)

	assert.ErrorIs(t, c.Integrations.RegisterConnections(ctx, depID), ErrInvalidArgument)
	assert.ErrorIs(t, c.Integrations.RegisterConnections(ctx, depID, "a/b"), ErrInvalidArgument)
	assert.ErrorIs(t, c.Integrations.DeregisterConnection(ctx, depID, ""), ErrInvalidArgument)
	assert.Len(t, put.reqs, 2)
	assert.Len(t, del.reqs, 1)
}

func TestReplaceConnectionWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	recs := map[string]*recorder{}
	for _, typ := range []string{"flows", "exports", "imports"} {
		rec := &recorder{}
		recs[typ] = rec
		mt.RegisterResponder(http.MethodPut, testRoot+"/"+typ+"/"+depID+"/replaceConnection", rec.wrap(httpmock.NewStringResponder(204, "")))
	}
	require.NoError(t, c.Flows.ReplaceConnection(ctx, depID, connA, connB))
	require.NoError(t, c.Exports.ReplaceConnection(ctx, depID, connB))
	require.NoError(t, c.Imports.ReplaceConnection(ctx, depID, connB))
	assert.JSONEq(t, `{"_connectionId":"`+connA+`","_newConnectionId":"`+connB+`"}`, string(recs["flows"].reqs[0].Body))
	assert.JSONEq(t, `{"_newConnectionId":"`+connB+`"}`, string(recs["exports"].reqs[0].Body))
	assert.JSONEq(t, `{"_newConnectionId":"`+connB+`"}`, string(recs["imports"].reqs[0].Body))

	assert.ErrorIs(t, c.Flows.ReplaceConnection(ctx, depID, "", connB), ErrInvalidArgument)
	assert.ErrorIs(t, c.Flows.ReplaceConnection(ctx, depID, connA, ""), ErrInvalidArgument)
	assert.ErrorIs(t, c.Exports.ReplaceConnection(ctx, depID, "x y"), ErrInvalidArgument)
	assert.ErrorIs(t, c.Imports.ReplaceConnection(ctx, "", connB), ErrInvalidArgument)
	for typ, rec := range recs {
		assert.Len(t, rec.reqs, 1, typ)
	}
}

func TestDependenciesWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/connections/"+connA+"/dependencies", rec.wrap(jsonResponder(200, []byte(
		`{"exports":[{"id":"e1","name":"Orders","paths":["_connectionId"],"accessLevel":"manage"}],"imports":[],"flows":[{"_id":"f1","name":"F","paths":["a","b"]}]}`))))
	deps, err := c.Dependencies(context.Background(), "connections", connA)
	require.NoError(t, err)
	assert.Equal(t, map[string][]Dependency{
		"exports": {{ID: "e1", Name: "Orders", Paths: []string{"_connectionId"}, AccessLevel: "manage"}},
		"flows":   {{ID: "f1", Name: "F", Paths: []string{"a", "b"}}},
	}, deps, "an id under _id is read, empty types are left out")
	require.Len(t, rec.reqs, 1)

	_, err = c.Dependencies(context.Background(), "con/nections", connA)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.Dependencies(context.Background(), "connections", "")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Len(t, rec.reqs, 1)
}

func TestCloneOptionsEnvironmentAndFlowGroup(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	recs := map[string]*recorder{}
	for _, typ := range []string{"integrations", "flows", "exports"} {
		rec := &recorder{}
		recs[typ] = rec
		mt.RegisterResponder(http.MethodPost, testRoot+"/"+typ+"/"+depID+"/clone", rec.wrap(jsonResponder(201, []byte(depDoc))))
	}
	_, err := c.Integrations.Clone(ctx, depID, &CloneOptions{Name: "n", EnvironmentID: "env1"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"n","_envId":"env1"}`, string(recs["integrations"].reqs[0].Body))

	_, err = c.Flows.Clone(ctx, depID, &FlowCloneOptions{IntegrationID: "i1", EnvironmentID: "env1", FlowGroupingID: "g1", ConnectionMap: map[string]string{"a": "b"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"_integrationId":"i1","envId":"env1","_flowGroupingId":"g1","connectionMap":{"a":"b"}}`, string(recs["flows"].reqs[0].Body))

	_, err = c.Exports.Clone(ctx, depID, &CloneOptions{Name: "n", EnvironmentID: "env1"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"n"}`, string(recs["exports"].reqs[0].Body), "an export clone takes a name and a map only")

	_, err = c.Flows.Clone(ctx, depID, &FlowCloneOptions{IntegrationID: "i1", FlowGroupingID: "g/1"})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Len(t, recs["flows"].reqs, 1)
}
