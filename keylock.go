package integratorio

import (
	"context"
	"sync"
)

// keyedLock serialises the read-modify-write helpers (Modify,
// ManagedUpdate) of one client per resource, so that two goroutines
// updating the same document cannot both write a copy read before the
// other's write. Waiting ends with the caller's context.
type keyedLock struct {
	mu sync.Mutex
	m  map[string]*keyEntry
}

type keyEntry struct {
	ch   chan struct{} // holds a value while the key is locked
	refs int           // holders and waiters
}

// lock locks key and returns the function that unlocks it.
func (k *keyedLock) lock(ctx context.Context, key string) (func(), error) {
	if ctx == nil {
		return nil, invalidArgf("nil context")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyEntry{}
	}
	e := k.m[key]
	if e == nil {
		e = &keyEntry{ch: make(chan struct{}, 1)}
		k.m[key] = e
	}
	e.refs++
	k.mu.Unlock()
	select {
	case e.ch <- struct{}{}:
	case <-ctx.Done():
		k.release(key, e)
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-e.ch
			k.release(key, e)
		})
	}, nil
}

func (k *keyedLock) release(key string, e *keyEntry) {
	k.mu.Lock()
	if e.refs--; e.refs == 0 {
		delete(k.m, key)
	}
	k.mu.Unlock()
}
