package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio"
	"go.uber.org/goleak"
)

// The listing the list benchmarks read: 10 pages of 1,000 documents.
const (
	benchPages   = 10
	benchPerPage = 1000
)

// parallelGoroutines is how many goroutines share one client in
// BenchmarkGetParallel64.
const parallelGoroutines = 64

// heapSampleInterval is how often the list benchmarks' untimed pass reads
// the heap size.
const heapSampleInterval = 250 * time.Microsecond

var (
	benchOnce sync.Once
	benchFix  *fixture
)

// benchFixture returns the server every benchmark uses, started on first
// use so that plain `go test` does not encode the 20 MB listing.
func benchFixture() *fixture {
	benchOnce.Do(func() { benchFix = newFixture(benchPages, benchPerPage) })
	return benchFix
}

// TestMain stops the benchmarks' server, then fails the run if any
// goroutine outlived the tests and benchmarks.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchFix != nil {
		benchFix.Close()
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "leaked goroutines:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Sinks keep benchmark results reachable so no work is optimised away.
var (
	sinkSDK  *integratorio.Integration
	sinkBase *baseIntegration
)

// BenchmarkGet reads the SmartConnector sample document.
func BenchmarkGet(b *testing.B) { benchmarkGet(b, seedID) }

// BenchmarkGetMinimal reads a document with only an id and a name, so that
// what it measures is the cost of a request apart from decoding: building
// it, the retry wrapper, the transport, reading the body.
func BenchmarkGetMinimal(b *testing.B) { benchmarkGet(b, minimalID) }

// benchmarkGet reads the document id with each implementation.
func benchmarkGet(b *testing.B, id string) {
	f := benchFixture()
	ctx := context.Background()
	b.Run("impl=baseline", func(b *testing.B) {
		_, c := f.clients(b)
		b.ReportAllocs()
		for b.Loop() {
			in, err := c.get(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			sinkBase = in
		}
	})
	b.Run("impl=sdk", func(b *testing.B) {
		c, _ := f.clients(b)
		b.ReportAllocs()
		for b.Loop() {
			in, err := c.Integrations.Get(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			sinkSDK = in
		}
	})
}

// BenchmarkGetParallel64 reads the sample document from 64 goroutines
// sharing one client. ns/op is wall time per request, the inverse of
// throughput; req/s is the throughput itself; new-conns counts the
// connections opened while timing, 0 when every connection is reused.
func BenchmarkGetParallel64(b *testing.B) {
	f := benchFixture()
	ctx := context.Background()
	procs := runtime.GOMAXPROCS(0)
	par := (parallelGoroutines + procs - 1) / procs
	run := func(b *testing.B, get func() error) {
		// Open the connections before timing.
		var wg sync.WaitGroup
		for range par * procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := get(); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
		b.SetParallelism(par)
		b.ReportAllocs()
		conns := f.conns.Load()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := get(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		b.ReportMetric(float64(f.conns.Load()-conns), "new-conns")
	}
	b.Run("impl=baseline", func(b *testing.B) {
		_, c := f.clients(b)
		run(b, func() error {
			_, err := c.get(ctx, seedID)
			return err
		})
	})
	b.Run("impl=sdk", func(b *testing.B) {
		c, _ := f.clients(b)
		run(b, func() error {
			_, err := c.Integrations.Get(ctx, seedID)
			return err
		})
	})
}

// BenchmarkUpdate writes (PUT) a document rich in members the SDK does not
// type and decodes the document the server answers with. The baseline
// sends only its typed fields; the SDK sends every member it received.
func BenchmarkUpdate(b *testing.B) {
	f := benchFixture()
	ctx := context.Background()
	b.Run("impl=baseline", func(b *testing.B) {
		_, c := f.clients(b)
		var in baseIntegration
		if err := json.Unmarshal(f.rich, &in); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			out, err := c.update(ctx, richID, &in)
			if err != nil {
				b.Fatal(err)
			}
			sinkBase = out
		}
	})
	b.Run("impl=sdk", func(b *testing.B) {
		c, _ := f.clients(b)
		var in integratorio.Integration
		if err := json.Unmarshal(f.rich, &in); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			out, err := c.Integrations.Update(ctx, richID, &in)
			if err != nil {
				b.Fatal(err)
			}
			sinkSDK = out
		}
	})
}

// listBench times listing with list (whose argument, when not nil, is
// called once per page), then reports the heap high-water mark of one
// more, untimed listing.
func listBench(b *testing.B, f *fixture, list func(pageDone func()) int) {
	b.Helper()
	want := f.totalDocs()
	b.ReportAllocs()
	for b.Loop() {
		if n := list(nil); n != want {
			b.Fatalf("listed %d integrations, want %d", n, want)
		}
	}
	s := startHeapSampler(heapSampleInterval)
	n := list(s.Sample)
	peak, live := s.Stop()
	if n != want {
		b.Fatalf("listed %d integrations, want %d", n, want)
	}
	b.ReportMetric(peak, "peak-heap-MB")
	b.ReportMetric(live, "peak-live-MB")
	b.ReportMetric(float64(len(f.pages[0]))/1e6, "page-MB")
}

// BenchmarkListAll reads 10,000 integrations in 10 pages, one page at a
// time: the SDK's Integrations.All against a loop over pages.
func BenchmarkListAll(b *testing.B) {
	f := benchFixture()
	ctx := context.Background()
	b.Run("impl=baseline", func(b *testing.B) {
		_, c := f.clients(b)
		listBench(b, f, func(pageDone func()) int {
			n := 0
			err := c.eachPage(ctx, func(page []baseIntegration) bool {
				if pageDone != nil {
					pageDone()
				}
				for i := range page {
					sinkBase = &page[i]
					n++
				}
				return true
			})
			if err != nil {
				b.Fatal(err)
			}
			return n
		})
	})
	b.Run("impl=sdk", func(b *testing.B) {
		c, _ := f.clients(b)
		listBench(b, f, func(pageDone func()) int {
			n := 0
			for in, err := range c.Integrations.All(ctx, nil) {
				if err != nil {
					b.Fatal(err)
				}
				if pageDone != nil && n%f.perPage == 0 {
					pageDone()
				}
				sinkSDK = in
				n++
			}
			return n
		})
	})
}

// BenchmarkList reads the same 10,000 integrations into one slice: the
// SDK's Integrations.List against appending every page.
func BenchmarkList(b *testing.B) {
	f := benchFixture()
	ctx := context.Background()
	b.Run("impl=baseline", func(b *testing.B) {
		_, c := f.clients(b)
		listBench(b, f, func(func()) int {
			all, err := c.list(ctx)
			if err != nil {
				b.Fatal(err)
			}
			return len(all)
		})
	})
	b.Run("impl=sdk", func(b *testing.B) {
		c, _ := f.clients(b)
		listBench(b, f, func(func()) int {
			all, err := c.Integrations.List(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			return len(all)
		})
	})
}
