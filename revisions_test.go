package integratorio

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	revID  = "6b0e92c4a791ac036628c9e1"
	revDoc = `{"_id":"` + revID + `","type":"snapshot","status":"completed","description":"before go-live","createdAt":"2024-01-02T03:04:05.000Z","_createdByUserId":"u1"}`
)

func TestRevisionsWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	base := testRoot + "/integrations/" + depID + "/revisions"
	var list, one, diff, create recorder
	mt.RegisterResponder(http.MethodGet, base, list.wrap(jsonResponder(200, []byte("["+revDoc+"]"))))
	mt.RegisterResponder(http.MethodGet, base+"/"+revID, one.wrap(jsonResponder(200, []byte(revDoc))))
	mt.RegisterResponder(http.MethodGet, base+"/"+revID+"/diff", diff.wrap(jsonResponder(200, []byte(`{"changes":[]}`))))
	mt.RegisterResponder(http.MethodPost, base+"/create", create.wrap(jsonResponder(201, []byte(revDoc))))

	revs, err := c.Integrations.Revisions(ctx, depID)
	require.NoError(t, err)
	require.Len(t, revs, 1)
	assert.Equal(t, revID, revs[0].ID)
	assert.Equal(t, "before go-live", revs[0].Description)
	assert.Equal(t, "completed", revs[0].Status)
	assert.Equal(t, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), revs[0].CreatedAt.UTC())

	rv, err := c.Integrations.Revision(ctx, depID, revID)
	require.NoError(t, err)
	assert.Equal(t, "snapshot", rv.Type)

	d, err := c.Integrations.RevisionDiff(ctx, depID, revID)
	require.NoError(t, err)
	assert.JSONEq(t, `{"changes":[]}`, string(d))

	rv, err = c.Integrations.CreateSnapshot(ctx, depID, "before go-live")
	require.NoError(t, err)
	assert.Equal(t, revID, rv.ID)
	require.Len(t, create.reqs, 1)
	assert.JSONEq(t, `{"description":"before go-live"}`, string(create.reqs[0].Body))

	for _, r := range [][]captured{list.reqs, one.reqs, diff.reqs} {
		assert.Len(t, r, 1)
	}
	_, err = c.Integrations.Revision(ctx, depID, "a/b")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.Integrations.RevisionDiff(ctx, "", revID)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.Integrations.CreateSnapshot(ctx, "..", "x")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Len(t, create.reqs, 1)
}

func TestCreateSnapshotIsNeverRepeated(t *testing.T) {
	t.Parallel()
	for name, answer := range map[string]httpmock.Responder{
		"lost answer": httpmock.NewErrorResponder(errors.New("connection reset by peer")),
		"504":         httpmock.NewStringResponder(504, ""),
		"unreadable":  jsonResponder(201, []byte(`[]`)),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			var rec recorder
			mt.RegisterResponder(http.MethodPost, testRoot+"/integrations/"+depID+"/revisions/create", rec.wrap(answer))
			_, err := c.Integrations.CreateSnapshot(context.Background(), depID, "x")
			assert.ErrorIs(t, err, ErrUnknownOutcome)
			assert.Len(t, rec.reqs, 1, "the snapshot is requested once")
		})
	}
}
