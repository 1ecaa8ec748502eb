package integratoriotest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// installBase lists the integrations installed from a connector.
func TestConnectorInstallBase(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a1 := seed(t, srv, `{"name":"A","_connectorId":"conn1","version":"1.0.0","updateInProgress":false}`)
	seed(t, srv, `{"name":"B","_connectorId":"conn2"}`)
	a3 := seed(t, srv, `{"name":"C","_connectorId":"conn1"}`)

	a := rawReq(t, srv, "GET", "/connectors/conn1/installBase", "")
	require.Equal(t, http.StatusOK, a.status)
	installs := installIDs(t, a.body)
	require.Len(t, installs, 2)
	assert.JSONEq(t, `[
		{"_id":"`+installs[0]+`","_integrationId":"`+a1+`","_connectorId":"conn1","name":"A","version":"1.0.0","updateInProgress":false},
		{"_id":"`+installs[1]+`","_integrationId":"`+a3+`","_connectorId":"conn1","name":"C"}]`, string(a.body))

	a = rawReq(t, srv, "GET", "/connectors/none/installBase", "")
	assert.Equal(t, http.StatusNoContent, a.status)
	a = rawReq(t, srv, "GET", "/connectors/conn1/installBase", "", "Authorization:")
	assert.Equal(t, http.StatusUnauthorized, a.status)
}

// Pushing an update marks each integration updateInProgress and moves its
// lastModified; a bad id changes nothing.
func TestConnectorUpdate(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a1 := seed(t, srv, `{"name":"A","_connectorId":"conn1","updateInProgress":false}`)
	a2 := seed(t, srv, `{"name":"B","_connectorId":"conn1"}`)
	other := seed(t, srv, `{"name":"C","_connectorId":"conn2"}`)
	before := stored(t, srv, a1)

	a := rawReq(t, srv, "PUT", "/connectors/conn1/update", `{"_integrationIds":["`+a1+`","`+a2+`"]}`)
	require.Equal(t, http.StatusOK, a.status)
	assert.JSONEq(t, `{"_integrationIds":["`+a1+`","`+a2+`"]}`, string(a.body))
	for _, id := range []string{a1, a2} {
		doc := stored(t, srv, id)
		assert.Equal(t, true, doc["updateInProgress"], id)
		assert.Greater(t, doc["lastModified"].(string), before["lastModified"].(string))
	}
	assert.NotContains(t, stored(t, srv, other), "updateInProgress")

	snapshot, _ := srv.IntegrationJSON(other)
	snapshotA1, _ := srv.IntegrationJSON(a1)
	for body, want := range map[string]struct {
		status int
		code   string
	}{
		`{"_integrationIds":["` + other + `"]}`:     {http.StatusBadRequest, "invalid_ref"},
		`{"_integrationIds":["` + a1 + `","nope"]}`: {http.StatusNotFound, "not_found"},
		`{"_integrationIds":[]}`:                    {http.StatusBadRequest, "invalid_field"},
		`{"_integrationIds":[5]}`:                   {http.StatusBadRequest, "invalid_field"},
		`{}`:                                        {http.StatusBadRequest, "invalid_field"},
		`{"_integrationIds":`:                       {http.StatusBadRequest, "invalid_json"},
	} {
		a = rawReq(t, srv, "PUT", "/connectors/conn1/update", body)
		assert.Equal(t, want.status, a.status, body)
		assert.Equal(t, want.code, a.envelope(t)["code"], body)
	}
	after, _ := srv.IntegrationJSON(other)
	assert.Equal(t, string(snapshot), string(after))
	afterA1, _ := srv.IntegrationJSON(a1)
	assert.Equal(t, string(snapshotA1), string(afterA1), "a refused push changes no integration")
}

// installIDs returns the _id of each entry of an installBase answer.
func installIDs(t *testing.T, body []byte) []string {
	t.Helper()
	var entries []map[string]any
	require.NoError(t, json.Unmarshal(body, &entries), "body: %s", body)
	var out []string
	for _, e := range entries {
		id, _ := e["_id"].(string)
		out = append(out, id)
	}
	return out
}

