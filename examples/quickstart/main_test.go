package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

func noEnv(string) string { return "" }

// With no environment the tour runs on the embedded fake, every step.
func TestTour(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, noEnv))
	s := out.String()
	for _, want := range []string{
		"starting a local fake",
		"1. List the integrations\n  - BigCommerce - NetSuite Connector (id 123ab456c789de1011fg12h13i, version 1.0.1, mode install)",
		"install step 1: NetSuite Connection",
		"settings members: commonresources, sections",
		`created "Orders sync (staging)"`,
		"orderSyncIntervalMinutes = 15; settings members now: commonresources, orderSyncIntervalMinutes, sections",
		`clone "BigCommerce - NetSuite (Acme store)"`,
		"install step NetSuite Connection      now uses connection 64b7f0c2a1e3d40012ab0001",
		"both connection steps one connection id",
		"settings.commonresources: bigcommerce 64b7f0c2a1e3d40012ab0002, netsuite 64b7f0c2a1e3d40012ab0003",
		`name is now "Orders sync (production)"`,
		"not found, as expected: integratorio: GET /integrations/",
		"Done: the account now holds 2 integrations.",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "integratoriotest-", "the fake's token is never printed")
}

// With a token the account is only listed: GET requests only, and the
// token is never printed.
func TestListAccountIsReadOnly(t *testing.T) {
	t.Parallel()
	srv := integratoriotest.NewServer(integratoriotest.WithToken("fake-quickstart-token"), integratoriotest.WithPageSize(1))
	defer srv.Close()
	_, err := srv.AddIntegrationJSON(integratoriotest.SampleSmartConnectorJSON())
	require.NoError(t, err)
	_, err = srv.AddIntegrationJSON([]byte(`{"name":"Second"}`))
	require.NoError(t, err)

	var out bytes.Buffer
	require.NoError(t, listAccount(context.Background(), &out, srv.Token, "EU", integratorio.WithBaseURL(srv.URL)))
	s := out.String()
	assert.Contains(t, s, "BigCommerce - NetSuite Connector")
	assert.Contains(t, s, "1.0.1")
	assert.Contains(t, s, "Second")
	assert.Contains(t, s, "2 integration(s).")
	assert.NotContains(t, s, srv.Token)
	reqs := srv.Requests()
	require.Len(t, reqs, 2, "two pages")
	for _, r := range reqs {
		assert.Equal(t, "GET", r.Method)
		assert.Equal(t, "/integrations", r.Path)
	}
}

// The environment picks the mode: a token means the real account (here
// stopped before any request by an unknown region).
func TestRunWithTokenUsesAccount(t *testing.T) {
	t.Parallel()
	env := map[string]string{"INTEGRATORIO_API_TOKEN": "fake-env-token", "INTEGRATORIO_REGION": "mars"}
	var out bytes.Buffer
	err := run(context.Background(), &out, func(k string) string { return env[k] })
	require.ErrorIs(t, err, integratorio.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "mars")
	assert.False(t, strings.Contains(err.Error()+out.String(), "fake-env-token"))
	assert.NotContains(t, out.String(), "local fake")
}
