package integratorio

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const cacheID = "6b0e92c4a791ac036628c9c1"

var cacheDataURL = testRoot + "/lookupcaches/" + cacheID + "/data"

// dataCalls decodes the bodies of PutData's calls into their keys.
func dataCalls(t *testing.T, rec *recorder) [][]string {
	t.Helper()
	var out [][]string
	for _, r := range rec.reqs {
		require.Equal(t, http.MethodPost, r.Method)
		require.Equal(t, "/v1/lookupcaches/"+cacheID+"/data", r.Path)
		assert.LessOrEqual(t, len(r.Body), maxCacheBody, "a call's body is within 5 MB")
		var body struct {
			Data []LookupCacheEntry `json:"data"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &body))
		assert.LessOrEqual(t, len(body.Data), maxCacheEntries)
		var keys []string
		for _, e := range body.Data {
			keys = append(keys, e.Key)
		}
		out = append(out, keys)
	}
	return out
}

func numberedEntries(n int) []LookupCacheEntry {
	out := make([]LookupCacheEntry, n)
	for i := range out {
		out[i] = LookupCacheEntry{Key: fmt.Sprintf("k%d", i), Value: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
	}
	return out
}

func TestPutDataSplitsAtTheEntryLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		entries int
		calls   []int
	}{
		{1, []int{1}},
		{1000, []int{1000}},
		{1001, []int{1000, 1}},
		{2500, []int{1000, 1000, 500}},
	} {
		t.Run(fmt.Sprint(tc.entries), func(t *testing.T) {
			c, mt := newMockClient(t)
			var rec recorder
			mt.RegisterResponder(http.MethodPost, cacheDataURL, rec.wrap(httpmock.NewStringResponder(204, "")))
			require.NoError(t, c.LookupCaches.PutData(context.Background(), cacheID, numberedEntries(tc.entries)))
			calls := dataCalls(t, &rec)
			var sizes []int
			var all []string
			for _, keys := range calls {
				sizes = append(sizes, len(keys))
				all = append(all, keys...)
			}
			assert.Equal(t, tc.calls, sizes)
			require.Len(t, all, tc.entries)
			for i, k := range all {
				require.Equal(t, fmt.Sprintf("k%d", i), k, "entries are sent in order, each once")
			}
		})
	}
}

// sizedEntries returns n entries whose request body, all in one call, is
// exactly total bytes.
func sizedEntries(t *testing.T, n, total int) []LookupCacheEntry {
	t.Helper()
	entries := make([]LookupCacheEntry, n)
	size := len(cacheDataPrefix) + len(cacheDataSuffix) + n - 1 // the frame and the commas
	for i := range entries {
		entries[i] = LookupCacheEntry{Key: fmt.Sprintf("k%d", i), Value: json.RawMessage(`""`)}
		b, err := json.Marshal(entries[i])
		require.NoError(t, err)
		size += len(b)
	}
	pad := total - size // spread over the entries' string values
	for i := range entries {
		share := pad / n
		if i == n-1 {
			share = pad - (pad/n)*(n-1)
		}
		entries[i].Value = json.RawMessage(`"` + strings.Repeat("x", share) + `"`)
	}
	return entries
}

func TestPutDataSplitsAtTheByteLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		total int
		calls []int
	}{
		{"exactly 5 MB in one call", maxCacheBody, []int{10}},
		{"one byte more splits", maxCacheBody + 1, []int{9, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			var rec recorder
			mt.RegisterResponder(http.MethodPost, cacheDataURL, rec.wrap(httpmock.NewStringResponder(204, "")))
			entries := sizedEntries(t, 10, tc.total)
			require.NoError(t, c.LookupCaches.PutData(context.Background(), cacheID, entries))
			var sizes []int
			for _, keys := range dataCalls(t, &rec) {
				sizes = append(sizes, len(keys))
			}
			assert.Equal(t, tc.calls, sizes)
			if len(tc.calls) == 1 {
				assert.Len(t, rec.reqs[0].Body, maxCacheBody, "the body is exactly at the limit")
			}
		})
	}
}

func TestPutDataRefusesBadEntriesBeforeSending(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	huge := sizedEntries(t, 1, maxCacheBody+1)
	for name, entries := range map[string][]LookupCacheEntry{
		"none":           nil,
		"empty key":      {{Key: "a", Value: json.RawMessage("1")}, {Key: "", Value: json.RawMessage("1")}},
		"value not JSON": {{Key: "a", Value: json.RawMessage("{")}},
		"entry too big":  append(numberedEntries(3), huge...),
	} {
		assert.ErrorIs(t, c.LookupCaches.PutData(ctx, cacheID, entries), ErrInvalidArgument, name)
	}
	assert.ErrorIs(t, c.LookupCaches.PutData(ctx, "a/b", numberedEntries(1)), ErrInvalidArgument)
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
}

func TestPutDataSendsAnEmptyValueAsNull(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodPost, cacheDataURL, rec.wrap(httpmock.NewStringResponder(204, "")))
	require.NoError(t, c.LookupCaches.PutData(context.Background(), cacheID, []LookupCacheEntry{{Key: "a"}}))
	require.Len(t, rec.reqs, 1)
	assert.JSONEq(t, `{"data":[{"key":"a","value":null}]}`, string(rec.reqs[0].Body))
	assert.Equal(t, "application/json", rec.reqs[0].Header.Get("Content-Type"))
}

func TestPutDataStopsAtAFailedCallWithoutRepeatingIt(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	n := 0
	mt.RegisterResponder(http.MethodPost, cacheDataURL, rec.wrap(func(r *http.Request) (*http.Response, error) {
		n++
		if n == 2 {
			return httpmock.NewStringResponse(500, `{"errors":[{"code":"internal","message":"x"}]}`), nil
		}
		return httpmock.NewStringResponse(204, ""), nil
	}))
	err := c.LookupCaches.PutData(context.Background(), cacheID, numberedEntries(2500))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrUnknownOutcome, "a POST answered 500 may have been applied")
	assert.Contains(t, err.Error(), "1000 of 2500 entries stored")
	assert.Len(t, rec.reqs, 2, "the failed call is not repeated and no later call is sent")
}

func TestLookupCacheDataWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	base := testRoot + "/lookupcaches/" + cacheID
	var get, del, purge recorder
	answers := []string{"", `{"data":[{"key":"a1","value":{"x":1}},{"key":"a2","value":12345678901234567890}]}`, `[{"key":"a1","value":{"x":1}}]`}
	mt.RegisterResponder(http.MethodPost, base+"/getData", get.wrap(func(r *http.Request) (*http.Response, error) {
		a := answers[len(get.reqs)-1]
		if a == "" {
			return httpmock.NewStringResponse(503, ""), nil
		}
		return httpmock.NewStringResponse(200, a), nil
	}))
	mt.RegisterResponder(http.MethodDelete, base+"/data", del.wrap(httpmock.NewStringResponder(204, "")))
	mt.RegisterResponder(http.MethodDelete, base+"/data/purge", purge.wrap(httpmock.NewStringResponder(204, "")))

	got, err := c.LookupCaches.GetData(ctx, cacheID, "a1", "a2")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "a2", got[1].Key)
	assert.Equal(t, "12345678901234567890", string(got[1].Value), "values are kept exactly")
	require.Len(t, get.reqs, 2, "getData only reads: retried after a 503")
	assert.JSONEq(t, `{"keys":["a1","a2"]}`, string(get.reqs[1].Body))

	got, err = c.LookupCaches.DataWithPrefix(ctx, cacheID, "a")
	require.NoError(t, err)
	require.Len(t, got, 1, "a bare array is read too")
	assert.JSONEq(t, `{"startsWith":"a"}`, string(get.reqs[2].Body))

	_, err = c.LookupCaches.GetData(ctx, cacheID)
	assert.ErrorIs(t, err, ErrInvalidArgument)

	require.NoError(t, c.LookupCaches.DeleteData(ctx, cacheID, "a1", "b"))
	require.Len(t, del.reqs, 1)
	assert.JSONEq(t, `{"keys":["a1","b"]}`, string(del.reqs[0].Body))
	assert.ErrorIs(t, c.LookupCaches.DeleteData(ctx, cacheID), ErrInvalidArgument)

	require.NoError(t, c.LookupCaches.PurgeData(ctx, cacheID))
	require.Len(t, purge.reqs, 1)
	assert.Empty(t, purge.reqs[0].Body)
	assert.Len(t, get.reqs, 3, "no other getData call")
}

func TestGetDataAndDeleteDataSplitKeysAtTheLimit(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var get, del recorder
	mt.RegisterResponder(http.MethodPost, testRoot+"/lookupcaches/"+cacheID+"/getData", get.wrap(jsonResponder(200, []byte(`{"data":[{"key":"k","value":1}]}`))))
	mt.RegisterResponder(http.MethodDelete, cacheDataURL, del.wrap(httpmock.NewStringResponder(204, "")))
	keys := make([]string, 1001)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	got, err := c.LookupCaches.GetData(context.Background(), cacheID, keys...)
	require.NoError(t, err)
	assert.Len(t, got, 2, "the entries of both calls")
	require.NoError(t, c.LookupCaches.DeleteData(context.Background(), cacheID, keys...))
	for name, rec := range map[string]*recorder{"getData": &get, "delete": &del} {
		require.Len(t, rec.reqs, 2, name)
		var sizes []int
		for _, r := range rec.reqs {
			var body struct {
				Keys []string `json:"keys"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &body))
			sizes = append(sizes, len(body.Keys))
		}
		assert.Equal(t, []int{1000, 1}, sizes, name)
	}
	_, err = c.LookupCaches.GetData(context.Background(), cacheID, "a", "")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Len(t, get.reqs, 2)
}

