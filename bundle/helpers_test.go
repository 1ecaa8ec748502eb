package bundle_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/bundle"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// Ids of the source account's resources.
const (
	srcIntegration = "5f0000000000000000000001"
	srcGroupSales  = "5f00000000000000000000a1"
	srcGroupRefund = "5f00000000000000000000a2"
	srcFlowOrders  = "5f0000000000000000000011"
	srcFlowRouting = "5f0000000000000000000012"
	srcFlowRefunds = "5f0000000000000000000013"
	srcExpOrders   = "5f0000000000000000000021"
	srcExpLookup   = "5f0000000000000000000022"
	srcExpRefunds  = "5f0000000000000000000023"
	srcImpOrder    = "5f0000000000000000000031"
	srcImpCustomer = "5f0000000000000000000032"
	srcImpRefund   = "5f0000000000000000000033"
	srcScriptXform = "5f0000000000000000000041"
	srcScriptRoute = "5f0000000000000000000042"
	srcConnNS      = "5f0000000000000000000051"
	srcConnShop    = "5f0000000000000000000052"
	// Not part of the integration.
	srcOtherInt    = "5f0000000000000000000061"
	srcOtherFlow   = "5f0000000000000000000062"
	srcOtherExport = "5f0000000000000000000063"
)

// sourceDocs is the source account: an integration with three flows (one
// with a router, one of the legacy shape, two naming each other in
// _runNextFlowIds), their exports, imports, scripts and connections, and
// members the SDK does not know at every depth; and resources of another
// integration that a snapshot must leave out.
var sourceDocs = map[string][]string{
	"integrations": {
		`{"_id":"` + srcIntegration + `","name":"Orders","description":"Orders to NetSuite","readme":"# Orders",
		  "flowGroupings":[{"_id":"` + srcGroupSales + `","name":"Sales"},{"_id":"` + srcGroupRefund + `","name":"Refunds"}],
		  "settings":{"region":"eu","batch":{"size":50}},"unknownIntegrationMember":{"kept":true},
		  "_registeredConnectionIds":["` + srcConnNS + `","` + srcConnShop + `"],"createdAt":"2024-01-01T00:00:00.000Z"}`,
		`{"_id":"` + srcOtherInt + `","name":"Other"}`,
	},
	"connections": {
		`{"_id":"` + srcConnNS + `","name":"NetSuite Prod","type":"netsuite","netsuite":{"account":"TSTDRV1","password":"source-ns-password","roleId":"3"},"offline":false}`,
		`{"_id":"` + srcConnShop + `","name":"Shop API","type":"http","http":{"baseURI":"https://shop.example.com","auth":{"type":"token","token":{"token":"source-shop-token","location":"header"}}},"connUnknown":[1,2.50,{"x":null}]}`,
	},
	"scripts": {
		`{"_id":"` + srcScriptXform + `","name":"Transform orders","content":"function transform(options) {\n  return options.record;\n}\n"}`,
		`{"_id":"` + srcScriptRoute + `","name":"Route customers","content":"function route(options) { return [0]; }\n","description":"branching"}`,
	},
	"exports": {
		`{"_id":"` + srcExpOrders + `","name":"Get orders","adaptorType":"HTTPExport","_connectionId":"` + srcConnShop + `",
		  "http":{"relativeURI":"/orders","method":"GET"},"hooks":{"preSavePage":{"_scriptId":"` + srcScriptXform + `","function":"transform"}},
		  "apiIdentifier":"e1234","exportUnknown":{"deep":{"deeper":"yes"}}}`,
		`{"_id":"` + srcExpLookup + `","name":"Lookup customer","adaptorType":"NetSuiteExport","_connectionId":"` + srcConnNS + `","isLookup":true}`,
		`{"_id":"` + srcExpRefunds + `","name":"Get refunds","adaptorType":"HTTPExport","_connectionId":"` + srcConnShop + `","http":{"relativeURI":"/refunds"}}`,
		`{"_id":"` + srcOtherExport + `","name":"Other export","adaptorType":"HTTPExport"}`,
	},
	"imports": {
		`{"_id":"` + srcImpOrder + `","name":"Create sales order","adaptorType":"NetSuiteDistributedImport","_connectionId":"` + srcConnNS + `",
		  "mapping":{"fields":[{"extract":"id","generate":"externalId"}]},"hooks":{"preMap":{"_scriptId":"` + srcScriptXform + `","function":"transform"}}}`,
		`{"_id":"` + srcImpCustomer + `","name":"Create customer","adaptorType":"NetSuiteDistributedImport","_connectionId":"` + srcConnNS + `"}`,
		`{"_id":"` + srcImpRefund + `","name":"Post refund","adaptorType":"HTTPImport","_connectionId":"` + srcConnShop + `"}`,
	},
	"flows": {
		`{"_id":"` + srcFlowOrders + `","name":"Orders sync","_integrationId":"` + srcIntegration + `","_flowGroupingId":"` + srcGroupSales + `",
		  "disabled":false,"schedule":"? 0 * * * *","timezone":"Europe/Paris","lastExecutedAt":"2024-05-01T00:00:00.000Z",
		  "pageGenerators":[{"_exportId":"` + srcExpOrders + `","pgUnknown":1}],
		  "pageProcessors":[{"type":"export","_exportId":"` + srcExpLookup + `"},
		    {"type":"import","_importId":"` + srcImpOrder + `","hooks":{"postResponseMap":{"_scriptId":"` + srcScriptXform + `","function":"after"}}}],
		  "_runNextFlowIds":["` + srcFlowRouting + `"]}`,
		`{"_id":"` + srcFlowRouting + `","name":"Customer routing","_integrationId":"` + srcIntegration + `","_flowGroupingId":"` + srcGroupSales + `",
		  "disabled":false,"pageGenerators":[{"_exportId":"` + srcExpOrders + `"}],
		  "routers":[{"id":"r1","routeRecordsUsing":"script","script":{"_scriptId":"` + srcScriptRoute + `","function":"route"},
		    "branches":[{"name":"new","pageProcessors":[{"type":"import","_importId":"` + srcImpCustomer + `"}]},
		                {"name":"known","pageProcessors":[{"type":"import","_importId":"` + srcImpOrder + `"}]}]}],
		  "_runNextFlowIds":["` + srcFlowOrders + `"]}`,
		`{"_id":"` + srcFlowRefunds + `","name":"Refunds (legacy)","_integrationId":"` + srcIntegration + `","_flowGroupingId":"` + srcGroupRefund + `",
		  "disabled":true,"_exportId":"` + srcExpRefunds + `","_importId":"` + srcImpRefund + `"}`,
		`{"_id":"` + srcOtherFlow + `","name":"Other flow","_integrationId":"` + srcOtherInt + `","pageGenerators":[{"_exportId":"` + srcOtherExport + `"}]}`,
	},
}

