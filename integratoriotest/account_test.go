package integratoriotest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// count returns how many logged requests had method and path.
func count(srv *integratoriotest.Server, method, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// seedUsers stores an integration and three access records: u1 accepted
// with access to the integration, u2 invited to it and not yet accepted,
// u3 with account-wide access, u4 with access to another integration.
func seedUsers(t *testing.T, srv *integratoriotest.Server) string {
	t.Helper()
	in := seed(t, srv, `{"_id":"i1","name":"i"}`)
	_, err := srv.AddJSON("ashares", []byte(`[
		{"_id":"u1","accepted":true,"disabled":false,"integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"manage"}],"sharedWithUser":{"_id":"p1","email":"Ann@example.com","name":"Ann"}},
		{"_id":"u2","accepted":false,"dismissed":true,"integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"monitor"}],"sharedWithUser":{"_id":"p2","email":"bob@example.com"}},
		{"_id":"u3","accepted":true,"accessLevel":"administrator","sharedWithUser":{"_id":"p3","email":"cy@example.com"}},
		{"_id":"u4","accepted":true,"integrationAccessLevel":[{"_integrationId":"other","accessLevel":"monitor"}],"sharedWithUser":{"_id":"p4","email":"di@example.com"}}]`))
	require.NoError(t, err)
	return in
}

// The users of one integration are those with access to it, account-wide
// access included.
func TestUsersOfOneIntegration(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	in := seedUsers(t, srv)
	users, err := srv.Client().Users.List(context.Background(), &integratorio.ResourceListOptions{IntegrationID: in})
	require.NoError(t, err)
	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID)
	}
	assert.Equal(t, []string{"u1", "u2", "u3"}, ids)
	assert.Equal(t, http.StatusNotFound, rawReq(t, srv, "GET", "/integrations/nope/ashares", "").status)
}

// Each invited e-mail is answered on its own: 201 with a new record not
// yet accepted, or 400 for someone who already has access (compared
// without case).
func TestInviteAnswersPerEmail(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	seedUsers(t, srv)
	c := srv.Client()
	res, err := c.Users.Invite(context.Background(), &integratorio.Invitation{
		Emails:                 []string{"ann@EXAMPLE.com", "new@example.com"},
		IntegrationAccessLevel: []integratorio.IntegrationAccess{{IntegrationID: "i1", AccessLevel: integratorio.AccessMonitor}},
	})
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, integratorio.AlreadyHasAccess, res[0].Status)
	assert.Equal(t, http.StatusBadRequest, res[0].StatusCode)
	assert.Equal(t, "ann@EXAMPLE.com", res[0].Email)
	require.NotEmpty(t, res[0].Errors)
	assert.Equal(t, "already_has_access", res[0].Errors[0].Code)
	assert.Equal(t, integratorio.Invited, res[1].Status)
	assert.Equal(t, "new@example.com", res[1].Email)
	require.NotNil(t, res[1].User)
	assert.False(t, res[1].User.Accepted)
	stored := document(t, srv, "ashares", res[1].User.ID)
	assert.Equal(t, "new@example.com", pointer(stored, "/sharedWithUser/email"))
	assert.Len(t, srv.IDs("ashares"), 5, "one record added")

	again, err := c.Users.Invite(context.Background(), &integratorio.Invitation{Emails: []string{"new@example.com"}, AccessLevel: integratorio.AccessManage})
	require.NoError(t, err)
	assert.Equal(t, integratorio.AlreadyHasAccess, again[0].Status, "invited once, has access after")

	for _, body := range []string{
		`{"emails":["x@example.com"]}`,
		`{"emails":[],"accessLevel":"manage"}`,
		`{"emails":["x"],"accessLevel":"manage"}`,
		`{"emails":["x@example.com"],"accessLevel":"owner"}`,
		`{"emails":["x@example.com"],"integrationAccessLevel":[{"_integrationId":"nope","accessLevel":"manage"}]}`,
	} {
		assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "POST", "/invite/multiple", body).status, body)
	}
	assert.Len(t, srv.IDs("ashares"), 5, "a refused invitation adds nobody")
}

