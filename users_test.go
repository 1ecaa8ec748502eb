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

const userJSON = `{"_id":"u1","accessLevel":"monitor","accepted":true,"disabled":false,"lastModified":"2024-01-02T03:04:05.000Z",` +
	`"integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"manage"}],"sharedWithUser":{"_id":"p1","email":"ann@example.com","name":"Ann"}}`

// The typed members of a user read as documented.
func TestUserModel(t *testing.T) {
	t.Parallel()
	var u User
	require.NoError(t, u.UnmarshalJSON([]byte(userJSON)))
	assert.Equal(t, AccessMonitor, u.AccessLevel)
	require.Len(t, u.IntegrationAccessLevel, 1)
	assert.Equal(t, "i1", u.IntegrationAccessLevel[0].IntegrationID)
	assert.Equal(t, AccessManage, u.IntegrationAccessLevel[0].AccessLevel)
	require.NotNil(t, u.SharedWithUser)
	assert.Equal(t, "ann@example.com", u.SharedWithUser.Email)
	assert.Equal(t, "Ann", u.SharedWithUser.Name)
	assert.True(t, u.Accepted)
	assert.False(t, u.Disabled)
}

// List reads /ashares, or the users of one integration under it; the
// options' projection goes in the query.
func TestUsersListWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var all, one recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/ashares", all.wrap(jsonResponder(200, []byte("["+userJSON+"]"))))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/i1/ashares", one.wrap(httpmock.NewStringResponder(204, "")))
	ctx := context.Background()
	got, err := c.Users.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "u1", got[0].ID)
	got, err = c.Users.List(ctx, &ResourceListOptions{IntegrationID: "i1", ListOptions: ListOptions{Include: []string{"accessLevel"}}})
	require.NoError(t, err)
	assert.Empty(t, got, "204: nobody")
	require.Len(t, one.reqs, 1)
	assert.Equal(t, "include=accessLevel", one.reqs[0].RawQuery)
	assert.Len(t, all.reqs, 1)
	_, err = c.Users.List(ctx, &ResourceListOptions{IntegrationID: "a/b"})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

// Update sends the whole record; when the API answers 204 it reads the
// record back. Delete and Reinvite go to their paths.
func TestUsersWritesWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	doc := testRoot + "/ashares/u1"
	var put, reinvite recorder
	mt.RegisterResponder(http.MethodGet, doc, jsonResponder(200, []byte(userJSON)))
	mt.RegisterResponder(http.MethodPut, doc, put.wrap(httpmock.NewStringResponder(204, "")))
	mt.RegisterResponder(http.MethodDelete, doc, httpmock.NewStringResponder(204, ""))
	mt.RegisterResponder(http.MethodPut, doc+"/reinvite", reinvite.wrap(
		jsonResponder(503, []byte(`{"errors":[{"code":"unavailable"}]}`)).Then(httpmock.NewStringResponder(204, ""))))
	ctx := context.Background()

	u, err := c.Users.Get(ctx, "u1")
	require.NoError(t, err)
	u.AccessLevel = AccessManage
	out, err := c.Users.Update(ctx, "u1", u)
	require.NoError(t, err)
	assert.Equal(t, "u1", out.ID, "read back after the 204")
	require.Len(t, put.reqs, 1)
	requireSameJSON(t, []byte(`{"_id":"u1","accessLevel":"manage","accepted":true,"disabled":false,"lastModified":"2024-01-02T03:04:05.000Z",`+
		`"integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"manage"}],"sharedWithUser":{"_id":"p1","email":"ann@example.com","name":"Ann"}}`), put.reqs[0].Body)
	assert.Equal(t, 2, mt.GetCallCountInfo()["GET "+doc])

	require.NoError(t, c.Users.Delete(ctx, "u1"))
	assert.Equal(t, 1, mt.GetCallCountInfo()["DELETE "+doc])

	require.NoError(t, c.Users.Reinvite(ctx, "u1"))
	require.Len(t, reinvite.reqs, 2, "a reinvite is retried after a 503")
	assert.Equal(t, "{}", string(reinvite.reqs[1].Body))
	assert.ErrorIs(t, c.Users.Reinvite(ctx, ""), ErrInvalidArgument)
}