// bundleSize is how many resources the integration's bundle holds.
const bundleSize = 14

// secrets are what the target's created connections get.
var secrets = map[string]string{
	"connections/netsuite-prod\x00/netsuite/password": "target-ns-password",
	"connections/shop-api\x00/http/auth/token/token":  "target-shop-token",
}

func secretsFunc(ref, pointer string) (string, bool) {
	s, ok := secrets[ref+"\x00"+pointer]
	return s, ok
}

// newSource starts the source account with sourceDocs.
func newSource(t *testing.T, opts ...integratoriotest.Option) *integratoriotest.Server {
	t.Helper()
	srv := integratoriotest.NewServer(opts...)
	t.Cleanup(srv.Close)
	for _, typ := range []string{"integrations", "connections", "scripts", "exports", "imports", "flows"} {
		for _, doc := range sourceDocs[typ] {
			_, err := srv.AddJSON(typ, []byte(doc))
			require.NoError(t, err)
		}
	}
	return srv
}

// newTarget starts an empty target account.
func newTarget(t *testing.T, opts ...integratoriotest.Option) *integratoriotest.Server {
	t.Helper()
	srv := integratoriotest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// snapshot reads the source's integration.
func snapshot(t *testing.T, srv *integratoriotest.Server) *bundle.Bundle {
	t.Helper()
	b, err := bundle.Snapshot(context.Background(), srv.Client(), srcIntegration, nil)
	require.NoError(t, err)
	return b
}

// readDir returns every file under dir by its slash path.
func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[filepath.ToSlash(rel)] = string(data)
		return nil
	})
	require.NoError(t, err)
	return out
}

// allIDs returns every id a server holds, of any resource.
func allIDs(srv *integratoriotest.Server) []string {
	var out []string
	for _, r := range srv.Resources() {
		out = append(out, srv.IDs(r)...)
	}
	return out
}

// stored returns a stored document of the fake as a map.
func stored(t *testing.T, srv *integratoriotest.Server, typ, id string) map[string]any {
	t.Helper()
	raw, ok := srv.DocumentJSON(typ, id)
	require.True(t, ok, "%s %s", typ, id)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// writes returns the requests other than GET a server received.
func writes(srv *integratoriotest.Server) []integratoriotest.Request {
	var out []integratoriotest.Request
	for _, r := range srv.Requests() {
		if r.Method != "GET" {
			out = append(out, r)
		}
	}
	return out
}

// names counts the stored documents of a type by name.
func names(t *testing.T, srv *integratoriotest.Server, typ string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range srv.IDs(typ) {
		name, _ := stored(t, srv, typ, id)["name"].(string)
		out[name]++
	}
	return out
}

// contains reports whether any file holds s.
func contains(files map[string]string, s string) string {
	for name, data := range files {
		if strings.Contains(data, s) {
			return name
		}
	}
	return ""
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
}

func mustFlow(t *testing.T, raw []byte) *integratorio.Flow {
	t.Helper()
	var f integratorio.Flow
	require.NoError(t, f.UnmarshalJSON(raw))
	return &f
}
