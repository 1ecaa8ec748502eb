package integratoriotest

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// timeRange is a pair of inclusive time bounds from a query, such as
// createdAt_gte and createdAt_lte; nil bounds nothing.
type timeRange struct{ from, to *time.Time }

// parseTimeRange reads the bounds member_gte and member_lte of q, each
// ISO 8601 (RFC 3339), a plain date (midnight UTC) or epoch milliseconds,
// to the millisecond; one that is none of those is 400 with code.
func parseTimeRange(q url.Values, member, code string) (timeRange, error) {
	var r timeRange
	for _, b := range []struct {
		key string
		t   **time.Time
	}{{member + "_gte", &r.from}, {member + "_lte", &r.to}} {
		if v := q.Get(b.key); v != "" {
			t, err := parseQueryTime(v)
			if err != nil {
				return r, badRequest(code, b.key, "%s: %q is not a date, an ISO 8601 time or epoch milliseconds", b.key, v)
			}
			*b.t = &t
		}
	}
	return r, nil
}

// contains reports whether t is within the bounds.
func (r timeRange) contains(t time.Time) bool {
	return (r.from == nil || !t.Before(*r.from)) && (r.to == nil || !t.After(*r.to))
}

// parseQueryTime reads a time filter: ISO 8601 (RFC 3339), a plain date
// (midnight UTC) or epoch milliseconds, to the millisecond.
func parseQueryTime(v string) (time.Time, error) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC().Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: %q", v)
}
