package bundle

import "time"

// SetSettleTime sets how long Plan waits for a recent create to land, for
// a test, and returns what restores it.
func SetSettleTime(d time.Duration) (restore func()) {
	old := settleTime
	settleTime = d
	return func() { settleTime = old }
}
