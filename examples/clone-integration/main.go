// Command clone-integration shows the Embedded Integration case: a template
// integration, built once, is cloned for each new customer, with the
// template's connections swapped for the customer's own through a
// connection map.
//
//	go run ./examples/clone-integration [-customer "Acme Corp"]
//
// It runs against the fake integrator.io API of package integratoriotest,
// in-process, so it needs no account. Against the real service the same
// calls apply; only the client is built with your token instead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// The template's connections, and the connections made for the customer
// beforehand (on the real service, with POST /connections).
const (
	templateShopifyConn  = "5f1a0c2b3d4e5f6071829301"
	templateNetSuiteConn = "5f1a0c2b3d4e5f6071829302"
	customerShopifyConn  = "65c3b1d2e4f5a6b7c8d9e001"
	customerNetSuiteConn = "65c3b1d2e4f5a6b7c8d9e002"
)

// template is the integration every customer gets a copy of.
const template = `{
  "_id": "5f1a0c2b3d4e5f6071829300",
  "name": "Shopify - NetSuite Orders (template)",
  "description": "Syncs orders from Shopify to NetSuite",
  "_registeredConnectionIds": ["` + templateShopifyConn + `", "` + templateNetSuiteConn + `"],
  "installSteps": [
    {"name": "Shopify connection", "type": "connection", "_connectionId": "` + templateShopifyConn + `", "completed": true},
    {"name": "NetSuite connection", "type": "connection", "_connectionId": "` + templateNetSuiteConn + `", "completed": true}
  ],
  "settings": {
    "commonresources": {"shopifyConnectionId": "` + templateShopifyConn + `", "netsuiteConnectionId": "` + templateNetSuiteConn + `"},
    "orderStatuses": ["paid", "fulfilled"]
  },
  "flowGroupings": [{"_id": "5f1a0c2b3d4e5f60718293a1", "name": "Orders"}]
}`

func main() {
	customer := flag.String("customer", "Acme Corp", "the customer to clone the template for")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *customer); err != nil {
		fmt.Fprintln(os.Stderr, "clone-integration:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, customer string) error {
	customer = strings.TrimSpace(customer)
	if customer == "" {
		return errors.New("the customer name must not be empty")
	}
	srv := integratoriotest.NewServer()
	defer srv.Close()
	templateID, err := srv.AddIntegrationJSON([]byte(template))
	if err != nil {
		return err
	}
	client, err := integratorio.NewClient(srv.Token, integratorio.WithBaseURL(srv.URL))
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Template %s on a local fake at %s\n\n", templateID, srv.URL)

	// A map that forgets a connection the template uses is refused: the
	// copy would otherwise share the template's credentials.
	fmt.Fprintln(w, "Cloning with an incomplete connection map...")
	_, err = client.Integrations.Clone(ctx, templateID, &integratorio.CloneOptions{
		Name:          customer + " - Orders",
		ConnectionMap: map[string]string{templateShopifyConn: customerShopifyConn},
	})
	var apiErr *integratorio.APIError
	if !errors.As(err, &apiErr) || apiErr.Code() != "invalid_connectionMap" {
		return fmt.Errorf("expected a 400 invalid_connectionMap, got %v", err)
	}
	fmt.Fprintf(w, "  refused (%d %s): %s\n\n", apiErr.StatusCode, apiErr.Code(), apiErr.Errors[0].Message)

	fmt.Fprintf(w, "Cloning for %s with every connection mapped...\n", customer)
	res, err := client.Integrations.Clone(ctx, templateID, &integratorio.CloneOptions{
		Name: customer + " - Orders",
		Tag:  "customer:" + strings.ToLower(strings.ReplaceAll(customer, " ", "-")),
		ConnectionMap: map[string]string{
			templateShopifyConn:  customerShopifyConn,
			templateNetSuiteConn: customerNetSuiteConn,
		},
	})
	if err != nil {
		return err
	}
	in := res.Document
	fmt.Fprintf(w, "  created %q (id %s, tag %s)\n", in.Name, in.ID, in.Tag)
	fmt.Fprintf(w, "  registered connections: %s\n", strings.Join(in.RegisteredConnectionIDs, ", "))
	for _, st := range in.InstallSteps {
		fmt.Fprintf(w, "  install step %-20s -> %s\n", st.Name, st.ConnectionID)
	}
	var common map[string]string
	if _, err := in.Settings.Get("commonresources", &common); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(common)) {
		fmt.Fprintf(w, "  settings.commonresources.%s = %s\n", k, common[k])
	}
	var groupings []map[string]any
	if _, err := in.Extra("flowGroupings", &groupings); err != nil {
		return err
	}
	fmt.Fprintf(w, "  flow groupings copied: %d\n", len(groupings))

	for _, id := range append(append([]string{}, in.RegisteredConnectionIDs...), common["shopifyConnectionId"], common["netsuiteConnectionId"]) {
		if id == templateShopifyConn || id == templateNetSuiteConn {
			return fmt.Errorf("the clone still references the template's connection %s", id)
		}
	}
	fmt.Fprintf(w, "\n%s has its own copy, wired to its own connections.\n", customer)
	return nil
}