// The fake's disable flips the state at every call, as the API's does; the
// SDK sends it only when the state differs. Only accepted users can be
// disabled.
func TestDisableTogglesAndTheSDKSendsItOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	seedUsers(t, srv)
	c := srv.Client()
	ctx := context.Background()
	require.NoError(t, c.Users.Disable(ctx, "u1", true))
	assert.Equal(t, true, document(t, srv, "ashares", "u1")["disabled"])
	require.NoError(t, c.Users.Disable(ctx, "u1", true))
	assert.Equal(t, true, document(t, srv, "ashares", "u1")["disabled"])
	assert.Equal(t, 1, count(srv, "PUT", "/ashares/u1/disable"), "already disabled: not sent")
	require.NoError(t, c.Users.Disable(ctx, "u1", false))
	assert.Equal(t, false, document(t, srv, "ashares", "u1")["disabled"])
	assert.Equal(t, 2, count(srv, "PUT", "/ashares/u1/disable"))

	assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "PUT", "/ashares/u1/disable", "").status)
	assert.Equal(t, http.StatusNoContent, rawReq(t, srv, "PUT", "/ashares/u1/disable", "").status)
	assert.Equal(t, false, document(t, srv, "ashares", "u1")["disabled"], "twice is no change: a toggle")

	err := c.Users.Disable(ctx, "u2", true)
	require.Error(t, err)
	assert.ErrorIs(t, err, integratorio.ErrBadRequest)
	assert.NotEqual(t, true, document(t, srv, "ashares", "u2")["disabled"])
	assert.ErrorIs(t, c.Users.Disable(ctx, "nope", true), integratorio.ErrNotFound)
}

// A PUT of a user answers 204 and the SDK reads the record back; the
// members only the server changes keep their values. Reinvite makes a
// dismissed invitation pending; users have no create or patch.
func TestUserUpdateAndReinvite(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	seedUsers(t, srv)
	c := srv.Client()
	ctx := context.Background()
	u, err := c.Users.Get(ctx, "u1")
	require.NoError(t, err)
	u.IntegrationAccessLevel[0].AccessLevel = integratorio.AccessMonitor
	u.Disabled = true
	u.SharedWithUser.Email = "mallory@example.com"
	out, err := c.Users.Update(ctx, "u1", u)
	require.NoError(t, err)
	assert.Equal(t, integratorio.AccessMonitor, out.IntegrationAccessLevel[0].AccessLevel)
	assert.False(t, out.Disabled, "disabled changes only by its toggle")
	assert.Equal(t, "Ann@example.com", out.SharedWithUser.Email, "read-only")
	assert.Equal(t, []string{"GET /ashares/u1 200", "PUT /ashares/u1 204", "GET /ashares/u1 200"}, statuses(srv))
	assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "PUT", "/ashares/u1", `{"accessLevel":"owner"}`).status)

	require.NoError(t, c.Users.Reinvite(ctx, "u2"))
	assert.Equal(t, false, document(t, srv, "ashares", "u2")["dismissed"])
	assert.ErrorIs(t, c.Users.Reinvite(ctx, "u1"), integratorio.ErrBadRequest, "accepted already")

	for _, req := range [][2]string{{"POST", "/ashares"}, {"PATCH", "/ashares/u1"}} {
		a := rawReq(t, srv, req[0], req[1], `{}`)
		assert.GreaterOrEqual(t, a.status, 400, "%s %s", req[0], req[1])
	}
	require.NoError(t, c.Users.Delete(ctx, "u1"))
	assert.NotContains(t, srv.IDs("ashares"), "u1")
}

// Environments are created enabled; SetEnabled flips them through the
// toggle only when needed; there is no delete.
func TestEnvironmentsToggle(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	env, err := c.Environments.Create(ctx, &integratorio.Environment{Name: "Staging"})
	require.NoError(t, err)
	assert.True(t, env.Enabled, "created enabled")
	require.NoError(t, c.Environments.SetEnabled(ctx, env.ID, true))
	assert.Zero(t, count(srv, "PUT", "/environments/"+env.ID+"/enable"), "already enabled")
	require.NoError(t, c.Environments.SetEnabled(ctx, env.ID, false))
	require.NoError(t, c.Environments.SetEnabled(ctx, env.ID, false))
	got, err := c.Environments.Get(ctx, env.ID)
	require.NoError(t, err)
	assert.False(t, got.Enabled)
	assert.Equal(t, 1, count(srv, "PUT", "/environments/"+env.ID+"/enable"))

	got.Name = "QA"
	got.Enabled = true
	out, err := c.Environments.Update(ctx, env.ID, got)
	require.NoError(t, err)
	assert.Equal(t, "QA", out.Name)
	assert.False(t, out.Enabled, "enabled changes only by its toggle")
	assert.GreaterOrEqual(t, rawReq(t, srv, "DELETE", "/environments/"+env.ID, "").status, 400)
	assert.Equal(t, http.StatusBadRequest, rawReq(t, srv, "POST", "/environments", `{"enabled":true}`).status, "name is required")
}