// Invite posts the invitation once and reads a result per e-mail: 201 is
// invited, 400 and 409 already have access, anything else refused.
func TestUsersInviteWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	url := testRoot + "/invite/multiple"
	var rec recorder
	mt.RegisterResponder(http.MethodPost, url, rec.wrap(jsonResponder(200, []byte(`[
		{"statusCode":201,"doc":`+userJSON+`},
		{"statusCode":400,"doc":{"errors":[{"code":"already_has_access","message":"bob@example.com already has access"}]}},
		{"statusCode":409},
		{"statusCode":"422","doc":{"errors":[{"code":"invalid_field","message":"no"}]}}]`))))
	inv := &Invitation{
		Emails:                 []string{"ann@example.com", "bob@example.com", "cy@example.com", "di@example.com"},
		AccessLevel:            AccessMonitor,
		IntegrationAccessLevel: []IntegrationAccess{{IntegrationID: "i1", AccessLevel: AccessManage}},
		MFARequired:            true,
	}
	res, err := c.Users.Invite(context.Background(), inv)
	require.NoError(t, err)
	require.Len(t, rec.reqs, 1)
	requireSameJSON(t, []byte(`{"emails":["ann@example.com","bob@example.com","cy@example.com","di@example.com"],"accessLevel":"monitor",`+
		`"integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"manage"}],"accountMFARequired":true}`), rec.reqs[0].Body)
	require.Len(t, res, 4)
	assert.Equal(t, InviteResult{Email: "ann@example.com", Status: Invited, StatusCode: 201, User: res[0].User}, res[0])
	require.NotNil(t, res[0].User)
	assert.Equal(t, "u1", res[0].User.ID)
	assert.Equal(t, AlreadyHasAccess, res[1].Status)
	assert.Equal(t, "bob@example.com", res[1].Email)
	require.Len(t, res[1].Errors, 1)
	assert.Equal(t, "already_has_access", res[1].Errors[0].Code)
	assert.Equal(t, InviteResult{Email: "cy@example.com", Status: AlreadyHasAccess, StatusCode: 409}, res[2])
	assert.Equal(t, InviteRefused, res[3].Status)
	assert.Equal(t, 422, res[3].StatusCode)
}

// An invitation is a write: a lost answer is an unknown outcome after one
// POST, an answer that is not a list too; bad invitations are refused
// before sending.
func TestUsersInviteIsSentOnce(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	url := testRoot + "/invite/multiple"
	ctx := context.Background()
	inv := &Invitation{Emails: []string{"ann@example.com"}, AccessLevel: AccessMonitor}
	mt.RegisterResponder(http.MethodPost, url, httpmock.NewErrorResponder(errors.New("connection reset by peer")))
	_, err := c.Users.Invite(ctx, inv)
	require.ErrorIs(t, err, ErrUnknownOutcome)
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+url])

	for _, body := range []string{`{"statusCode":201}`, `[{"doc":{}}]`, ``} {
		mt.RegisterResponder(http.MethodPost, url, jsonResponder(200, []byte(body)))
		_, err = c.Users.Invite(ctx, inv)
		require.ErrorIs(t, err, ErrUnexpectedResponse, body)
		assert.ErrorIs(t, err, ErrUnknownOutcome, body)
	}
	mt.ZeroCallCounters()
	for _, bad := range []*Invitation{
		nil, {}, {Emails: []string{""}}, {Emails: []string{"ann"}}, {Emails: []string{"a b@example.com"}},
		{Emails: []string{"ann@example.com"}, IntegrationAccessLevel: []IntegrationAccess{{AccessLevel: AccessManage}}},
	} {
		_, err := c.Users.Invite(ctx, bad)
		assert.ErrorIs(t, err, ErrInvalidArgument, "%+v", bad)
	}
	assert.Zero(t, mt.GetTotalCallCount())
}
