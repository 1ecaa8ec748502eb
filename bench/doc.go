// Package bench measures the integratorio SDK against the code a user would
// write without it: a net/http client with a tuned, reused transport and
// encoding/json into plain structs with the same typed fields.
//
// The package holds no library code; its benchmarks live in the test files
// and run only with -bench. Each benchmark has two sub-benchmarks,
// impl=baseline and impl=sdk, doing the same work against one loopback
// httptest server whose answers are encoded once, before timing, so that
// the server costs both sides the same:
//
//   - BenchmarkGet: GET of the SmartConnector sample document.
//   - BenchmarkGetMinimal: GET of a document holding only an id and a name,
//     which prices a request apart from JSON decoding.
//   - BenchmarkGetParallel64: the same GET from 64 goroutines sharing one
//     client; ns/op is the inverse of throughput.
//   - BenchmarkUpdate: PUT of a document rich in members the SDK does not
//     type, answered with the document.
//   - BenchmarkListAll: 10,000 integrations of about 2 KB in 10 pages of
//     1,000, streamed one page at a time (the SDK's Integrations.All).
//   - BenchmarkList: the same, collected into one slice (Integrations.List).
//
// The list benchmarks also report two heap high-water marks, in MB (10^6
// bytes), above what was live before the listing: peak-heap-MB, of
// runtime.MemStats.HeapAlloc (garbage not yet collected included, so it
// depends on the collector's pacing), and peak-live-MB, of the live heap
// the latest collection found (runtime/metrics /gc/heap/live:bytes). Both
// are sampled every 250µs and at each page, in one extra, untimed listing
// so that sampling does not slow the timed ones. page-MB is the size of one
// page's JSON, for scale. A listing that streams holds about one page at a
// time however long the list; one that collects grows with the list.
//
// Run bench/compare from the repository root to run them several times and
// print benchstat tables with the SDK/baseline ratios.
package bench
