package bundle_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/integratorio-go/integratorio/bundle"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// Deploy an integration from one account to another, then again after an
// edit of its files.
func Example() {
	ctx := context.Background()
	template, customer := integratoriotest.NewServer(), integratoriotest.NewServer()
	defer template.Close()
	defer customer.Close()
	inID, _ := template.AddJSON("integrations", []byte(`{"name":"Orders"}`))
	connID, _ := template.AddJSON("connections", []byte(`{"name":"Shop","type":"http","http":{"auth":{"token":{"token":"secret"}}}}`))
	expID, _ := template.AddJSON("exports", []byte(`{"name":"Get orders","adaptorType":"HTTPExport","_connectionId":"`+connID+`"}`))
	_, _ = template.AddJSON("flows", []byte(`{"name":"Orders sync","_integrationId":"`+inID+`","disabled":false,"schedule":"? 0 * * * *","pageGenerators":[{"_exportId":"`+expID+`"}]}`))
	customerShop, _ := customer.AddJSON("connections", []byte(`{"name":"Customer shop","type":"http"}`))

	dir, err := os.MkdirTemp("", "bundle-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	b, err := bundle.Snapshot(ctx, template.Client(), inID, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := b.Write(dir); err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.Refs())

	state := bundle.NewState()
	target := &bundle.Target{State: state, Connections: map[string]string{"connections/shop": customerShop}}
	plan, err := b.Plan(ctx, customer.Client(), target)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(plan)
	if _, err := plan.Apply(ctx, nil); err != nil {
		log.Fatal(err)
	}

	// Someone changes the schedule in the files.
	path := filepath.Join(dir, "flows", "orders-sync.json")
	data, _ := os.ReadFile(path)
	data = []byte(strings.Replace(string(data), `"? 0 * * * *"`, `"? 0 */4 * * *"`, 1))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		log.Fatal(err)
	}
	b, err = bundle.Read(dir)
	if err != nil {
		log.Fatal(err)
	}
	plan, err = b.Plan(ctx, customer.Client(), target)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print("\n", plan)
	// Output:
	// [connections/shop exports/get-orders flows/orders-sync integrations/orders]
	// map        connections/shop
	// create     exports/get-orders
	// create     integrations/orders
	// create     flows/orders-sync
	//
	// map        connections/shop
	// no change  exports/get-orders
	// no change  integrations/orders
	// update     flows/orders-sync
	//
	// flows/orders-sync:
	//   ~ /schedule
}
