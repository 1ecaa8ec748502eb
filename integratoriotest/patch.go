package integratoriotest

import (
	"fmt"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/integratorio-go/integratorio/internal/jsonvalue"
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
			if err := jsonvalue.Decode(*raw, &want); err != nil {
				return nil, fmt.Errorf("operation %d: %w", i, err)
			}
		}
		var current any
		if err := jsonvalue.Decode(doc, &current); err != nil {
			return nil, err
		}
		got, ok := resolvePointer(current, path)
		if !ok {
			return nil, fmt.Errorf("operation %d: test: %s does not exist", i, path)
		}
		if !jsonvalue.Equal(want, got, nil) {
			return nil, fmt.Errorf("operation %d: test failed: %s differs", i, path)
		}
	}
	return doc, nil
}

// unescapeToken decodes a JSON Pointer reference token (RFC 6901: ~1 is
// "/", ~0 is "~").
var unescapeToken = strings.NewReplacer("~1", "/", "~0", "~")

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
		tok = unescapeToken.Replace(tok)
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