// Licenses live under their connector: created with its id, listed and
// read only through it, refused for an unknown connector or an e-mail
// that names no user.
func TestLicensesUnderTheirConnector(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	c1, err := c.Connectors.Create(ctx, &integratorio.Connector{Name: "Shop"})
	require.NoError(t, err)
	c2, err := c.Connectors.Create(ctx, &integratorio.Connector{Name: "ERP"})
	require.NoError(t, err)

	lic, err := c.Connectors.Licenses(c1.ID).Create(ctx, &integratorio.License{Email: "ann@example.com"})
	require.NoError(t, err)
	assert.Equal(t, c1.ID, lic.ConnectorID)
	list, err := c.Connectors.Licenses(c1.ID).List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, list, 1)
	other, err := c.Connectors.Licenses(c2.ID).List(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, other)
	_, err = c.Connectors.Licenses(c2.ID).Get(ctx, lic.ID)
	assert.ErrorIs(t, err, integratorio.ErrNotFound, "another connector's license")
	assert.ErrorIs(t, c.Connectors.Licenses(c2.ID).Delete(ctx, lic.ID), integratorio.ErrNotFound)
	_, err = c.Connectors.Licenses("5f0000000000000000000000").List(ctx, nil)
	assert.ErrorIs(t, err, integratorio.ErrNotFound, "unknown connector")

	lic.Email = "bob@example.com"
	lic.ConnectorID = c2.ID
	out, err := c.Connectors.Licenses(c1.ID).Update(ctx, lic.ID, lic)
	require.NoError(t, err)
	assert.Equal(t, c1.ID, out.ConnectorID, "a license stays with its connector")
	assert.Equal(t, "bob@example.com", out.Email)

	_, err = c.Connectors.Licenses(c1.ID).Create(ctx, &integratorio.License{Email: "nobody"})
	var apiErr *integratorio.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "invalid_user", apiErr.Code())
	require.NoError(t, c.Connectors.Licenses(c1.ID).Delete(ctx, lic.ID))
	assert.Empty(t, srv.IDs("licenses"))
}

// An iClient's secret is answered masked; the SDK refuses to write the
// mask back, and a Patch leaves the stored secret intact.
func TestIClientSecretsAreMaskedAndGuarded(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	_, err := srv.AddJSON("iclients", []byte(`{"_id":"ic1","name":"Shop","provider":"custom_oauth2","oauth2":{"clientId":"cid","clientSecret":"cs-real"}}`))
	require.NoError(t, err)
	for _, path := range []string{"/iclients/ic1", "/iclients"} {
		a := rawReq(t, srv, "GET", path, "")
		assert.Contains(t, string(a.body), `"clientSecret":"******"`, path)
		assert.NotContains(t, string(a.body), "cs-real", path)
	}
	ic, err := c.IClients.Get(ctx, "ic1")
	require.NoError(t, err)
	ic.Name = "renamed"
	srv.ResetRequests()
	_, err = c.IClients.Update(ctx, "ic1", ic)
	require.ErrorIs(t, err, integratorio.ErrMaskedSecret)
	var mse *integratorio.MaskedSecretError
	require.ErrorAs(t, err, &mse)
	assert.Equal(t, []string{"/oauth2/clientSecret"}, mse.Paths)
	_, err = c.IClients.Modify(ctx, "ic1", func(ic *integratorio.IClient) error { ic.Name = "renamed"; return nil })
	assert.ErrorIs(t, err, integratorio.ErrMaskedSecret)
	for _, r := range srv.Requests() {
		assert.Equal(t, "GET", r.Method, "nothing written")
	}
	require.NoError(t, c.IClients.Patch(ctx, "ic1", integratorio.PatchOp{Op: "replace", Path: "/name", Value: "renamed"}))
	stored := document(t, srv, "iclients", "ic1")
	assert.Equal(t, "renamed", stored["name"])
	assert.Equal(t, "cs-real", pointer(stored, "/oauth2/clientSecret"))
}

// Tags are served like any document; a tag needs its label.
func TestTags(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	tag, err := c.Tags.Create(ctx, &integratorio.Tag{Tag: "urgent"})
	require.NoError(t, err)
	list, err := c.Tags.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "urgent", list[0].Tag)
	_, err = c.Tags.Create(ctx, &integratorio.Tag{})
	assert.ErrorIs(t, err, integratorio.ErrBadRequest, "tag is required")
	require.NoError(t, c.Tags.Delete(ctx, tag.ID))
	assert.Empty(t, srv.IDs("tags"))
}
