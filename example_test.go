package integratorio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// exampleAPI stands in for api.integrator.io so the examples run offline.
func exampleAPI() *httptest.Server {
	docs := map[string]string{
		"/v1/integrations/5f0c1a2b3c4d5e6f7a8b9c0d": `{"_id":"5f0c1a2b3c4d5e6f7a8b9c0d","name":"BigCommerce - NetSuite Connector","version":"1.0.1","updateInProgress":true,"settings":{"commonresources":{"netsuiteConnectionId":"c1"}},"flowGroupings":[{"_id":"g1","name":"Orders"}]}`,
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/integrations" && r.URL.RawQuery == "":
			w.Header().Set("Link", `</v1/integrations?page=2>; rel="next"`)
			fmt.Fprint(w, `[{"_id":"a1","name":"Licensing and Usage"}]`)
		case r.Method == http.MethodGet && r.URL.Path == "/v1/integrations":
			fmt.Fprint(w, `[{"_id":"a2","name":"Orders to NetSuite"}]`)
		case r.Method == http.MethodGet && docs[r.URL.Path] != "":
			fmt.Fprint(w, docs[r.URL.Path])
		case r.Method == http.MethodPut && docs[r.URL.Path] != "":
			body, _ := io.ReadAll(r.Body)
			_, _ = w.Write(body) // echo the stored document
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/clone"):
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"_id":"6a0000000000000000000001","name":"Acme Corp - Orders"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errors":[{"code":"not_found","message":"Integration not found"}]}`)
		}
	}))
}

func ExampleNewClient() {
	// In production: the token from your environment, North America or EU.
	client, err := integratorio.NewClient("my-api-token", integratorio.WithRegion(integratorio.RegionEurope))
	if err != nil {
		log.Fatal(err)
	}
	_ = client

	// A bad option is an error, not a panic.
	_, err = integratorio.NewClient("my-api-token", integratorio.WithBaseURL("http://api.integrator.io/v1"))
	fmt.Println(errors.Is(err, integratorio.ErrInvalidArgument))
	// Output: true
}

func ExampleIntegrationsService_Get() {
	srv := exampleAPI()
	defer srv.Close()
	client, err := integratorio.NewClient("example-token", integratorio.WithBaseURL(srv.URL+"/v1"))
	if err != nil {
		log.Fatal(err)
	}

	in, err := client.Integrations.Get(context.Background(), "5f0c1a2b3c4d5e6f7a8b9c0d")
	if err != nil {
		log.Fatal(err)
	}
	var common map[string]string
	if _, err := in.Settings.Get("commonresources", &common); err != nil {
		log.Fatal(err)
	}
	fmt.Println(in.Name, in.Version, common["netsuiteConnectionId"])
	fmt.Println("members the SDK does not type:", in.ExtraKeys())
	// Output:
	// BigCommerce - NetSuite Connector 1.0.1 c1
	// members the SDK does not type: [flowGroupings]
}

func ExampleIntegrationsService_All() {
	srv := exampleAPI()
	defer srv.Close()
	client, err := integratorio.NewClient("example-token", integratorio.WithBaseURL(srv.URL+"/v1"))
	if err != nil {
		log.Fatal(err)
	}

	// All fetches the next page only when the loop gets there.
	for in, err := range client.Integrations.All(context.Background(), nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(in.ID, in.Name)
	}

	// List collects every page.
	all, err := client.Integrations.List(context.Background(), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(all), "integrations")
	// Output:
	// a1 Licensing and Usage
	// a2 Orders to NetSuite
	// 2 integrations
}

