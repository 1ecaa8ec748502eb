package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The example refuses an incomplete map, then clones with every connection
// remapped.
func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, "Globex Inc"))
	s := out.String()
	for _, want := range []string{
		"refused (400 invalid_connectionMap)",
		`created "Globex Inc - Orders"`,
		"tag customer:globex-inc",
		"registered connections: " + customerShopifyConn + ", " + customerNetSuiteConn,
		"install step Shopify connection   -> " + customerShopifyConn,
		"install step NetSuite connection  -> " + customerNetSuiteConn,
		"settings.commonresources.shopifyConnectionId = " + customerShopifyConn,
		"flow groupings copied: 1",
		"Globex Inc has its own copy",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, templateShopifyConn+"\n")
}

func TestRunNeedsCustomer(t *testing.T) {
	t.Parallel()
	assert.Error(t, run(context.Background(), &bytes.Buffer{}, "  "))
}
