package integratorio

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const licenseJSON = `{"_id":"l1","email":"ann@example.com","expires":"2030-01-01T00:00:00.000Z","_connectorId":"c1","opts":{"edition":"x"},"lastModified":"2024-01-02T03:04:05.000Z"}`

// The licenses of a connector live under it; each call goes to its method
// and path.
func TestLicensesWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	coll := testRoot + "/connectors/c1/licenses"
	var rec recorder
	mt.RegisterResponder(http.MethodGet, coll, rec.wrap(jsonResponder(200, []byte("["+licenseJSON+"]"))))
	mt.RegisterResponder(http.MethodPost, coll, rec.wrap(jsonResponder(201, []byte(licenseJSON))))
	mt.RegisterResponder(http.MethodGet, coll+"/l1", rec.wrap(jsonResponder(200, []byte(licenseJSON))))
	mt.RegisterResponder(http.MethodPut, coll+"/l1", rec.wrap(jsonResponder(200, []byte(licenseJSON))))
	mt.RegisterResponder(http.MethodDelete, coll+"/l1", rec.wrap(httpmock.NewStringResponder(204, "")))
	ctx := context.Background()
	lics := c.Connectors.Licenses("c1")

	list, err := lics.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), list[0].Expires.UTC())
	assert.Equal(t, "c1", list[0].ConnectorID)
	created, err := lics.Create(ctx, &License{Email: "ann@example.com", Expires: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	assert.Equal(t, "l1", created.ID)
	got, err := lics.Get(ctx, "l1")
	require.NoError(t, err)
	got.Email = "bob@example.com"
	_, err = lics.Update(ctx, "l1", got)
	require.NoError(t, err)
	require.NoError(t, lics.Delete(ctx, "l1"))

	require.Len(t, rec.reqs, 5)
	want := []string{"GET", "POST", "GET", "PUT", "DELETE"}
	for i, r := range rec.reqs {
		assert.Equal(t, want[i], r.Method)
	}
	assert.Equal(t, "/v1/connectors/c1/licenses", rec.reqs[1].Path)
	requireSameJSON(t, []byte(`{"email":"ann@example.com","expires":"2030-01-01T00:00:00Z"}`), rec.reqs[1].Body)
	assert.Contains(t, string(rec.reqs[3].Body), `"email":"bob@example.com"`)
	assert.Contains(t, string(rec.reqs[3].Body), `"opts":{"edition":"x"}`, "untyped members are written back")
}

// Licenses of an invalid connector id fail every call before sending.
func TestLicensesOfAnInvalidConnector(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	for _, id := range []string{"", "a/b", "..", "a?b"} {
		lics := c.Connectors.Licenses(id)
		_, err := lics.List(ctx, nil)
		assert.ErrorIs(t, err, ErrInvalidArgument, "List %q", id)
		assert.ErrorContains(t, err, "connector")
		_, err = lics.Get(ctx, "l1")
		assert.ErrorIs(t, err, ErrInvalidArgument, "Get %q", id)
		_, err = lics.Create(ctx, &License{Email: "a@b.c"})
		assert.ErrorIs(t, err, ErrInvalidArgument, "Create %q", id)
		_, err = lics.Update(ctx, "l1", &License{ID: "l1"})
		assert.ErrorIs(t, err, ErrInvalidArgument, "Update %q", id)
		assert.ErrorIs(t, lics.Delete(ctx, "l1"), ErrInvalidArgument, "Delete %q", id)
	}
	assert.Zero(t, mt.GetTotalCallCount())
}

// The connector calls of before keep working beside the new CRUD.
func TestConnectorsCRUDBesideInstallBase(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testRoot+"/connectors", jsonResponder(200, []byte(`[{"_id":"c1","name":"Shop","published":true}]`)))
	mt.RegisterResponder(http.MethodGet, testRoot+"/connectors/c1/installBase", jsonResponder(200, []byte(`[{"_id":"x","_integrationId":"i1","version":"1.0.0"}]`)))
	ctx := context.Background()
	list, err := c.Connectors.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.True(t, list[0].Published)
	base, err := c.Connectors.InstallBase(ctx, list[0].ID)
	require.NoError(t, err)
	require.Len(t, base, 1)
	assert.Equal(t, "i1", base[0].IntegrationID)
}
