package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/integratorio-go/integratorio/bundle"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDeploy(t *testing.T) {
	template, customer := integratoriotest.NewServer(), integratoriotest.NewServer()
	defer template.Close()
	defer customer.Close()
	s, err := seed(template, customer)
	require.NoError(t, err)
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, template.Client(), customer.Client(), s, dir))
	text := out.String()

	first, second, ok := strings.Cut(text, "== After editing the schedule: plan\n")
	require.True(t, ok, text)
	assert.Equal(t, 13, strings.Count(first, "\ncreate     "), first)
	assert.Contains(t, first, "map        connections/shopify\n")
	assert.Contains(t, first, "map        connections/netsuite\n")
	assert.Contains(t, first, "== First deploy: applied, 15 write(s)") // 13 creates, 2 flows enabled
	assert.Equal(t, 1, strings.Count(second, "update "), second)
	assert.Contains(t, second, "update     flows/orders-to-netsuite\n")
	assert.Contains(t, second, "flows/orders-to-netsuite:\n  ~ /schedule\n")
	assert.Contains(t, second, "applied, 1 write(s)")
	for _, secret := range []string{"not-a-real-token", "not-a-real-password"} {
		assert.NotContains(t, text, secret)
	}

	// The customer has the integration once, on its own connections, and
	// the flow was updated in place.
	assert.Len(t, customer.IDs("integrations"), 1)
	assert.Len(t, customer.IDs("flows"), 3)
	assert.Len(t, customer.IDs("connections"), 2)
	state, err := bundle.LoadState(filepath.Join(dir, "customer.state.json"))
	require.NoError(t, err)
	flowID, ok := state.ID("flows/orders-to-netsuite")
	require.True(t, ok)
	raw, ok := customer.DocumentJSON("flows", flowID)
	require.True(t, ok)
	assert.Contains(t, string(raw), `"schedule":"? 0 */6 * * *"`)
	exportID, _ := state.ID("exports/shopify-orders")
	raw, _ = customer.DocumentJSON("exports", exportID)
	assert.Contains(t, string(raw), `"_connectionId":"`+s.Connections["connections/shopify"]+`"`)
	var puts []string
	for _, r := range customer.Requests() {
		if r.Method == "PUT" {
			puts = append(puts, r.Path)
		}
	}
	assert.Equal(t, []string{"/flows/" + flowID}, puts, "the edit is the only update")

	// The files are there to commit.
	data, err := os.ReadFile(filepath.Join(dir, "orders", "flows", "orders-to-netsuite.json"))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"_exportId": "exports/shopify-orders"`)
}
