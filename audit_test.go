package integratorio

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuditListWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, `=~^`+testRoot+`/audit`, rec.wrap(jsonResponder(200, []byte(
		`[{"_id":"a1","resourceType":"flow","_resourceId":"f1","_byUserId":"u1","source":"api","action":"update","time":"2024-01-02T03:04:05.000Z","fieldChange":{"fieldPath":"name"}}]`))))
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))
	got, err := c.Audit.List(context.Background(), &AuditListOptions{
		ResourceType: "flow", ResourceID: "f1", UserID: "u1", Source: "api", Action: "update",
		From: from, To: from.Add(48 * time.Hour),
	})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "f1", got[0].ResourceID)
	assert.Equal(t, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), got[0].Time.UTC())
	assert.Contains(t, got[0].ExtraKeys(), "fieldChange", "untyped members are kept")
	require.Len(t, rec.reqs, 1)
	q, err := url.ParseQuery(rec.reqs[0].RawQuery)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"resourceType": {"flow"}, "_resourceId": {"f1"}, "_byUserId": {"u1"}, "source": {"api"}, "action": {"update"},
		"from": {"2023-12-31T23:00:00.000Z"}, "to": {"2024-01-02T23:00:00.000Z"},
	}, q)

	_, err = c.Audit.List(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, rec.reqs, 2)
	assert.Empty(t, rec.reqs[1].RawQuery, "no options, no query")
}

func TestAuditOfWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/"+depID+"/audit", rec.wrap(jsonResponder(204, nil)))
	got, err := c.Audit.Of(context.Background(), "integrations", depID)
	require.NoError(t, err)
	assert.Empty(t, got)
	require.Len(t, rec.reqs, 1)
	_, err = c.Audit.Of(context.Background(), "", depID)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.Audit.Of(context.Background(), "flows", "../x")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Len(t, rec.reqs, 1)
}
