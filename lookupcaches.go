package integratorio

import (
	"context"
	"encoding/json"
	"time"
)

// LookupCachesService manages lookup caches (/lookupcaches): key-value
// tables that flows look records up in, and their data. Client.LookupCaches
// holds the real implementation.
type lookupCachesService interface {
	// Documents gives Get, Create, Update, Patch, Delete and Modify.
	Documents[LookupCache]
	// Lister gives List and All.
	Lister[LookupCache, ListOptions]
	// PutData stores entries in the cache (POST /lookupcaches/{id}/data),
	// replacing the value of a key already there. The API takes at most
	// 1,000 entries and 5 MB a call, so PutData sends as many calls as
	// needed, in order, each as full as the limits allow. Every entry is
	// checked before the first call: an entry whose key is empty, whose
	// value is not JSON, or that alone exceeds 5 MB is refused with
	// nothing sent, and so are entries whose values hold a masked secret
	// (ErrMaskedSecret, each path starting with the entry's key). A call is never repeated once it may have reached the
	// server; when one fails, the error says how many entries the calls
	// before it stored.
	PutData(ctx context.Context, id string, entries []LookupCacheEntry) error
	// GetData returns the entries of the given keys (POST
	// /lookupcaches/{id}/getData with {"keys": [...]}, in calls within the
	// limits PutData keeps); keys without a value are left out. The POST
	// only reads: it is retried as a GET is.
	GetData(ctx context.Context, id string, keys ...string) ([]LookupCacheEntry, error)
	// DataWithPrefix returns the entries whose key starts with prefix
	// (POST /lookupcaches/{id}/getData with {"startsWith": prefix}). An
	// answer paged by nextPageURL (same origin only) is read whole, each
	// page asked for with the same body.
	DataWithPrefix(ctx context.Context, id, prefix string) ([]LookupCacheEntry, error)
	// DeleteData removes the entries of the given keys (DELETE
	// /lookupcaches/{id}/data with {"keys": [...]}, in calls within the
	// limits PutData keeps).
	DeleteData(ctx context.Context, id string, keys ...string) error
	// PurgeData removes every entry of the cache (DELETE
	// /lookupcaches/{id}/data/purge); the cache itself stays.
	PurgeData(ctx context.Context, id string) error
}

// LookupCache is an integrator.io lookup cache. Members it does not type
// are kept.
type LookupCache struct {
	// ID is the cache's id (`_id`); read-only.
	ID string `json:"_id"`
	// Name is the display name.
	Name string `json:"name"`
	// Description is free text.
	Description string `json:"description"`
	// LastModified is when the cache last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when it was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

// LookupCacheEntry is one key and its value in a lookup cache.
type LookupCacheEntry struct {
	// Key is the entry's key; never empty.
	Key string `json:"key"`
	// Value is the entry's value as JSON, kept exactly as stored; an
	// empty Value is sent as null.
	Value json.RawMessage `json:"value"`
}

type lookupCaches struct {
	plainLister[LookupCache, *LookupCache]
}

var _ LookupCachesService = (*lookupCaches)(nil)
