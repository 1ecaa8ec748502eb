package bench

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
)

// BenchmarkRollout rolls a managed update out to a fleet of installs on the
// fake, which enforces a rate-limit bucket and delays every answer, with 5%
// of the installs' first final write answered 503. impl=rollout is
// Connectors.Rollout with the client paced for the bucket; impl=pool is a
// plain pool of goroutines running ManagedUpdate after the same pushes, on
// a client that does not pace itself (it only retries the 429s it gets).
//
// Reported per run: x-bound, the wall time over the bound
// max((R − burst) / rate, R × latency / concurrency), where R is the
// requests the run needed (those not answered 429); 429/req-%, the 429
// answers per needed request, in percent; and left-locked, the installs
// left with updateInProgress true; pushes/install and req/install, the
// pushes and the requests sent (429s included) per install; ms/run, the
// wall time of one run.
func BenchmarkRollout(b *testing.B) {
	const (
		installs    = 300
		burst       = 100
		perSecond   = 1000.0
		latency     = 5 * time.Millisecond
		concurrency = 16
		batch       = 100
	)
	for _, impl := range []string{"rollout", "pool"} {
		b.Run("impl="+impl, func(b *testing.B) {
			var ratio, limited, locked, pushes, reqsPer, ms float64
			for range b.N {
				b.StopTimer()
				srv := integratoriotest.NewServer(integratoriotest.WithRateLimit(perSecond, burst), integratoriotest.WithLatency(latency))
				ids := seedFleet(b, srv, installs)
				pace := integratorio.WithRateLimit(perSecond, burst)
				if impl == "pool" {
					pace = integratorio.WithRateLimit(0, 0)
				}
				client := srv.Client(pace)
				// Let the bucket fill after seeding, as for a quiet account.
				time.Sleep(time.Duration(float64(burst)/perSecond*float64(time.Second)) + 10*time.Millisecond)
				b.StartTimer()

				start := time.Now()
				if impl == "rollout" {
					if _, err := client.Connectors.Rollout(context.Background(), benchConnector, "2.0.0", benchUpdate,
						&integratorio.RolloutOptions{Concurrency: concurrency, PushBatchSize: batch}); err != nil {
						b.Fatal(err)
					}
				} else {
					plainPool(b, client, ids, concurrency, batch)
				}
				took := time.Since(start)

				b.StopTimer()
				all := srv.Requests()
				reqs := len(all)
				for _, r := range all {
					if r.Method == http.MethodPut && strings.HasSuffix(r.Path, "/update") {
						pushes++
					}
				}
				reqsPer += float64(reqs) / installs
				ms += float64(took.Milliseconds())
				needed := reqs - srv.RateLimited()
				bound := max(float64(needed-burst)/perSecond, float64(needed)*latency.Seconds()/concurrency)
				ratio += took.Seconds() / bound
				limited += 100 * float64(srv.RateLimited()) / float64(needed)
				for _, id := range ids {
					if raw, _ := srv.IntegrationJSON(id); strings.Contains(string(raw), `"updateInProgress":true`) {
						locked++
					}
				}
				srv.Close()
				b.StartTimer()
			}
			n := float64(b.N)
			b.ReportMetric(ratio/n, "x-bound")
			b.ReportMetric(limited/n, "429/req-%")
			b.ReportMetric(locked/n, "left-locked")
			b.ReportMetric(pushes/n/installs, "pushes/install")
			b.ReportMetric(reqsPer/n, "req/install")
			b.ReportMetric(ms/n, "ms/run")
		})
	}
}

const benchConnector = "c0nnect0r0000000000000009"

func benchUpdate(in *integratorio.Integration) error {
	return in.EnsureSettings().Set("migrated", true)
}

// seedFleet stores n installs at 1.0.0 and makes the first final write of
// every twentieth answer 503.
func seedFleet(b *testing.B, srv *integratoriotest.Server, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range n {
		id, err := srv.AddIntegrationJSON([]byte(fmt.Sprintf(`{"name":"install %d","_connectorId":%q,"version":"1.0.0","updateInProgress":false,"settings":{}}`, i, benchConnector)))
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
		if i%20 == 0 {
			srv.FailNext(1, http.StatusServiceUnavailable, integratoriotest.OnMethod(http.MethodPut), integratoriotest.OnPath("/integrations/"+id))
		}
	}
	return ids
}

// plainPool is what a user writes without Rollout: push in batches, then
// a pool of goroutines over ManagedUpdate.
func plainPool(b *testing.B, client *integratorio.Client, ids []string, concurrency, batch int) {
	ctx := context.Background()
	for i := 0; i < len(ids); i += batch {
		if err := client.Connectors.PushUpdate(ctx, benchConnector, ids[i:min(i+batch, len(ids))]...); err != nil {
			b.Fatal(err)
		}
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				_, _ = client.Integrations.ManagedUpdate(ctx, id, "2.0.0", benchUpdate)
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
}