// A getData answer paged by nextPageURL is read whole, each page asked
// for with the same body; a next page on another host is refused.
func TestDataWithPrefixFollowsNextPageURL(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	base := testRoot + "/lookupcaches/" + cacheID + "/getData"
	var first, second recorder
	mt.RegisterResponder(http.MethodPost, base, first.wrap(httpmock.NewStringResponder(200, `{"data":[{"key":"a1","value":1}],"nextPageURL":"/v1/lookupcaches/`+cacheID+`/getData?startAfterKey=a1"}`)))
	mt.RegisterResponder(http.MethodPost, base+"?startAfterKey=a1", second.wrap(httpmock.NewStringResponder(200, `{"data":[{"key":"a2","value":2}],"nextPageURL":null}`)))
	got, err := c.LookupCaches.DataWithPrefix(ctx, cacheID, "a")
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, []string{"a1", "a2"}, []string{got[0].Key, got[1].Key})
	require.Len(t, first.reqs, 1)
	require.Len(t, second.reqs, 1)
	assert.JSONEq(t, `{"startsWith":"a"}`, string(second.reqs[0].Body), "the next page is asked for with the same body")
	assert.Equal(t, "Bearer "+testToken, second.reqs[0].Header.Get("Authorization"))

	c2, mt2 := newMockClient(t)
	var foreign recorder
	mt2.RegisterResponder(http.MethodPost, base, httpmock.NewStringResponder(200, `{"data":[],"nextPageURL":"https://elsewhere.example.test/getData"}`))
	mt2.RegisterResponder(http.MethodPost, "https://elsewhere.example.test/getData", foreign.wrap(httpmock.NewStringResponder(200, `[]`)))
	_, err = c2.LookupCaches.DataWithPrefix(ctx, cacheID, "a")
	assert.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.Empty(t, foreign.reqs, "the token never goes to another host")
}
