package integratoriotest

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The limiter forgets drained buckets once it keeps many, and keeps the
// ones still holding requests.
func TestLimiterPrunesDrainedBuckets(t *testing.T) {
	t.Parallel()
	l := newLimiter(1, 1)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range pruneAbove {
		_, ok := l.take("k"+strconv.Itoa(i), t0)
		require.True(t, ok)
	}
	_, ok := l.take("k0", t0)
	assert.False(t, ok, "k0's bucket is full")

	// Nothing has drained: the next new key prunes nothing.
	_, ok = l.take("fresh", t0)
	require.True(t, ok)
	assert.Len(t, l.buckets, pruneAbove+1)
	assert.Equal(t, 2*(pruneAbove+0), l.pruneAt)

	// Later, every bucket but the one just filled has drained.
	t1 := t0.Add(2 * time.Second)
	for i := range pruneAbove {
		_, ok := l.take("later"+strconv.Itoa(i), t1)
		require.True(t, ok)
	}
	assert.Less(t, len(l.buckets), 2*pruneAbove+1, "drained buckets were forgotten")
	_, ok = l.take("later0", t1)
	assert.False(t, ok, "a bucket holding a request is kept")
	_, ok = l.take("k0", t1)
	assert.True(t, ok, "a forgotten bucket is an empty one")
}

// A clock that goes back drains nothing and breaks nothing.
func TestLimiterClockGoingBack(t *testing.T) {
	t.Parallel()
	l := newLimiter(1, 1)
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	_, ok := l.take("k", t0)
	require.True(t, ok)
	wait, ok := l.take("k", t0.Add(-time.Hour))
	assert.False(t, ok)
	assert.Equal(t, time.Second, wait)
	wait, ok = l.take("k", t0.Add(500*time.Millisecond))
	assert.False(t, ok)
	assert.Equal(t, 500*time.Millisecond, wait)
	_, ok = l.take("k", t0.Add(time.Second))
	assert.True(t, ok)
}
