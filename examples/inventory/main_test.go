package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestInventory(t *testing.T) {
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := seed(srv)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, srv.Client(), id))
	text := out.String()
	for _, want := range []string{
		"Integration Shopify - NetSuite (" + id + ")",
		"flow        Orders to NetSuite",
		"enabled, 1 source(s), 1 step(s)",
		"Shopify             65f0a1b2c3d4e5f6a7b8c901  http, works",
		"netsuite, FAILS: the NetSuite token was revoked",
		"HTTPExport via 65f0a1b2c3d4e5f6a7b8c901",
		"NetSuiteDistributedImport via 65f0a1b2c3d4e5f6a7b8c902",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "shpat-not-a-real-token", "no secret is printed")

	// The listings are of the one integration, and each connection is
	// pinged once (a ping is a POST that changes nothing).
	count := map[string]int{}
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/ping") {
			require.Equal(t, http.MethodPost, r.Method, r.Path)
		} else {
			require.Equal(t, http.MethodGet, r.Method, "an inventory writes nothing")
		}
		count[r.Path]++
	}
	for _, p := range []string{"flows", "connections", "exports", "imports"} {
		assert.Equal(t, 1, count["/integrations/"+id+"/"+p], p)
	}
	assert.Equal(t, 1, count["/connections/65f0a1b2c3d4e5f6a7b8c901/ping"])
	assert.Equal(t, 1, count["/connections/65f0a1b2c3d4e5f6a7b8c902/ping"])
}

func TestInventoryStopsAtTheFirstError(t *testing.T) {
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := seed(srv)
	require.NoError(t, err)
	srv.FailNext(10, http.StatusForbidden, integratoriotest.OnPath("/integrations/"+id+"/exports"))
	var out bytes.Buffer
	err = run(context.Background(), &out, srv.Client(), id)
	require.ErrorIs(t, err, integratorio.ErrForbidden)
	assert.NotContains(t, out.String(), "Sales orders", "nothing is listed after the failure")
	assert.Contains(t, out.String(), "Orders to NetSuite", "what was listed before it is shown")
}
