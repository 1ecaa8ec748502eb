package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// small is the example at a scale that runs in a moment: 160 installs
// (the 150th has no refunds set up), 10 already current.
var small = config{installs: 160, current: 10, latency: time.Millisecond, burst: 40, perSecond: 4000, concurrency: 8}

func TestRolloutExample(t *testing.T) {
	var out bytes.Buffer
	report, err := run(context.Background(), &out, small)
	require.NoError(t, err)
	require.Len(t, report.Results, small.installs)

	// Two refused final writes, one install that cannot be read, one
	// without refunds: four failures; the unreadable one stays locked.
	assert.Equal(t, 4, report.Count(integratorio.RolloutFailed))
	assert.Equal(t, small.current, report.Count(integratorio.RolloutAlreadyCurrent))
	assert.Equal(t, small.installs-small.current-4, report.Count(integratorio.RolloutUpdated))
	assert.Equal(t, []string{report.Results[small.installs/2].IntegrationID}, report.LeftLocked())
	steps := map[integratorio.Phase]int{}
	for _, r := range report.Results {
		if r.Status != integratorio.RolloutFailed {
			continue
		}
		var mue *integratorio.ManagedUpdateError
		require.ErrorAs(t, r.Err, &mue)
		steps[mue.Phase]++
	}
	assert.Equal(t, map[integratorio.Phase]int{integratorio.PhaseFinalWrite: 2, integratorio.PhaseRead: 1, integratorio.PhaseUpdateFunction: 1}, steps)

	text := out.String()
	for _, want := range []string{
		"Rolling 1.4.0 out to 160 installs",
		"160/160 done:",
		"the server answered 429 0 times",
		"updated          146",
		"already current  10",
		"failed           4",
		"left locked      1",
		"refunds are not set up on this install",
		"(LEFT LOCKED)",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "\r", "plain lines when not on a terminal")
	assert.NotRegexp(t, `integratoriotest-[0-9a-f]{16}`, text, "the fake's token is never printed")
}

func TestRolloutExampleOnATerminal(t *testing.T) {
	var out bytes.Buffer
	cfg := small
	cfg.terminal = true
	_, err := run(context.Background(), &out, cfg)
	require.NoError(t, err)
	assert.Equal(t, small.installs, strings.Count(out.String(), "\r\033[K"), "one updating line, redrawn per install")
}

func TestRolloutExampleStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	report, err := run(ctx, &out, small)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, report.LeftLocked())
}
