// Command deploy deploys an integration as code from a template account to
// a customer account: it snapshots the template's integration into files,
// plans and applies them to the customer with the customer's own
// connections, then edits one flow's schedule in the files, as a person
// would in a pull request, and deploys again, which updates that one flow
// in place.
//
//	go run ./examples/deploy
//
// It runs against two fakes of package integratoriotest, in-process, so it
// needs no account: seed holds their setup, and everything else is what
// you would run against two real accounts.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/bundle"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	template, customer := integratoriotest.NewServer(), integratoriotest.NewServer()
	defer template.Close()
	defer customer.Close()
	dir, err := os.MkdirTemp("", "deploy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploy:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	s, err := seed(template, customer)
	if err == nil {
		err = run(ctx, os.Stdout, template.Client(), customer.Client(), s, dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploy:", err)
		os.Exit(1)
	}
}

// setup names what seed made.
type setup struct {
	// IntegrationID is the template's integration.
	IntegrationID string
	// Connections maps the bundle's connections to the customer's own.
	Connections map[string]string
}

// run snapshots the template's integration into dir/orders, deploys it to
// the customer, edits one flow's schedule in the files and deploys again,
// printing both plans.
func run(ctx context.Context, w io.Writer, template, customer *integratorio.Client, s setup, dir string) error {
	files := filepath.Join(dir, "orders")
	statePath := filepath.Join(dir, "customer.state.json")

	// 1. Snapshot the template's integration into files (commit them).
	b, err := bundle.Snapshot(ctx, template, s.IntegrationID, nil)
	if err != nil {
		return err
	}
	if err := b.Write(files); err != nil {
		return err
	}
	for _, warning := range b.Warnings() {
		fmt.Fprintln(w, "warning:", warning)
	}

	// 2. Deploy the files to the customer.
	if err := deploy(ctx, w, customer, files, statePath, s.Connections, "First deploy"); err != nil {
		return err
	}

	// 3. Edit one flow's schedule in the files, and deploy again.
	flowFile := filepath.Join(files, "flows", "orders-to-netsuite.json")
	data, err := os.ReadFile(flowFile)
	if err != nil {
		return err
	}
	edited := strings.Replace(string(data), `"schedule": "? 0 */2 * * *"`, `"schedule": "? 0 */6 * * *"`, 1)
	if err := os.WriteFile(flowFile, []byte(edited), 0o644); err != nil {
		return err
	}
	return deploy(ctx, w, customer, files, statePath, s.Connections, "After editing the schedule")
}

// deploy reads the bundle in files, plans it against the customer with the
// state saved at statePath, prints the plan and applies it, saving the
// state after every change.
func deploy(ctx context.Context, w io.Writer, customer *integratorio.Client, files, statePath string, connections map[string]string, title string) error {
	b, err := bundle.Read(files)
	if err != nil {
		return err
	}
	state, err := bundle.LoadState(statePath)
	if err != nil {
		return err
	}
	plan, err := b.Plan(ctx, customer, &bundle.Target{State: state, Connections: connections})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "== %s: plan\n%s", title, plan)
	if !plan.HasChanges() {
		return nil
	}
	res, err := plan.Apply(ctx, &bundle.ApplyOptions{
		Checkpoint: func(s *bundle.State) error { return s.Save(statePath) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "== %s: applied, %d write(s)\n\n", title, res.Writes)
	return nil
}
