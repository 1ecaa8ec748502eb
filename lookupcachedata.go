package integratorio

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Lookup-cache data limits of one call, as the API states them.
const (
	// maxCacheEntries is the most entries one data call takes.
	maxCacheEntries = 1000
	// maxCacheBody is the largest request body one data call takes, in
	// bytes (5 MB, counted in the smaller, decimal, sense).
	maxCacheBody = 5_000_000
)

func (s *lookupCaches) PutData(ctx context.Context, id string, entries []LookupCacheEntry) error {
	p, err := s.docPath(id)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return invalidArgf("PutData: no entries")
	}
	encoded := make([][]byte, len(entries))
	var masked []string // paths of masked secrets in the values
	for i, e := range entries {
		if e.Key == "" {
			return invalidArgf("PutData: entry %d has an empty key", i)
		}
		if len(e.Value) == 0 {
			e.Value = json.RawMessage("null")
		}
		if !json.Valid(e.Value) {
			return invalidArgf("PutData: the value of entry %d (key %q) is not JSON", i, e.Key)
		}
		if mayHoldMask(e.Value) {
			maskedPaths(e.Value, skipSpace(e.Value, 0), "/"+pointerEscape(e.Key), &masked)
		}
		if encoded[i], err = json.Marshal(e); err != nil {
			return invalidArgf("PutData: entry %d (key %q): %v", i, e.Key, err)
		}
	}
	batches, err := cacheBatches(encoded, cacheDataPrefix, "PutData", "entry")
	if err != nil {
		return err
	}
	if !masksAllowed(ctx) {
		if err := maskedError(s.c.tokenRedactor(), masked, "PutData", "lookup cache", id); err != nil {
			return s.c.redactError(err)
		}
	}
	stored := 0
	for _, body := range batches {
		if err := s.c.send(request{ctx: ctx, method: http.MethodPost, path: p + "/data", raw: body.json}, nil); err != nil {
			return fmt.Errorf("integratorio: PutData: %d of %d entries stored before this call failed: %w", stored, len(entries), err)
		}
		stored += body.n
	}
	return nil
}

// cacheBatch is one data call's body and how many items it holds.
type cacheBatch struct {
	json []byte
	n    int
}

// cacheBatches splits encoded items (entries or keys), in order, into the
// bodies of the fewest calls that keep within the limits: at most
// maxCacheEntries items, and a body (prefix, the items separated by
// commas, cacheDataSuffix) of at most maxCacheBody bytes. An item that
// does not fit a call alone is refused, naming op and what, before
// anything is sent.
func cacheBatches(encoded [][]byte, prefix, op, what string) ([]cacheBatch, error) {
	frame := len(prefix) + len(cacheDataSuffix)
	var out []cacheBatch
	var body []byte
	n := 0
	flush := func() {
		body = append(body, cacheDataSuffix...)
		out = append(out, cacheBatch{body, n})
		body, n = nil, 0
	}
	for i, b := range encoded {
		if frame+len(b) > maxCacheBody {
			return nil, invalidArgf("%s: %s %d is %d bytes encoded; a call takes at most %d bytes", op, what, i, len(b), maxCacheBody-frame)
		}
		if n > 0 && (n == maxCacheEntries || len(body)+1+len(b)+len(cacheDataSuffix) > maxCacheBody) {
			flush()
		}
		if n == 0 {
			body = append(make([]byte, 0, min(maxCacheBody, 64<<10)), prefix...)
		} else {
			body = append(body, ',')
		}
		body = append(body, b...)
		n++
	}
	if n > 0 {
		flush()
	}
	return out, nil
}

// keyBatches validates keys and splits them into the bodies of calls
// within the limits, as for entries.
func keyBatches(op string, keys []string) ([]cacheBatch, error) {
	if len(keys) == 0 {
		return nil, invalidArgf("%s: no keys", op)
	}
	encoded := make([][]byte, len(keys))
	for i, k := range keys {
		if k == "" {
			return nil, invalidArgf("%s: key %d is empty", op, i)
		}
		encoded[i], _ = json.Marshal(k) // a string always encodes
	}
	return cacheBatches(encoded, cacheKeysPrefix, op, "key")
}

