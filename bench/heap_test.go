package bench

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// heapSampler records two high-water marks above what was live when it
// started: runtime.MemStats.HeapAlloc (the heap including garbage not yet
// collected, which is what the process holds) and the live heap that the
// latest garbage collection found (/gc/heap/live:bytes, which leaves the
// collector's pacing out).
type heapSampler struct {
	baseAlloc, baseLive uint64

	mu                  sync.Mutex
	peakAlloc, peakLive uint64
	live                []metrics.Sample

	stop chan struct{}
	done chan struct{}
}

const liveHeapMetric = "/gc/heap/live:bytes"

// startHeapSampler collects garbage, notes the live heap, and samples the
// heap every interval until Stop. Sample adds samples at chosen points.
func startHeapSampler(interval time.Duration) *heapSampler {
	runtime.GC()
	s := &heapSampler{
		live: []metrics.Sample{{Name: liveHeapMetric}},
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	s.baseAlloc, s.baseLive = s.read()
	s.peakAlloc, s.peakLive = s.baseAlloc, s.baseLive
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.Sample()
			}
		}
	}()
	return s
}

// read returns HeapAlloc and the live heap now. The caller must hold s.mu
// or own s exclusively.
func (s *heapSampler) read() (alloc, live uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	metrics.Read(s.live)
	if v := s.live[0].Value; v.Kind() == metrics.KindUint64 {
		live = v.Uint64()
	}
	return ms.HeapAlloc, live
}

// Sample reads the heap size now.
func (s *heapSampler) Sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	alloc, live := s.read()
	s.peakAlloc = max(s.peakAlloc, alloc)
	s.peakLive = max(s.peakLive, live)
}

// Stop ends sampling and returns the peaks above the starting heap, in MB
// (10^6 bytes, as benchstat reads the unit): of HeapAlloc, and of the live
// heap.
func (s *heapSampler) Stop() (alloc, live float64) {
	s.Sample()
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	const mb = 1e6
	return float64(s.peakAlloc-s.baseAlloc) / mb, float64(s.peakLive-s.baseLive) / mb
}