// An install has an id of its own, as on the real service: 24 hex digits,
// not its integration's id nor any other integration's or install's, and
// the same at every listing, whatever happens to the integration.
func TestConnectorInstallsHaveIDsOfTheirOwn(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a1 := seed(t, srv, `{"name":"A","_connectorId":"conn1"}`)
	a2 := seed(t, srv, `{"name":"B","_connectorId":"conn1"}`)
	b1 := seed(t, srv, `{"name":"C","_connectorId":"conn2"}`)
	ctx := context.Background()
	client := srv.Client()

	installs, err := client.Connectors.InstallBase(ctx, "conn1")
	require.NoError(t, err)
	require.Len(t, installs, 2)
	other, err := client.Connectors.InstallBase(ctx, "conn2")
	require.NoError(t, err)
	require.Len(t, other, 1)
	assert.Equal(t, []string{a1, a2, b1}, []string{installs[0].IntegrationID, installs[1].IntegrationID, other[0].IntegrationID})

	seen := map[string]bool{a1: true, a2: true, b1: true}
	for _, in := range append(installs, other...) {
		assert.Regexp(t, hexID, in.ID)
		assert.NotEqual(t, in.IntegrationID, in.ID, "an install's id is not its integration's")
		assert.False(t, seen[in.ID], "install id %s is already an integration's or another install's", in.ID)
		seen[in.ID] = true
		_, isIntegration := srv.IntegrationJSON(in.ID)
		assert.False(t, isIntegration, "install id %s names an integration", in.ID)
	}

	// Stable: after a push, a rename and a new integration, the same ids.
	require.NoError(t, client.Connectors.PushUpdate(ctx, "conn1", a1))
	in, err := client.Integrations.Get(ctx, a2)
	require.NoError(t, err)
	in.Name = "B renamed"
	_, err = client.Integrations.Update(ctx, a2, in)
	require.NoError(t, err)
	seed(t, srv, `{"name":"D","_connectorId":"conn1"}`)
	again, err := client.Connectors.InstallBase(ctx, "conn1")
	require.NoError(t, err)
	require.Len(t, again, 3)
	assert.Equal(t, installs[0].ID, again[0].ID)
	assert.Equal(t, installs[1].ID, again[1].ID)
	assert.NotEqual(t, again[2].IntegrationID, again[2].ID)
	assert.NotContains(t, []string{installs[0].ID, installs[1].ID}, again[2].ID)

	// And the same on another server holding the same integrations.
	twin := newServer(t, integratoriotest.WithIDSeed(7))
	twin2 := newServer(t, integratoriotest.WithIDSeed(7))
	for _, s := range []*integratoriotest.Server{twin, twin2} {
		seed(t, s, `{"name":"A","_connectorId":"conn1"}`)
	}
	t1 := installIDs(t, rawReq(t, twin, "GET", "/connectors/conn1/installBase", "").body)
	t2 := installIDs(t, rawReq(t, twin2, "GET", "/connectors/conn1/installBase", "").body)
	assert.Equal(t, t1, t2, "install ids are deterministic with WithIDSeed")
}

// Pushing an update to an install's id, rather than its integration's, is
// refused as the real service refuses it, and changes nothing.
func TestConnectorUpdateRefusesAnInstallID(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	a1 := seed(t, srv, `{"name":"A","_connectorId":"conn1","updateInProgress":false}`)
	b1 := seed(t, srv, `{"name":"B","_connectorId":"conn2"}`)
	installs := installIDs(t, rawReq(t, srv, "GET", "/connectors/conn1/installBase", "").body)
	require.Len(t, installs, 1)
	otherInstalls := installIDs(t, rawReq(t, srv, "GET", "/connectors/conn2/installBase", "").body)
	require.Len(t, otherInstalls, 1)
	before, _ := srv.IntegrationJSON(a1)

	for _, body := range []string{
		`{"_integrationIds":["` + installs[0] + `"]}`,
		`{"_integrationIds":["` + a1 + `","` + installs[0] + `"]}`,
		`{"_integrationIds":["` + otherInstalls[0] + `"]}`,
	} {
		a := rawReq(t, srv, "PUT", "/connectors/conn1/update", body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
		e := a.envelope(t)
		assert.Equal(t, "invalid_ref", e["code"], body)
		assert.Contains(t, e["message"], "install", body)
	}
	after, _ := srv.IntegrationJSON(a1)
	assert.Equal(t, string(before), string(after), "a refused push changes nothing")

	err := srv.Client().Connectors.PushUpdate(context.Background(), "conn1", installs[0])
	require.Error(t, err, "the SDK sees the refusal")
	require.NoError(t, srv.Client().Connectors.PushUpdate(context.Background(), "conn2", b1), "the integration id is accepted")
}
