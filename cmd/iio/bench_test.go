//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio"
)

// The benchmarks of docs/performance.md:
//
//	go test -run '^$' -bench . -benchtime 20x ./cmd/iio
//
// BenchmarkStartup runs the built binary's "iio version"; BenchmarkList
// lists N integrations from the fake as JSON, through iio and through the
// SDK's own All loop with encoding/json, reporting the peak heap above the
// start; BenchmarkListProcess runs the built binary and reports its peak
// resident memory.

var (
	buildMu sync.Mutex
	built   = map[string]string{} // package -> binary
)

// binary builds the command of pkg (relative to this directory) once,
// into a temporary directory.
func binary(b *testing.B, pkg string) string {
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := built[pkg]; ok {
		return bin
	}
	dir, err := os.MkdirTemp("", "iio-bench-")
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(filepath.Clean(pkg)))
	if pkg == "." {
		bin = filepath.Join(dir, "iio")
	}
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v: %s", pkg, err, out)
	}
	built[pkg] = bin
	return bin
}

func BenchmarkStartup(b *testing.B) {
	bin := binary(b, ".")
	b.ResetTimer()
	for range b.N {
		cmd := exec.Command(bin, "version")
		cmd.Stdout = io.Discard
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// seeded starts the standalone fake (cmd/integratorio-fake) in a process
// of its own, holding n integrations of about 600 bytes each, and returns
// its API root. In its own process, the fake's memory is not counted as
// the benchmark's.
func seeded(b *testing.B, n int) string {
	dir := b.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "integrations"), 0o755); err != nil {
		b.Fatal(err)
	}
	var docs []byte
	docs = append(docs, '[')
	for i := range n {
		if i > 0 {
			docs = append(docs, ',')
		}
		docs = fmt.Appendf(docs, `{"name":"Integration %06d","description":"Orders, customers and items between the shop and the ERP","version":"1.%d.0","mode":"settings","_connectorId":"64b0c0ffee00000000000c01","updateInProgress":false,"sandbox":false,"settings":{"general":{"batchSize":%d,"enabled":true,"region":"eu","notify":["ops@example.com"]},"mappings":{"sku":"itemId","qty":"quantity"}},"installSteps":[{"name":"Connect the shop","completed":true,"type":"connection"},{"name":"Connect the ERP","completed":true,"type":"connection"}],"tag":"bench"}`, i, i%7, 100+i%50)
	}
	docs = append(docs, ']')
	if err := os.WriteFile(filepath.Join(dir, "integrations", "all.json"), docs, 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(binary(b, "../integratorio-fake"), "-addr", "127.0.0.1:0", "-token", fakeToken, "-quiet", "-load", dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "serving the integrator.io API at "); ok {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			return strings.TrimSpace(u)
		}
	}
	b.Fatalf("the fake did not start: %v", sc.Err())
	return ""
}

// peakHeap samples the bytes in live and unswept heap objects every
// millisecond and keeps the highest, above what was there at the start.
type peakHeap struct {
	base, peak uint64
	stop, done chan struct{}
}

func startPeakHeap() *peakHeap {
	runtime.GC()
	p := &peakHeap{stop: make(chan struct{}), done: make(chan struct{})}
	p.base = heapObjects()
	p.peak = p.base
	go func() {
		defer close(p.done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.peak = max(p.peak, heapObjects())
			}
		}
	}()
	return p
}

// end returns the peak above the start, in MB.
func (p *peakHeap) end() float64 {
	close(p.stop)
	<-p.done
	return float64(p.peak-p.base) / 1e6
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func BenchmarkList(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		url := seeded(b, n)
		b.Run(fmt.Sprintf("iio/%d", n), func(b *testing.B) {
			env := func(k string) string {
				if k == "INTEGRATORIO_API_TOKEN" {
					return fakeToken
				}
				return ""
			}
			peak, cpu := startPeakHeap(), cpuTime()
			for range b.N {
				code := run(context.Background(), []string{"--base-url", url, "integrations", "list", "-o", "json"},
					stdio{in: eofReader{}, out: io.Discard, err: io.Discard}, env)
				if code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(peak.end(), "peak-heap-MB")
		})
		b.Run(fmt.Sprintf("sdk/%d", n), func(b *testing.B) {
			peak, cpu := startPeakHeap(), cpuTime()
			for range b.N {
				c, err := integratorio.NewClient(fakeToken, integratorio.WithBaseURL(url))
				if err != nil {
					b.Fatal(err)
				}
				w := bufio.NewWriter(io.Discard)
				count := 0
				for in, err := range c.Integrations.All(context.Background(), nil) {
					if err != nil {
						b.Fatal(err)
					}
					raw, err := json.Marshal(in)
					if err != nil {
						b.Fatal(err)
					}
					w.Write(raw)
					w.WriteByte('\n')
					count++
				}
				if err := w.Flush(); err != nil || count != n {
					b.Fatalf("%d listed, %v", count, err)
				}
				c.CloseIdleConnections()
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
			b.ReportMetric(peak.end(), "peak-heap-MB")
		})
	}
}

// BenchmarkListProcess runs the built binary against the fake and reports
// its peak resident set: VmHWM of /proc/PID/status, read every 2 ms while
// it runs (ru_maxrss would count the benchmark process it was forked
// from). Linux only.
func BenchmarkListProcess(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc")
	}
	bin := binary(b, ".")
	for _, n := range []int{10_000, 100_000} {
		url := seeded(b, n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			var peakKB int64
			for range b.N {
				cmd := exec.Command(bin, "--base-url", url, "integrations", "list", "-o", "json")
				cmd.Env = append(os.Environ(), "INTEGRATORIO_API_TOKEN="+fakeToken)
				cmd.Stdout = io.Discard
				var stderr strings.Builder
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				done := make(chan struct{})
				polled := make(chan int64)
				go func() {
					var hwm int64
					t := time.NewTicker(2 * time.Millisecond)
					defer t.Stop()
					for {
						hwm = max(hwm, vmHWM(cmd.Process.Pid))
						select {
						case <-done:
							polled <- hwm
							return
						case <-t.C:
						}
					}
				}()
				err := cmd.Wait()
				close(done)
				peakKB = max(peakKB, <-polled)
				if err != nil {
					b.Fatal(err, stderr.String())
				}
			}
			b.ReportMetric(float64(peakKB)/1024, "peak-rss-MB")
		})
	}
}

// vmHWM reads the peak resident set of a process, in KiB (0 when gone).
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// cpuTime is the user and system CPU time this process has used: the
// client's work alone, since the fake runs in a process of its own.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
