package integratoriotest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
)

// The account's resources, called through the SDK against the fake as a
// user would: the wire of each call, and the fake's answers.

func requestsMatching(t *testing.T, reqs []string, method, path string) int {
	t.Helper()
	n := 0
	for _, r := range reqs {
		if strings.HasPrefix(r, method+" "+path+" ") || strings.HasPrefix(r, method+" "+path+"?") {
			n++
		}
	}
	return n
}

func TestContractUsersTogglesInviteAndIntegrationUsers(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	integ, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "I"})
	require.NoError(t, err)

	res, err := c.Users.Invite(ctx, &integratorio.Invitation{Emails: []string{"a@example.com", "b@example.com"}, IntegrationAccessLevel: []integratorio.IntegrationAccess{{IntegrationID: integ.ID, AccessLevel: integratorio.AccessMonitor}}})
	require.NoError(t, err)
	require.Len(t, res, 2)
	for i, r := range res {
		assert.Equal(t, integratorio.Invited, r.Status, i)
	}
	assert.Equal(t, "a@example.com", res[0].Email)

	again, err := c.Users.Invite(ctx, &integratorio.Invitation{Emails: []string{"b@example.com", "c@example.com"}, AccessLevel: integratorio.AccessManage})
	require.NoError(t, err)
	require.Len(t, again, 2)
	assert.Equal(t, integratorio.AlreadyHasAccess, again[0].Status)
	assert.Equal(t, "b@example.com", again[0].Email)
	assert.Equal(t, integratorio.Invited, again[1].Status)

	all, err := c.Users.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, all, 3)
	var a *integratorio.User
	for _, u := range all {
		require.NotNil(t, u.SharedWithUser)
		if u.SharedWithUser.Email == "a@example.com" {
			a = u
		}
	}
	require.NotNil(t, a)
	assert.False(t, a.Disabled)
	require.Len(t, a.IntegrationAccessLevel, 1)
	assert.Equal(t, integ.ID, a.IntegrationAccessLevel[0].IntegrationID)

	scoped, err := c.Users.List(ctx, &integratorio.ResourceListOptions{IntegrationID: integ.ID})
	require.NoError(t, err)
	require.Len(t, scoped, 3, "a and b have access to the integration, c to every one")

	// Only an accepted invitation can be disabled: seed one.
	acceptedID, err := srv.AddJSON("ashares", []byte(`{"accepted":true,"accessLevel":"monitor","sharedWithUser":{"email":"d@example.com","name":"D"}}`))
	require.NoError(t, err)
	srv.ResetRequests()
	require.NoError(t, c.Users.Disable(ctx, acceptedID, false)) // already enabled: nothing sent
	require.NoError(t, c.Users.Disable(ctx, acceptedID, true))
	require.NoError(t, c.Users.Disable(ctx, acceptedID, true)) // already disabled
	require.NoError(t, c.Users.Disable(ctx, acceptedID, false))
	st := statuses(srv)
	assert.Equal(t, 2, requestsMatching(t, st, "PUT", "/ashares/"+acceptedID+"/disable"), st)
	d, err := c.Users.Get(ctx, acceptedID)
	require.NoError(t, err)
	assert.False(t, d.Disabled)
	assert.True(t, d.Accepted)
	assert.Equal(t, "D", d.SharedWithUser.Name)
	assert.Equal(t, integratorio.AccessMonitor, d.AccessLevel)
	d.AccessLevel = integratorio.AccessManage
	_, err = c.Users.Update(ctx, d.ID, d)
	require.NoError(t, err)
	d, err = c.Users.Get(ctx, acceptedID)
	require.NoError(t, err)
	assert.Equal(t, integratorio.AccessManage, d.AccessLevel)
	srv.ResetRequests()
	require.Error(t, c.Users.Disable(ctx, a.ID, true), "a pending invitation cannot be disabled")
	st = statuses(srv)
	assert.Equal(t, 1, requestsMatching(t, st, "PUT", "/ashares/"+a.ID+"/disable"), st)
	srv.ResetRequests()
	require.NoError(t, c.Users.Disable(ctx, a.ID, false)) // already enabled: nothing sent
	assert.Zero(t, requestsMatching(t, statuses(srv), "PUT", "/ashares/"+a.ID+"/disable"))

	require.NoError(t, c.Users.Reinvite(ctx, a.ID))
	require.NoError(t, c.Users.Delete(ctx, a.ID))
	_, err = c.Users.Get(ctx, a.ID)
	assert.ErrorIs(t, err, integratorio.ErrNotFound)

	srv.ResetRequests()
	for _, err := range []error{
		c.Users.Disable(ctx, "", true),
		c.Users.Reinvite(ctx, ""),
		c.Users.Delete(ctx, ""),
		c.Environments.SetEnabled(ctx, "", true),
		c.LookupCaches.PurgeData(ctx, ""),
	} {
		assert.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	}
	_, err = c.Users.Invite(ctx, nil)
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	_, err = c.Users.Invite(ctx, &integratorio.Invitation{})
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	_, err = c.Integrations.Revisions(ctx, "")
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	_, err = c.Integrations.DownloadTemplate(ctx, "")
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	_, err = c.Flows.DownloadTemplate(ctx, "")
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	_, err = c.Connectors.Licenses("").List(ctx, nil)
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	_, err = c.Audit.Of(ctx, "flows", "")
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	assert.Empty(t, srv.Requests(), "nothing is sent for an empty id")
}

