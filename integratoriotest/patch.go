package integratoriotest

import (
	"fmt"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/integratorio-go/integratorio/internal/jsonvalue"
)

// applyPatch applies patch to the JSON document doc, one operation after
// another. Paths follow RFC 6901 against the document as it stands: inside
// an array a token must be an index without sign or leading zero ("-"
// appends); elsewhere it is a member name, whatever it looks like. add,
// remove and replace then go to json-patch; test is evaluated here, so
// that numbers compare by value (1 equals 1.0, RFC 6902 section 4.6) and a
// missing target fails even against null. A path that breaks these rules
// is an *apiError naming the path field.
func applyPatch(doc []byte, patch jsonpatch.Patch) ([]byte, error) {
	opts := jsonpatch.NewApplyOptions()
	opts.EscapeHTML = false
	opts.SupportNegativeIndices = false
	for i, op := range patch {
		path, err := op.Path()
		if err != nil {
			return nil, fmt.Errorf("operation %d: %w", i, err)
		}
		var current any
		if err := decodeJSON(doc, &current); err != nil {
			return nil, err
		}
		if op.Kind() != "test" {
			if err := checkTarget(current, path, op.Kind()); err != nil {
				return nil, badRequest("invalid_field", "path", "operation %d: %v", i, err)
			}
			out, err := jsonpatch.Patch{op}.ApplyWithOptions(doc, opts)
			if err != nil {
				return nil, fmt.Errorf("operation %d: %w", i, err)
			}
			doc = out
			continue
		}
		var want any
		if raw := op["value"]; raw != nil { // a JSON null decodes to nil
			if err := decodeJSON(*raw, &want); err != nil {
				return nil, fmt.Errorf("operation %d: %w", i, err)
			}
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

// checkTarget checks the path of an add, remove or replace against doc:
// its parent exists, and if the parent is an array the last token is an
// index ("-" too, for add).
func checkTarget(doc any, path, kind string) error {
	cut := strings.LastIndexByte(path, '/')
	parent, ok := resolvePointer(doc, path[:cut])
	if !ok {
		return fmt.Errorf("%s does not exist", path[:cut])
	}
	if _, isArray := parent.([]any); isArray {
		last := path[cut+1:]
		if _, ok := arrayIndex(last); !ok && (last != "-" || kind != "add") {
			return fmt.Errorf("%q in %s is not an array index (RFC 6901: digits without a leading zero; - appends)", last, path)
		}
	}
	return nil
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
