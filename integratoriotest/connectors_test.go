package integratoriotest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	assert.JSONEq(t, `[
		{"_id":"`+a1+`","_integrationId":"`+a1+`","_connectorId":"conn1","name":"A","version":"1.0.0","updateInProgress":false},
		{"_id":"`+a3+`","_integrationId":"`+a3+`","_connectorId":"conn1","name":"C"}]`, string(a.body))

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
