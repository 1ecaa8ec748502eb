// Command quickstart shows the integratorio SDK at work.
//
//	go run ./examples/quickstart
//
// With no environment it starts the fake integrator.io API of package
// integratoriotest in-process, seeds it with the SmartConnector integration
// from the API documentation, and walks through the integrations API: list,
// get, create, update settings, clone with a connection map, patch, delete,
// and a handled "not found".
//
// With INTEGRATORIO_API_TOKEN set it instead lists the integrations of that
// real account, read-only. INTEGRATORIO_REGION=eu selects the EU data
// center. The token is never printed.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run picks the mode from the environment.
func run(ctx context.Context, w io.Writer, getenv func(string) string) error {
	if token := getenv("INTEGRATORIO_API_TOKEN"); token != "" {
		return listAccount(ctx, w, token, getenv("INTEGRATORIO_REGION"))
	}
	return tour(ctx, w)
}

// listAccount lists a real account's integrations. It only reads.
func listAccount(ctx context.Context, w io.Writer, token, region string, opts ...integratorio.Option) error {
	if region != "" {
		opts = append([]integratorio.Option{integratorio.WithRegion(integratorio.Region(strings.ToLower(region)))}, opts...)
	}
	client, err := integratorio.NewClient(token, append(opts, integratorio.WithUserAgent("quickstart"))...)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Listing the integrations of your account (read-only)...")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tVERSION\tLAST MODIFIED")
	n := 0
	for in, err := range client.Integrations.All(ctx, &integratorio.ListOptions{
		Include: []string{"name", "version", "lastModified"},
	}) {
		if err != nil {
			tw.Flush()
			return fmt.Errorf("listing integrations: %w", err)
		}
		n++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", in.ID, in.Name, dash(in.Version), in.LastModified.Format("2006-01-02 15:04"))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d integration(s).\n", n)
	return nil
}

// tour walks through the integrations API on the embedded fake server.
func tour(ctx context.Context, w io.Writer) error {
	fmt.Fprintln(w, "No INTEGRATORIO_API_TOKEN set: starting a local fake of the integrator.io API.")
	srv := integratoriotest.NewServer()
	defer srv.Close()
	templateID, err := srv.AddIntegrationJSON(integratoriotest.SampleSmartConnectorJSON())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Serving at %s, seeded with the documentation's sample SmartConnector.\n", srv.URL)

	// A client for the real service would be
	// integratorio.NewClient(token) or, in Europe,
	// integratorio.NewClient(token, integratorio.WithRegion(integratorio.RegionEurope)).
	client, err := integratorio.NewClient(srv.Token, integratorio.WithBaseURL(srv.URL), integratorio.WithUserAgent("quickstart"))
	if err != nil {
		return err
	}
	ints := client.Integrations

	step(w, 1, "List the integrations")
	list, err := ints.List(ctx, nil)
	if err != nil {
		return err
	}
	for _, in := range list {
		fmt.Fprintf(w, "  - %s (id %s, version %s, mode %s)\n", in.Name, in.ID, in.Version, in.Mode)
	}

	step(w, 2, "Get one integration")
	sc, err := ints.Get(ctx, templateID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  %s, installed from connector %s\n", sc.Name, sc.ConnectorID)
	for i, st := range sc.Install {
		fmt.Fprintf(w, "  install step %d: %-24s completed=%t\n", i+1, st.Name, st.Completed)
	}
	fmt.Fprintf(w, "  settings members: %s\n", strings.Join(sc.Settings.Keys(), ", "))

	step(w, 3, "Create an integration")
	created, err := ints.Create(ctx, &integratorio.Integration{
		Name:        "Orders sync (staging)",
		Description: "Created by the quickstart",
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  created %q with id %s at %s\n", created.Name, created.ID, created.CreatedAt.Format("15:04:05.000"))

	step(w, 4, "Update the SmartConnector's settings")
	// PUT replaces the whole document: start from a fresh Get, change it,
	// and send it back. Members the SDK does not type are kept.
	if err := sc.Settings.Set("orderSyncIntervalMinutes", 15); err != nil {
		return err
	}
	before := sc.LastModified
	sc, err = ints.Update(ctx, sc.ID, sc)
	if err != nil {
		return err
	}
	var interval int
	if _, err := sc.Settings.Get("orderSyncIntervalMinutes", &interval); err != nil {
		return err
	}
	fmt.Fprintf(w, "  orderSyncIntervalMinutes = %d; settings members now: %s\n", interval, strings.Join(sc.Settings.Keys(), ", "))
	fmt.Fprintf(w, "  lastModified moved from %s to %s\n", before.Format("2006-01-02T15:04:05.000Z"), sc.LastModified.Format("2006-01-02T15:04:05.000Z"))

	step(w, 5, "Clone it for a new store, with a connection map")
	res, err := ints.Clone(ctx, sc.ID, &integratorio.CloneOptions{
		Name: "BigCommerce - NetSuite (Acme store)",
		ConnectionMap: map[string]string{
			integratoriotest.SampleNetSuiteConnectionID:       "64b7f0c2a1e3d40012ab0001",
			integratoriotest.SampleBigCommerceConnectionID:    "64b7f0c2a1e3d40012ab0002",
			integratoriotest.SampleNetSuiteCommonConnectionID: "64b7f0c2a1e3d40012ab0003",
		},
	})
	if err != nil {
		return err
	}
	clone := res.Document
	fmt.Fprintf(w, "  clone %q has id %s\n", clone.Name, clone.ID)
	fmt.Fprintln(w, "  (the documentation's sample gives both connection steps one connection id, so both map alike)")
	for _, st := range clone.Install {
		if st.ConnectionID != "" {
			fmt.Fprintf(w, "  install step %-24s now uses connection %s\n", st.Name, st.ConnectionID)
		}
	}
	var common map[string]string
	if _, err := clone.Settings.Get("commonresources", &common); err != nil {
		return err
	}
	fmt.Fprintf(w, "  settings.commonresources: bigcommerce %s, netsuite %s\n", common["bigcommerceConnectionId"], common["netsuiteConnectionId"])

	step(w, 6, "Patch the created integration's name")
	if err := ints.Patch(ctx, created.ID, integratorio.PatchOp{Op: "replace", Path: "/name", Value: "Orders sync (production)"}); err != nil {
		return err
	}
	patched, err := ints.Get(ctx, created.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  name is now %q\n", patched.Name)

	step(w, 7, "Delete the created integration")
	if err := ints.Delete(ctx, created.ID); err != nil {
		return err
	}
	fmt.Fprintf(w, "  deleted %s\n", created.ID)

	step(w, 8, "Handle an error: get the deleted integration")
	_, err = ints.Get(ctx, created.ID)
	switch {
	case errors.Is(err, integratorio.ErrNotFound):
		fmt.Fprintf(w, "  not found, as expected: %v\n", err)
	case err != nil:
		return err
	default:
		return errors.New("the deleted integration is still there")
	}

	list, err = ints.List(ctx, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nDone: the account now holds %d integrations.\n", len(list))
	return nil
}

func step(w io.Writer, n int, title string) {
	fmt.Fprintf(w, "\n%d. %s\n", n, title)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