func (s *lookupCaches) GetData(ctx context.Context, id string, keys ...string) ([]LookupCacheEntry, error) {
	if _, err := s.docPath(id); err != nil {
		return nil, err
	}
	batches, err := keyBatches("GetData", keys)
	if err != nil {
		return nil, err
	}
	var out []LookupCacheEntry
	for _, b := range batches {
		got, err := s.getData(ctx, id, json.RawMessage(b.json))
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func (s *lookupCaches) DataWithPrefix(ctx context.Context, id, prefix string) ([]LookupCacheEntry, error) {
	return s.getData(ctx, id, map[string]any{"startsWith": prefix})
}

// getData sends a getData query and reads its entries, answered as an
// array or as {"data": [...], "nextPageURL": ...}; no body means none.
// A nextPageURL (same origin only, never a page already read) is asked
// for as the first page was, so a long answer is read whole. The POST
// only reads: it is retried as a GET is.
func (s *lookupCaches) getData(ctx context.Context, id string, body any) ([]LookupCacheEntry, error) {
	p, err := s.docPath(id)
	if err != nil {
		return nil, err
	}
	var out []LookupCacheEntry
	r := request{ctx: ctx, method: http.MethodPost, path: p + "/getData", body: body, safe: true}
	seen := map[string]bool{}
	for n := 0; ; n++ {
		var next *url.URL
		err = s.c.send(r, func(resp *response) error {
			seen[resp.url.String()] = true
			if resp.body == nil {
				return nil
			}
			raw := resp.body
			if raw[0] == '{' {
				var wrapped struct {
					Data        json.RawMessage `json:"data"`
					NextPageURL *string         `json:"nextPageURL"`
				}
				if err := json.Unmarshal(raw, &wrapped); err != nil || len(wrapped.Data) == 0 {
					return resp.unexpected(http.MethodPost, "want an array of entries or {\"data\": [...]}, got %s", resp.excerpt())
				}
				raw = wrapped.Data
				if wrapped.NextPageURL != nil {
					if next, err = s.c.resolveNext(resp, http.MethodPost, *wrapped.NextPageURL); err != nil {
						return err
					}
				}
			}
			var page []LookupCacheEntry
			if err := json.Unmarshal(raw, &page); err != nil {
				return resp.unexpected(http.MethodPost, "decoding the entries: %v", err)
			}
			out = append(out, page...)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if next == nil {
			return out, nil
		}
		if seen[next.String()] {
			return nil, fmt.Errorf("%w: POST %s/getData: nextPageURL leads back to a page already read", ErrUnexpectedResponse, p)
		}
		if n+1 >= maxPages {
			return nil, fmt.Errorf("%w: POST %s/getData: more than %d pages; stopping", ErrUnexpectedResponse, p, maxPages)
		}
		r.url, r.path, r.query = next, "", ""
	}
}

func (s *lookupCaches) DeleteData(ctx context.Context, id string, keys ...string) error {
	p, err := s.docPath(id)
	if err != nil {
		return err
	}
	batches, err := keyBatches("DeleteData", keys)
	if err != nil {
		return err
	}
	for _, b := range batches {
		if err := s.c.send(request{ctx: ctx, method: http.MethodDelete, path: p + "/data", raw: b.json}, nil); err != nil {
			return err
		}
	}
	return nil
}

func (s *lookupCaches) PurgeData(ctx context.Context, id string) error {
	p, err := s.docPath(id)
	if err != nil {
		return err
	}
	return s.c.send(request{ctx: ctx, method: http.MethodDelete, path: p + "/data/purge"}, nil)
}

// cacheDataPrefix and cacheDataSuffix frame a data call's entries:
// {"data":[e1,e2,...]}; cacheKeysPrefix frames a call's keys.
const (
	cacheDataPrefix = `{"data":[`
	cacheKeysPrefix = `{"keys":[`
	cacheDataSuffix = `]}`
)
