// Package jsonvalue compares decoded JSON values the way JSON means them:
// numbers by value, objects member order aside.
package jsonvalue

import (
	"bytes"
	"encoding/json"
	"math/big"
	"reflect"
)

// Decode decodes b into v keeping numbers as json.Number, so that no
// precision is lost before a comparison.
func Decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// Equal reports whether the decoded JSON values want and got are equal:
// numbers (json.Number) by value, so 1 equals 1.0 (RFC 6902 section 4.6);
// objects and arrays member by member. A non-nil str decides for every
// string of want against the value got holds in its place.
func Equal(want, got any, str func(want string, got any) bool) bool {
	switch w := want.(type) {
	case string:
		if str != nil {
			return str(w, got)
		}
		g, ok := got.(string)
		return ok && g == w
	case json.Number:
		g, ok := got.(json.Number)
		if !ok {
			return false
		}
		x, okx := new(big.Rat).SetString(w.String())
		y, oky := new(big.Rat).SetString(g.String())
		return okx && oky && x.Cmp(y) == 0
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !Equal(wv, gv, str) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !Equal(w[i], g[i], str) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}