func TestContractEnvironmentsSetEnabled(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	env, err := c.Environments.Create(ctx, &integratorio.Environment{Name: "sandbox"})
	require.NoError(t, err)
	list, err := c.Environments.List(ctx, nil)
	require.NoError(t, err)
	require.NotEmpty(t, list)
	start := env.Enabled
	srv.ResetRequests()
	require.NoError(t, c.Environments.SetEnabled(ctx, env.ID, start))
	require.NoError(t, c.Environments.SetEnabled(ctx, env.ID, !start))
	require.NoError(t, c.Environments.SetEnabled(ctx, env.ID, !start))
	st := statuses(srv)
	assert.Equal(t, 1, requestsMatching(t, st, "PUT", "/environments/"+env.ID+"/enable"), st)
	got, err := c.Environments.Get(ctx, env.ID)
	require.NoError(t, err)
	assert.Equal(t, !start, got.Enabled)
	got.Name = "sandbox 2"
	_, err = c.Environments.Update(ctx, got.ID, got)
	require.NoError(t, err)
}

func TestContractLookupCacheData(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	lc, err := c.LookupCaches.Create(ctx, &integratorio.LookupCache{Name: "skus"})
	require.NoError(t, err)
	entries := make([]integratorio.LookupCacheEntry, 2500)
	for i := range entries {
		entries[i] = integratorio.LookupCacheEntry{Key: fmt.Sprintf("k%04d", i), Value: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
	}
	srv.ResetRequests()
	require.NoError(t, c.LookupCaches.PutData(ctx, lc.ID, entries))
	st := statuses(srv)
	assert.Equal(t, 3, requestsMatching(t, st, "POST", "/lookupcaches/"+lc.ID+"/data"), st)
	assert.Len(t, srv.LookupCacheData(lc.ID), 2500)

	// The byte limit: 6 entries of about 1 MB each need two calls.
	big := make([]integratorio.LookupCacheEntry, 6)
	for i := range big {
		big[i] = integratorio.LookupCacheEntry{Key: fmt.Sprintf("big%d", i), Value: json.RawMessage(`"` + strings.Repeat("x", 999_000) + `"`)}
	}
	srv.ResetRequests()
	require.NoError(t, c.LookupCaches.PutData(ctx, lc.ID, big))
	st = statuses(srv)
	assert.Equal(t, 2, requestsMatching(t, st, "POST", "/lookupcaches/"+lc.ID+"/data"), st)

	got, err := c.LookupCaches.GetData(ctx, lc.ID, "k0001", "k2499", "missing")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.JSONEq(t, `{"n":1}`, string(got[0].Value))

	pre, err := c.LookupCaches.DataWithPrefix(ctx, lc.ID, "k000")
	require.NoError(t, err)
	assert.Len(t, pre, 10)

	require.NoError(t, c.LookupCaches.DeleteData(ctx, lc.ID, "k0001"))
	got, err = c.LookupCaches.GetData(ctx, lc.ID, "k0001")
	require.NoError(t, err)
	assert.Empty(t, got)

	require.NoError(t, c.LookupCaches.PurgeData(ctx, lc.ID))
	assert.Empty(t, srv.LookupCacheData(lc.ID))
	_, err = c.LookupCaches.Get(ctx, lc.ID)
	require.NoError(t, err, "the cache stays after a purge")
}

func TestContractIClientsMaskedSecretGuard(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	ic := &integratorio.IClient{Name: "oauth", Provider: "custom_oauth2"}
	ic.SetExtra("oauth2", json.RawMessage(`{"clientId":"id","clientSecret":"s3cret-value"}`))
	created, err := c.IClients.Create(ctx, ic)
	require.NoError(t, err)
	got, err := c.IClients.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.NotContains(t, got.String(), "s3cret-value", "the fake answers secrets masked")
	srv.ResetRequests()
	got.Name = "renamed"
	_, err = c.IClients.Update(ctx, got.ID, got)
	assert.ErrorIs(t, err, integratorio.ErrMaskedSecret)
	assert.Empty(t, srv.Requests(), "a masked secret is never written back")
	require.NoError(t, c.IClients.Patch(ctx, got.ID, integratorio.PatchOp{Op: "replace", Path: "/name", Value: "renamed"}))
	list, err := c.IClients.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "renamed", list[0].Name)
}