func ExampleIntegrationsService_Update() {
	srv := exampleAPI()
	defer srv.Close()
	client, err := integratorio.NewClient("example-token", integratorio.WithBaseURL(srv.URL+"/v1"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	// Read-modify-write: start from Get, so that every member the SDK
	// does not type (flowGroupings here) is sent back. PUT replaces the
	// whole document.
	in, err := client.Integrations.Get(ctx, "5f0c1a2b3c4d5e6f7a8b9c0d")
	if err != nil {
		log.Fatal(err)
	}
	if err := in.Settings.Set("syncEnabled", true); err != nil {
		log.Fatal(err)
	}
	in.Version = "1.0.2"
	in.UpdateInProgress = false // sent explicitly: the user is unlocked

	out, err := client.Integrations.Update(ctx, in.ID, in)
	if err != nil {
		log.Fatal(err)
	}
	var groups []struct{ Name string }
	_, _ = out.Extra("flowGroupings", &groups)
	fmt.Println(out.Version, out.UpdateInProgress, groups[0].Name)
	// Output: 1.0.2 false Orders
}

func ExampleIntegrationsService_Clone() {
	srv := exampleAPI()
	defer srv.Close()
	client, err := integratorio.NewClient("example-token", integratorio.WithBaseURL(srv.URL+"/v1"))
	if err != nil {
		log.Fatal(err)
	}

	res, err := client.Integrations.Clone(context.Background(), "5f0c1a2b3c4d5e6f7a8b9c0d", &integratorio.CloneOptions{
		Name:          "Acme Corp - Orders",
		ConnectionMap: map[string]string{"c1": "acme-netsuite-connection"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Document.ID, res.Document.Name)
	// Output: 6a0000000000000000000001 Acme Corp - Orders
}

func ExampleAPIError() {
	srv := exampleAPI()
	defer srv.Close()
	client, err := integratorio.NewClient("example-token", integratorio.WithBaseURL(srv.URL+"/v1"))
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.Integrations.Get(context.Background(), "000000000000000000000000")
	switch {
	case errors.Is(err, integratorio.ErrNotFound):
		fmt.Println("no such integration")
	case errors.Is(err, integratorio.ErrRateLimited):
		fmt.Println("slow down")
	}
	var apiErr *integratorio.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code())
	}
	fmt.Println(err)
	// Output:
	// no such integration
	// 404 not_found
	// integratorio: GET /integrations/000000000000000000000000: 404 not_found: Integration not found
}

func ExampleIntegrationsService_ManagedUpdate() {
	// The fake server stands in for integrator.io here.
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"Shop - NetSuite","version":"1.0.1","updateInProgress":true,"settings":{}}`))
	if err != nil {
		log.Fatal(err)
	}
	client := srv.Client()

	// The push set updateInProgress; the update changes the settings, then
	// writes them with the new version and updateInProgress false.
	out, err := client.Integrations.ManagedUpdate(context.Background(), id, "1.1.0",
		func(in *integratorio.Integration) error {
			return in.EnsureSettings().Set("refundsEnabled", true)
		})
	var mue *integratorio.ManagedUpdateError
	switch {
	case errors.As(err, &mue):
		fmt.Println("failed at", mue.Phase, "unlocked:", mue.Unlocked)
	case err != nil:
		log.Fatal(err)
	}
	var refunds bool
	_, _ = out.Settings.Get("refundsEnabled", &refunds)
	fmt.Println(out.Version, out.UpdateInProgress, refunds)
	// Output: 1.1.0 false true
}

// Error ids and retry-data keys have types of their own, so that one
// cannot be passed where the other is meant. Retrying by error id,
//
//	client.Flows.RetryErrors(ctx, flowID, stepID, e.ErrorID)
//
// does not compile ("cannot use e.ErrorID (variable of string type
// integratorio.ErrorID) as integratorio.RetryDataKey value"); use
// e.RetryDataKey, or RetryErrorsByID with the error ids.
func ExampleFlowsService_RetryErrors() {
	srv := integratoriotest.NewServer()
	defer srv.Close()
	flowID, _ := srv.AddJSON("flows", []byte(`{"name":"Orders","pageGenerators":[{"_exportId":"shop"}],
		"pageProcessors":[{"type":"import","_importId":"erp"}]}`))
	_ = srv.AddFlowErrors(flowID, "erp",
		[]byte(`{"errorId":"e1","message":"Request timed out","retryDataKey":"rdk-1"}`),
		[]byte(`{"errorId":"e2","message":"Field 'sku' is required","retryDataKey":"rdk-2"}`))

	client := srv.Client()
	ctx := context.Background()
	flow, err := client.Flows.Get(ctx, flowID)
	if err != nil {
		log.Fatal(err)
	}
	for _, step := range flow.Steps() {
		var keys []integratorio.RetryDataKey
		var ids []integratorio.ErrorID
		for e, err := range client.Flows.Errors(ctx, flowID, step.ID, nil) {
			if err != nil {
				log.Fatal(err)
			}
			if strings.Contains(e.Message, "timed out") {
				keys = append(keys, e.RetryDataKey)
			} else {
				ids = append(ids, e.ErrorID)
			}
		}
		fmt.Println(step.Type, step.ID, "retry", keys, "resolve", ids)
		if len(keys) > 0 {
			if _, err := client.Flows.RetryErrors(ctx, flowID, step.ID, keys...); err != nil {
				log.Fatal(err)
			}
		}
		if len(ids) > 0 {
			if err := client.Flows.ResolveErrors(ctx, flowID, step.ID, ids...); err != nil {
				log.Fatal(err)
			}
		}
	}
	// Output:
	// export shop retry [] resolve []
	// import erp retry [rdk-1] resolve [e2]
}
