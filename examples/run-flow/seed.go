package main

import (
	"context"
	"fmt"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// The ids of what seed stores. The fake stores flows but no exports or
// imports, so the step ids are only names in the flows.
const (
	integrationID = "65f0a1b2c3d4e5f6a7b8c900"
	ordersFlowID  = "65f0a1b2c3d4e5f6a7b8c910" // shop orders into the ERP
	routedFlowID  = "65f0a1b2c3d4e5f6a7b8c911" // customers, routed by region
	ordersExport  = "65f0a1b2c3d4e5f6a7b8c920"
	ordersImport  = "65f0a1b2c3d4e5f6a7b8c930"
	customersExp  = "65f0a1b2c3d4e5f6a7b8c921"
	euImport      = "65f0a1b2c3d4e5f6a7b8c931"
	usImport      = "65f0a1b2c3d4e5f6a7b8c932"
)

// seed stores an integration of two flows (one with a router of two
// branches), runs each flow once so that it has a latest job, and records
// the errors those runs left, as the platform would: some failed for a
// passing reason, others for a reason of the record's own.
func seed(ctx context.Context, srv *integratoriotest.Server) error {
	docs := map[string]string{
		"integrations": `{"_id":"` + integrationID + `","name":"Shop - ERP"}`,
		"flows": `[{"_id":"` + ordersFlowID + `","name":"Orders","_integrationId":"` + integrationID + `","disabled":true,
			"pageGenerators":[{"_exportId":"` + ordersExport + `"}],"pageProcessors":[{"type":"import","_importId":"` + ordersImport + `"}]},
		{"_id":"` + routedFlowID + `","name":"Customers","_integrationId":"` + integrationID + `","disabled":true,
			"pageGenerators":[{"_exportId":"` + customersExp + `"}],
			"routers":[{"id":"r1","name":"By region","branches":[
				{"name":"EU","pageProcessors":[{"type":"import","_importId":"` + euImport + `"}]},
				{"name":"US","pageProcessors":[{"type":"import","_importId":"` + usImport + `"}]}]}]}]`,
	}
	for _, coll := range []string{"integrations", "flows"} {
		if _, err := srv.AddJSON(coll, []byte(docs[coll])); err != nil {
			return err
		}
	}
	client := srv.Client()
	for i, flow := range []string{ordersFlowID, routedFlowID} {
		srv.ScriptRuns(flow, integratoriotest.RunScript{NumSuccess: 40, NumError: 3 + i})
		run, err := client.Flows.Run(ctx, flow, nil)
		if err != nil {
			return err
		}
		if _, err := client.Jobs.Wait(ctx, run.JobID, &integratorio.WaitOptions{Interval: 1}); err != nil {
			return err
		}
	}
	n := 0
	for _, e := range []struct {
		flow, step string
		messages   []string
	}{
		{ordersFlowID, ordersImport, []string{"Request timed out after 30000 ms", "Rate limit exceeded", "Field 'sku' is required"}},
		{routedFlowID, euImport, []string{"503 Service Temporarily Unavailable", "Duplicate customer: email already exists"}},
		{routedFlowID, usImport, []string{"Invalid state code 'XX'", "ECONNRESET"}},
	} {
		var docs [][]byte
		for _, m := range e.messages {
			n++
			docs = append(docs, fmt.Appendf(nil, `{"code":"e%d","message":%q,"source":"application","retryDataKey":"rdk-%d"}`, n, m, n))
		}
		if err := srv.AddFlowErrors(e.flow, e.step, docs...); err != nil {
			return err
		}
	}
	return nil
}