func TestContractConnectorsAndLicenses(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	conn, err := c.Connectors.Create(ctx, &integratorio.Connector{Name: "My app"})
	require.NoError(t, err)
	lic := c.Connectors.Licenses(conn.ID)
	l, err := lic.Create(ctx, &integratorio.License{Email: "buyer@example.com"})
	require.NoError(t, err)
	ls, err := lic.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, ls, 1)
	g, err := lic.Get(ctx, l.ID)
	require.NoError(t, err)
	_, err = lic.Update(ctx, g.ID, g)
	require.NoError(t, err)
	require.NoError(t, lic.Delete(ctx, l.ID))
	require.NoError(t, c.Connectors.Delete(ctx, conn.ID))
	st := statuses(srv)
	assert.Equal(t, 1, requestsMatching(t, st, "POST", "/connectors/"+conn.ID+"/licenses"), st)
	assert.Equal(t, 1, requestsMatching(t, st, "DELETE", "/connectors/"+conn.ID+"/licenses/"+l.ID), st)
}

func TestContractTagsAuditRevisions(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	tag, err := c.Tags.Create(ctx, &integratorio.Tag{Tag: "urgent"})
	require.NoError(t, err)
	tags, err := c.Tags.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, tags, 1)
	require.NoError(t, c.Tags.Delete(ctx, tag.ID))

	integ, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "I"})
	require.NoError(t, err)
	flow, err := c.Flows.Create(ctx, &integratorio.Flow{Name: "F", IntegrationID: integ.ID, Disabled: true})
	require.NoError(t, err)

	entries, err := c.Audit.List(ctx, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, entries, "the fake's own writes are audited")
	only, err := c.Audit.List(ctx, &integratorio.AuditListOptions{ResourceType: "flow", ResourceID: flow.ID})
	require.NoError(t, err)
	require.NotEmpty(t, only)
	for _, e := range only {
		assert.Equal(t, flow.ID, e.ResourceID)
	}
	n := 0
	for e, err := range c.Audit.All(ctx, nil) {
		require.NoError(t, err)
		require.NotNil(t, e)
		n++
	}
	assert.Equal(t, len(entries), n)
	of, err := c.Audit.Of(ctx, "integrations", integ.ID)
	require.NoError(t, err)
	var sawFlow bool
	for _, e := range of {
		sawFlow = sawFlow || e.ResourceID == flow.ID
	}
	assert.True(t, sawFlow, "an integration's audit holds its flows'")

	srv.ResetRequests()
	rev, err := c.Integrations.CreateSnapshot(ctx, integ.ID, "before the change")
	require.NoError(t, err)
	assert.NotEmpty(t, rev.ID)
	assert.Equal(t, "snapshot", rev.Type)
	assert.Equal(t, "before the change", rev.Description)
	assert.False(t, rev.CreatedAt.IsZero())
	st := statuses(srv)
	assert.Equal(t, 1, requestsMatching(t, st, "POST", "/integrations/"+integ.ID+"/revisions/create"), st)
	revs, err := c.Integrations.Revisions(ctx, integ.ID)
	require.NoError(t, err)
	require.Len(t, revs, 1)
	one, err := c.Integrations.Revision(ctx, integ.ID, rev.ID)
	require.NoError(t, err)
	assert.Equal(t, rev.ID, one.ID)
	diff, err := c.Integrations.RevisionDiff(ctx, integ.ID, rev.ID)
	require.NoError(t, err)
	assert.True(t, json.Valid(diff))
}

func TestContractTemplateZipsNeverCarryTheToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	integ, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "Tmpl"})
	require.NoError(t, err)
	flow, err := c.Flows.Create(ctx, &integratorio.Flow{Name: "F", IntegrationID: integ.ID, Disabled: true})
	require.NoError(t, err)

	rc, err := c.Integrations.DownloadTemplate(ctx, integ.ID)
	require.NoError(t, err)
	zip, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.True(t, len(zip) > 4 && string(zip[:2]) == "PK", "a zip")

	frc, err := c.Flows.DownloadTemplate(ctx, flow.ID)
	require.NoError(t, err)
	fzip, err := io.ReadAll(frc)
	require.NoError(t, err)
	require.NoError(t, frc.Close())
	assert.Equal(t, "PK", string(fzip[:2]))

	preview, err := c.Integrations.PreviewTemplate(ctx, strings.NewReader(string(zip)))
	require.NoError(t, err)
	assert.Contains(t, string(preview), "Tmpl")

	srv.ResetRequests()
	installed, err := c.Integrations.InstallTemplate(ctx, strings.NewReader(string(zip)), nil)
	require.NoError(t, err)
	require.NotNil(t, installed)
	st := statuses(srv)
	assert.Equal(t, 1, requestsMatching(t, st, "POST", "/integrations/template"), st)

	for _, r := range srv.Requests() {
		if strings.Contains(r.Path, "_signed") {
			assert.Empty(t, r.Header.Get("Authorization"), "signed URL %s %s got a bearer token", r.Method, r.Path)
		}
	}
}

func TestContractTrailingSlashCollections(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	_, err := c.Tags.Create(ctx, &integratorio.Tag{Tag: "x"})
	require.NoError(t, err)
	for _, p := range []string{"/flows/", "/tags/", "/ashares/", "/iclients/", "/lookupcaches/", "/environments/", "/connectors/", "/audit/"} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+p, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := srv.HTTPClient().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		assert.Contains(t, []int{http.StatusOK, http.StatusNoContent}, resp.StatusCode, p)
	}
	var ae *integratorio.APIError
	_ = errors.As(nil, &ae)
}

// A deleted document is in the recycle bin until restored or purged.
func TestContractRecycleBin(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c := srv.Client()
	ctx := context.Background()
	none, err := c.RecycleBin.List(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, none)
	tag, err := c.Tags.Create(ctx, &integratorio.Tag{Tag: "gone"})
	require.NoError(t, err)
	tag2, err := c.Tags.Create(ctx, &integratorio.Tag{Tag: "gone too"})
	require.NoError(t, err)
	require.NoError(t, c.Tags.Delete(ctx, tag.ID))
	require.NoError(t, c.Tags.Delete(ctx, tag2.ID))

	list, err := c.RecycleBin.List(ctx, &integratorio.RecycleBinListOptions{ResourceType: "tags"})
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "Tag", list[0].Model)
	assert.Contains(t, string(list[0].Document()), `"gone"`)
	flows, err := c.RecycleBin.List(ctx, &integratorio.RecycleBinListOptions{ResourceType: "flows"})
	require.NoError(t, err)
	assert.Empty(t, flows)
	got, err := c.RecycleBin.Get(ctx, "tags", tag.ID)
	require.NoError(t, err)
	assert.Contains(t, string(got.Document()), tag.ID)

	require.NoError(t, c.RecycleBin.Restore(ctx, "tags", tag.ID, false))
	back, err := c.Tags.Get(ctx, tag.ID)
	require.NoError(t, err)
	assert.Equal(t, "gone", back.Tag)
	_, err = c.RecycleBin.Get(ctx, "tags", tag.ID)
	assert.ErrorIs(t, err, integratorio.ErrNotFound, "a restored document leaves the bin")

	require.NoError(t, c.RecycleBin.Purge(ctx, "tags", tag2.ID))
	assert.ErrorIs(t, c.RecycleBin.Restore(ctx, "tags", tag2.ID, true), integratorio.ErrNotFound, "a purged document cannot be restored")
	_, err = c.Tags.Get(ctx, tag2.ID)
	assert.ErrorIs(t, err, integratorio.ErrNotFound)
}
