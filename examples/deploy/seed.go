package main

import (
	"fmt"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// Ids of the template account's resources.
const (
	integrationID = "65f0a1b2c3d4e5f6a7b8c001"
	groupingID    = "65f0a1b2c3d4e5f6a7b8c002"
	shopConn      = "65f0a1b2c3d4e5f6a7b8c101"
	netsuiteConn  = "65f0a1b2c3d4e5f6a7b8c102"
	mapScript     = "65f0a1b2c3d4e5f6a7b8c201"
	routeScript   = "65f0a1b2c3d4e5f6a7b8c202"
	ordersExport  = "65f0a1b2c3d4e5f6a7b8c301"
	refundsExport = "65f0a1b2c3d4e5f6a7b8c302"
	itemsExport   = "65f0a1b2c3d4e5f6a7b8c303"
	orderImport   = "65f0a1b2c3d4e5f6a7b8c401"
	vipImport     = "65f0a1b2c3d4e5f6a7b8c402"
	refundImport  = "65f0a1b2c3d4e5f6a7b8c403"
	itemImport    = "65f0a1b2c3d4e5f6a7b8c404"
)

// seed stores the template's integration (three flows, one with a router)
// and the customer's own connections.
func seed(template, customer *integratoriotest.Server) (setup, error) {
	docs := []struct{ typ, doc string }{
		{"connections", `{"_id":"` + shopConn + `","name":"Shopify","type":"http","http":{"baseURI":"https://template.myshopify.com","auth":{"type":"token","token":{"token":"not-a-real-token"}}}}`},
		{"connections", `{"_id":"` + netsuiteConn + `","name":"NetSuite","type":"netsuite","netsuite":{"account":"TEMPLATE","password":"not-a-real-password"}}`},
		{"scripts", `{"_id":"` + mapScript + `","name":"Map order","content":"function preMap(options) {\n  return options.data;\n}\n"}`},
		{"scripts", `{"_id":"` + routeScript + `","name":"Route VIPs","content":"function route(options) {\n  return options.record.vip ? [0] : [1];\n}\n"}`},
		{"exports", `{"_id":"` + ordersExport + `","name":"Shopify orders","adaptorType":"HTTPExport","_connectionId":"` + shopConn + `","http":{"relativeURI":"/orders.json"}}`},
		{"exports", `{"_id":"` + refundsExport + `","name":"Shopify refunds","adaptorType":"HTTPExport","_connectionId":"` + shopConn + `","http":{"relativeURI":"/refunds.json"}}`},
		{"exports", `{"_id":"` + itemsExport + `","name":"NetSuite items","adaptorType":"NetSuiteExport","_connectionId":"` + netsuiteConn + `"}`},
		{"imports", `{"_id":"` + orderImport + `","name":"NetSuite sales order","adaptorType":"NetSuiteDistributedImport","_connectionId":"` + netsuiteConn + `","hooks":{"preMap":{"_scriptId":"` + mapScript + `","function":"preMap"}}}`},
		{"imports", `{"_id":"` + vipImport + `","name":"NetSuite VIP order","adaptorType":"NetSuiteDistributedImport","_connectionId":"` + netsuiteConn + `"}`},
		{"imports", `{"_id":"` + refundImport + `","name":"NetSuite refund","adaptorType":"NetSuiteDistributedImport","_connectionId":"` + netsuiteConn + `"}`},
		{"imports", `{"_id":"` + itemImport + `","name":"Shopify products","adaptorType":"HTTPImport","_connectionId":"` + shopConn + `"}`},
		{"integrations", `{"_id":"` + integrationID + `","name":"Shopify - NetSuite","flowGroupings":[{"_id":"` + groupingID + `","name":"Orders"}]}`},
		{"flows", `{"name":"Orders to NetSuite","_integrationId":"` + integrationID + `","_flowGroupingId":"` + groupingID + `","disabled":false,"schedule":"? 0 */2 * * *",
			"pageGenerators":[{"_exportId":"` + ordersExport + `"}],
			"routers":[{"id":"vip","routeRecordsUsing":"script","script":{"_scriptId":"` + routeScript + `","function":"route"},"branches":[
				{"name":"VIP","pageProcessors":[{"type":"import","_importId":"` + vipImport + `"}]},
				{"name":"Others","pageProcessors":[{"type":"import","_importId":"` + orderImport + `"}]}]}]}`},
		{"flows", `{"name":"Refunds to NetSuite","_integrationId":"` + integrationID + `","_flowGroupingId":"` + groupingID + `","disabled":false,"schedule":"? 30 * * * *",
			"pageGenerators":[{"_exportId":"` + refundsExport + `"}],"pageProcessors":[{"type":"import","_importId":"` + refundImport + `"}]}`},
		{"flows", `{"name":"Items to Shopify","_integrationId":"` + integrationID + `","disabled":true,
			"pageGenerators":[{"_exportId":"` + itemsExport + `"}],"pageProcessors":[{"type":"import","_importId":"` + itemImport + `"}]}`},
	}
	for _, d := range docs {
		if _, err := template.AddJSON(d.typ, []byte(d.doc)); err != nil {
			return setup{}, fmt.Errorf("seeding the template: %w", err)
		}
	}
	shop, err := customer.AddJSON("connections", []byte(`{"name":"Acme Shopify","type":"http","http":{"baseURI":"https://acme.myshopify.com"}}`))
	if err != nil {
		return setup{}, err
	}
	ns, err := customer.AddJSON("connections", []byte(`{"name":"Acme NetSuite","type":"netsuite","netsuite":{"account":"ACME"}}`))
	if err != nil {
		return setup{}, err
	}
	return setup{
		IntegrationID: integrationID,
		Connections:   map[string]string{"connections/shopify": shop, "connections/netsuite": ns},
	}, nil
}
