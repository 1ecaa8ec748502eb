// Command managed-update shows a SmartConnector's managed update: the
// connector owner pushes an update to every install, then runs
// ManagedUpdate on each one. The SDK writes the changes, then the new
// version together with updateInProgress false; if anything fails midway it
// unlocks the integration without bumping its version, so no user is left
// locked out.
//
//	go run ./examples/managed-update
//
// It runs against the fake integrator.io API of package integratoriotest,
// in-process, so it needs no account.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

const (
	connectorID = "56fd5ad0945a2345c4e678ac"
	newVersion  = "1.1.0"
)

// installs are two customers' installs of the connector, at version 1.0.1.
var installs = []string{
	`{"name":"BigCommerce - NetSuite (Acme)","_connectorId":"` + connectorID + `","version":"1.0.1","mode":"settings",
	  "settings":{"sections":[{"title":"Orders","fields":[]}],"commonresources":{"netsuiteConnectionId":"65c3b1d2e4f5a6b7c8d9e001"}}}`,
	`{"name":"BigCommerce - NetSuite (Globex)","_connectorId":"` + connectorID + `","version":"1.0.1","mode":"settings",
	  "settings":{"commonresources":{"netsuiteConnectionId":"65c3b1d2e4f5a6b7c8d9e002"}}}`,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "managed-update:", err)
		os.Exit(1)
	}
}

// errNoSections is the failure the update meets on an install whose
// settings lack the section it changes.
var errNoSections = errors.New("settings have no sections to migrate")

// migrate is the connector's update: version 1.1.0 adds a "Refunds" section
// to the settings page.
func migrate(in *integratorio.Integration) error {
	sections, err := in.Settings.Sections()
	if err != nil {
		return err
	}
	if len(sections) == 0 {
		return errNoSections
	}
	return in.Settings.SetSections(append(sections, integratorio.Section{Title: "Refunds"}))
}

func run(ctx context.Context, w io.Writer) error {
	srv := integratoriotest.NewServer()
	defer srv.Close()
	for _, doc := range installs {
		if _, err := srv.AddIntegrationJSON([]byte(doc)); err != nil {
			return err
		}
	}
	client := srv.Client()

	base, err := client.Connectors.InstallBase(ctx, connectorID)
	if err != nil {
		return err
	}
	ids := make([]string, len(base))
	for i, install := range base {
		ids[i] = install.IntegrationID
	}
	fmt.Fprintf(w, "pushing update %s to %d installs\n", newVersion, len(ids))
	if err := client.Connectors.PushUpdate(ctx, connectorID, ids...); err != nil {
		return err
	}

	failed := 0
	for _, id := range ids {
		before, err := client.Integrations.Get(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s\n  before: version %s, updateInProgress %t\n", before.Name, before.Version, before.UpdateInProgress)

		_, err = client.Integrations.ManagedUpdate(ctx, id, newVersion, migrate)
		var mue *integratorio.ManagedUpdateError
		switch {
		case errors.As(err, &mue):
			failed++
			fmt.Fprintf(w, "  update failed at %s: %v (unlocked: %t)\n", mue.Phase, mue.Err, mue.Unlocked)
		case err != nil:
			return err
		}

		after, err := client.Integrations.Get(ctx, id)
		if err != nil {
			return err
		}
		sections, err := after.Settings.Sections()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  after:  version %s, updateInProgress %t, %d settings sections\n", after.Version, after.UpdateInProgress, len(sections))
	}
	fmt.Fprintf(w, "\n%d of %d installs updated; none left locked\n", len(ids)-failed, len(ids))
	return nil
}
