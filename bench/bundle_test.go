package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio/bundle"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// Shape of the bundle BenchmarkApply deploys: 200 resources.
const (
	applyScripts     = 19
	applyConnections = 20
	applyExports     = 60
	applyImports     = 60
	applyFlows       = 40 // the first applyCycles name each other in pairs
	applyCycles      = 10
	applyEnabled     = 30 // the first applyEnabled flows are enabled
	applyLatency     = 20 * time.Millisecond
	applyConcurrency = 8
)

// BenchmarkApply deploys a bundle of 200 resources (an integration, 40
// flows, 60 exports, 60 imports, 19 scripts, 20 connections created with
// their secrets; 10 flows naming each other in pairs in _runNextFlowIds,
// 30 flows enabled) to an empty fake that delays every answer by 20 ms:
// Plan and Apply, as a deploy runs them.
//
// Reported per run: x-bound, the wall time over the bound Σ over the
// apply's tiers of ceil(writes in tier / concurrency) × latency; and
// req/min, the requests sent over the minimum, one write per resource plus
// the second writes that close cycles and the enabling of flows.
func BenchmarkApply(b *testing.B) {
	src := integratoriotest.NewServer()
	defer src.Close()
	inID := seedApplySource(b, src)
	bun, err := bundle.Snapshot(context.Background(), src.Client(), inID, nil)
	if err != nil {
		b.Fatal(err)
	}
	if n := len(bun.Refs()); n != 200 {
		b.Fatalf("the bundle has %d resources, want 200", n)
	}
	secrets := func(ref, pointer string) (string, bool) { return "secret-of-" + ref, true }
	var ratio, reqs float64
	for range b.N {
		b.StopTimer()
		dst := integratoriotest.NewServer(integratoriotest.WithLatency(applyLatency))
		client := dst.Client()
		b.StartTimer()

		start := time.Now()
		plan, err := bun.Plan(context.Background(), client, &bundle.Target{CreateConnections: true, Secrets: secrets})
		if err != nil {
			b.Fatal(err)
		}
		res, err := plan.Apply(context.Background(), &bundle.ApplyOptions{Concurrency: applyConcurrency})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)

		b.StopTimer()
		var bound time.Duration
		for _, n := range res.Tiers {
			bound += time.Duration((n+applyConcurrency-1)/applyConcurrency) * applyLatency
		}
		minimum := 200 + applyCycles + applyEnabled
		if res.Writes != minimum {
			b.Fatalf("%d writes, want %d", res.Writes, minimum)
		}
		ratio += took.Seconds() / bound.Seconds()
		reqs += float64(len(dst.Requests())) / float64(minimum)
		dst.Close()
		b.StartTimer()
	}
	b.ReportMetric(ratio/float64(b.N), "x-bound")
	b.ReportMetric(reqs/float64(b.N), "req/min")
}

// seedApplySource seeds the source account of BenchmarkApply and returns
// its integration's id.
func seedApplySource(b *testing.B, srv *integratoriotest.Server) string {
	b.Helper()
	add := func(typ, doc string) string {
		id, err := srv.AddJSON(typ, []byte(doc))
		if err != nil {
			b.Fatal(err)
		}
		return id
	}
	inID := add("integrations", `{"name":"Bench","flowGroupings":[{"_id":"5f00000000000000000000a1","name":"All"}],"settings":{"a":1}}`)
	var scripts, conns, exps, imps, flows []string
	for i := range applyScripts {
		scripts = append(scripts, add("scripts", fmt.Sprintf(`{"name":"Script %d","content":"function f%d(o) { return o; }\n"}`, i, i)))
	}
	for i := range applyConnections {
		conns = append(conns, add("connections", fmt.Sprintf(`{"name":"Conn %d","type":"http","http":{"baseURI":"https://h%d.example.com","auth":{"token":{"token":"t"}}}}`, i, i)))
	}
	for i := range applyExports {
		exps = append(exps, add("exports", fmt.Sprintf(`{"name":"Export %d","adaptorType":"HTTPExport","_connectionId":%q,"hooks":{"preSavePage":{"_scriptId":%q}},"http":{"relativeURI":"/e%d"}}`,
			i, conns[i%applyConnections], scripts[i%applyScripts], i)))
	}
	for i := range applyImports {
		imps = append(imps, add("imports", fmt.Sprintf(`{"name":"Import %d","adaptorType":"HTTPImport","_connectionId":%q,"mapping":{"fields":[{"extract":"a","generate":"b"}]}}`,
			i, conns[(i+1)%applyConnections])))
	}
	for i := range applyFlows {
		flows = append(flows, fmt.Sprintf("5f00000000000000000010%02x", i))
	}
	for i := range applyFlows {
		next := ""
		if i < applyCycles {
			next = fmt.Sprintf(`,"_runNextFlowIds":[%q]`, flows[i^1])
		}
		add("flows", fmt.Sprintf(`{"_id":%q,"name":"Flow %d","_integrationId":%q,"_flowGroupingId":"5f00000000000000000000a1","disabled":%t,"schedule":"? 0 * * * *",
			"pageGenerators":[{"_exportId":%q}],"pageProcessors":[{"type":"export","_exportId":%q},{"type":"import","_importId":%q},{"type":"import","_importId":%q}]%s}`,
			flows[i], i, inID, i >= applyEnabled, exps[i], exps[40+i%20], imps[i], imps[i+20], next))
	}
	return inID
}
