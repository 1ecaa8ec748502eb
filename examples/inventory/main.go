// Command inventory prints what one integration is made of: its flows,
// its connections (and whether each works), its exports and its imports.
//
//	go run ./examples/inventory
//
// It runs against the fake integrator.io API of package integratoriotest,
// in-process, so it needs no account; seed holds the fake's setup, and
// everything else is what you would run against a real account.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"text/tabwriter"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	srv := integratoriotest.NewServer()
	defer srv.Close()
	id, err := seed(srv)
	if err == nil {
		err = run(ctx, os.Stdout, srv.Client(), id)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "inventory:", err)
		os.Exit(1)
	}
}

// run prints the inventory of integration id.
func run(ctx context.Context, w io.Writer, client *integratorio.Client, id string) error {
	in, err := client.Integrations.Get(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Integration %s (%s)\n", in.Name, in.ID)
	scope := &integratorio.ResourceListOptions{IntegrationID: id}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintln(tw, "\nKIND\tNAME\tID\tDETAIL")
	err = each(client.Flows.All(ctx, &integratorio.ResourceListOptions{IntegrationID: id}), func(f *integratorio.Flow) error {
		state := "enabled"
		if f.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "flow\t%s\t%s\t%s, %d source(s), %d step(s)\n", f.Name, f.ID, state, len(f.PageGenerators), len(f.PageProcessors))
		return nil
	})
	if err != nil {
		return err
	}
	err = each(client.Connections.All(ctx, scope), func(c *integratorio.Connection) error {
		status := "works"
		if err := client.Connections.Ping(ctx, c.ID); errors.Is(err, integratorio.ErrConnectionFailed) {
			var pe *integratorio.PingError
			status = "FAILS"
			if errors.As(err, &pe) && len(pe.Errors) > 0 {
				status += ": " + pe.Errors[0].Message
			}
		} else if err != nil {
			return err
		}
		fmt.Fprintf(tw, "connection\t%s\t%s\t%s, %s\n", c.Name, c.ID, c.Type, status)
		return nil
	})
	if err != nil {
		return err
	}
	err = each(client.Exports.All(ctx, scope), func(e *integratorio.Export) error {
		fmt.Fprintf(tw, "export\t%s\t%s\t%s%s\n", e.Name, e.ID, e.AdaptorType, via(e.ConnectionID))
		return nil
	})
	if err != nil {
		return err
	}
	return each(client.Imports.All(ctx, scope), func(i *integratorio.Import) error {
		fmt.Fprintf(tw, "import\t%s\t%s\t%s%s\n", i.Name, i.ID, i.AdaptorType, via(i.ConnectionID))
		return nil
	})
}

// each calls fn for every document of a listing, stopping at the first
// error of either.
func each[T any](docs iter.Seq2[*T, error], fn func(*T) error) error {
	for doc, err := range docs {
		if err != nil {
			return err
		}
		if err := fn(doc); err != nil {
			return err
		}
	}
	return nil
}

func via(connectionID string) string {
	if connectionID == "" {
		return ""
	}
	return " via " + connectionID
}

// seed stores an integration with two connections (one of which fails its
// ping), an export, an import and a flow between them. Only the fake needs
// this.
func seed(srv *integratoriotest.Server) (string, error) {
	id, err := srv.AddIntegrationJSON([]byte(`{"name":"Shopify - NetSuite"}`))
	if err != nil {
		return "", err
	}
	docs := []struct{ resource, doc string }{
		{"connections", `{"_id":"65f0a1b2c3d4e5f6a7b8c901","name":"Shopify","type":"http","_integrationId":"` + id + `","http":{"baseURI":"https://shop.example","auth":{"type":"token","token":{"token":"shpat-not-a-real-token"}}}}`},
		{"connections", `{"_id":"65f0a1b2c3d4e5f6a7b8c902","name":"NetSuite","type":"netsuite","_integrationId":"` + id + `"}`},
		{"exports", `{"_id":"65f0a1b2c3d4e5f6a7b8c911","name":"Orders","adaptorType":"HTTPExport","_connectionId":"65f0a1b2c3d4e5f6a7b8c901","_integrationId":"` + id + `"}`},
		{"imports", `{"_id":"65f0a1b2c3d4e5f6a7b8c921","name":"Sales orders","adaptorType":"NetSuiteDistributedImport","_connectionId":"65f0a1b2c3d4e5f6a7b8c902","_integrationId":"` + id + `"}`},
		{"flows", `{"_id":"65f0a1b2c3d4e5f6a7b8c931","name":"Orders to NetSuite","_integrationId":"` + id + `","disabled":false,` +
			`"pageGenerators":[{"_exportId":"65f0a1b2c3d4e5f6a7b8c911"}],"pageProcessors":[{"type":"import","_importId":"65f0a1b2c3d4e5f6a7b8c921"}]}`},
	}
	for _, d := range docs {
		if _, err := srv.AddJSON(d.resource, []byte(d.doc)); err != nil {
			return "", err
		}
	}
	srv.SetPingAnswer("65f0a1b2c3d4e5f6a7b8c902", integratoriotest.PingAnswer{
		Errors: []integratorio.ErrorDetail{{Code: "invalid_credentials", Message: "the NetSuite token was revoked"}}})
	return id, nil
}
