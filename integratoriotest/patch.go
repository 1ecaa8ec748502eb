package integratoriotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// applyPatch applies patch to the JSON document doc, one operation after
// another. add, remove and replace go to json-patch (negative array
// indexes refused, as RFC 6901 has none); test is evaluated here, so that
// numbers compare by value (1 equals 1.0, RFC 6902 section 4.6) and a
// missing target fails even against null.
func applyPatch(doc []byte, patch jsonpatch.Patch) ([]byte, error) {
	opts := jsonpatch.NewApplyOptions()
	opts.EscapeHTML = false
	opts.SupportNegativeIndices = false
	for i, op := range patch {
		if op.Kind() != "test" {
			out, err := jsonpatch.Patch{op}.ApplyWithOptions(doc, opts)
			if err != nil {
				return nil, fmt.Errorf("operation %d: %w", i, err)
			}
			doc = out
			continue
		}
		path, err := op.Path()
		if err != nil {
			return nil, fmt.Errorf("operation %d: %w", i, err)
		}
		var want any
		if raw := op["value"]; raw != nil { // a JSON null decodes to nil
			if err := decodeNumbers(*raw, &want); err != nil {
				return nil, fmt.Errorf("operation %d: %w", i, err)
			}
		}
		var current any
		if err := decodeNumbers(doc, &current); err != nil {
			return nil, err
		}
		got, ok := resolvePointer(current, path)
		if !ok {
			return nil, fmt.Errorf("operation %d: test: %s does not exist", i, path)
		}
		if !jsonEqual(got, want) {
			return nil, fmt.Errorf("operation %d: test failed: %s differs", i, path)
		}
	}
	return doc, nil
}

func decodeNumbers(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// resolvePointer finds the value a JSON Pointer (RFC 6901) names in doc.
func resolvePointer(doc any, pointer string) (any, bool) {
	if pointer == "" {
		return doc, true
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, false
	}
	cur := doc
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, ok := arrayIndex(tok)
			if !ok || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// arrayIndex parses an RFC 6901 array index: "0", or digits without a
// leading zero.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') || strings.Trim(tok, "0123456789") != "" {
		return 0, false
	}
	i, err := strconv.Atoi(tok)
	return i, err == nil
}

// badIndexToken reports a path token that is neither a member name nor a
// valid array index but looks like an attempt at one: "-1", "01".
func badIndexToken(tok string) bool {
	digits := strings.TrimPrefix(tok, "-")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return false
	}
	return tok[0] == '-' || (len(tok) > 1 && tok[0] == '0')
}

// jsonEqual compares decoded JSON values, numbers by value.
func jsonEqual(a, b any) bool {
	switch a := a.(type) {
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		x, okx := new(big.Rat).SetString(a.String())
		y, oky := new(big.Rat).SetString(bn.String())
		return okx && oky && x.Cmp(y) == 0
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, v := range a {
			w, ok := bm[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		ba, ok := b.([]any)
		if !ok || len(a) != len(ba) {
			return false
		}
		for i := range a {
			if !jsonEqual(a[i], ba[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
