package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/integratorio-go/integratorio/internal/jsonvalue"
)

// Documents are handled as JSON trees: map[string]any, []any, string,
// json.Number (numbers keep their exact text), bool and nil.

// decodeTree decodes one JSON value, keeping numbers as written.
func decodeTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

// decodeObject decodes a JSON object.
func decodeObject(data []byte) (map[string]any, error) {
	v, err := decodeTree(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}

// encodeCompact encodes a tree on one line, members sorted, without HTML
// escapes.
func encodeCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encodePretty encodes a tree as the files hold it: members sorted,
// indented by two spaces, no HTML escapes, a final newline.
func encodePretty(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// deepCopy copies a tree.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

var (
	escapeToken   = strings.NewReplacer("~", "~0", "/", "~1")
	unescapeToken = strings.NewReplacer("~1", "/", "~0", "~")
)

// pointerToken escapes one JSON Pointer token (RFC 6901).
func pointerToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return escapeToken.Replace(s)
}

// sortedKeys returns an object's member names in order.
func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

// walkStrings calls fn for every string in v, with its JSON Pointer and
// the name of the member holding it (or of the array holding it, for an
// element of an array of a member).
func walkStrings(v any, path, member string, fn func(path, member, s string)) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			walkStrings(v[k], path+"/"+pointerToken(k), k, fn)
		}
	case []any:
		for i, e := range v {
			walkStrings(e, path+"/"+strconv.Itoa(i), member, fn)
		}
	case string:
		fn(path, member, v)
	}
}

// mapStrings replaces every string of v (in place, for objects and
// arrays) by what fn returns for it; fn gets the string's pointer and
// member as walkStrings gives them. It returns the new v.
func mapStrings(v any, path, member string, fn func(path, member, s string) any) any {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			t[k] = mapStrings(t[k], path+"/"+pointerToken(k), k, fn)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = mapStrings(e, path+"/"+strconv.Itoa(i), member, fn)
		}
		return t
	case string:
		return fn(path, member, t)
	}
	return v
}

// diffPaths lists the JSON Pointers where want differs from have, as deep
// as both hold objects (or arrays of the same length); sorted.
func diffPaths(have, want any, path string, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			break
		}
		keys := sortedKeys(w)
		for k := range h {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			hv, hok := h[k]
			wv, wok := w[k]
			p := path + "/" + pointerToken(k)
			if hok != wok {
				*out = append(*out, p)
				continue
			}
			diffPaths(hv, wv, p, out)
		}
		return
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			break
		}
		for i := range w {
			diffPaths(h[i], w[i], path+"/"+strconv.Itoa(i), out)
		}
		return
	}
	if !jsonvalue.Equal(have, want, nil) {
		if path == "" {
			path = "/"
		}
		*out = append(*out, path)
	}
}

// merge returns target with the members of desired laid over it: an
// object member both have is merged again, so that members only target
// has are kept at every depth; arrays of objects of the same length are
// merged element by element (keeping members the server added to each
// element); anything else is desired's value. Neither input is changed.
func merge(target, desired any) any {
	switch d := desired.(type) {
	case map[string]any:
		t, ok := target.(map[string]any)
		if !ok {
			return deepCopy(d)
		}
		out := make(map[string]any, len(t)+len(d))
		for k, v := range t {
			out[k] = deepCopy(v)
		}
		for k, v := range d {
			out[k] = merge(t[k], v)
		}
		return out
	case []any:
		t, ok := target.([]any)
		if !ok || len(t) != len(d) {
			return deepCopy(d)
		}
		out := make([]any, len(d))
		for i := range d {
			_, dObj := d[i].(map[string]any)
			_, tObj := t[i].(map[string]any)
			if dObj && tObj {
				out[i] = merge(t[i], d[i])
			} else {
				out[i] = deepCopy(d[i])
			}
		}
		return out
	}
	return deepCopy(desired)
}

// memberPaths returns the JSON Pointers of every object member of a tree,
// at every depth (through arrays by index), sorted.
func memberPaths(v any) []string {
	out := []string{}
	walkKeys(v, "", func(path, _ string) { out = append(out, path) })
	slices.Sort(out)
	return out
}

// removedMembers returns the members of before (pointers, as memberPaths
// gives them) that doc no longer has although it still has the object
// that held them: the members a person removed from the file.
func removedMembers(before []string, doc map[string]any) []string {
	var out []string
	for _, path := range before {
		if _, ok := lookup(doc, path); ok {
			continue
		}
		i := strings.LastIndexByte(path, '/')
		if parent, ok := lookup(doc, path[:i]); ok {
			if _, isObject := parent.(map[string]any); isObject {
				out = append(out, path)
			}
		}
	}
	return out
}

// deleteMembers removes the members at paths from a tree, where it has
// them.
func deleteMembers(v any, paths []string) {
	for _, path := range paths {
		i := strings.LastIndexByte(path, '/')
		if parent, ok := lookup(v, path[:i]); ok {
			if m, ok := parent.(map[string]any); ok {
				delete(m, unescapeToken.Replace(path[i+1:]))
			}
		}
	}
}

// walkKeys calls fn for every member name of every object in v, with the
// member's JSON Pointer.
func walkKeys(v any, path string, fn func(path, key string)) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			p := path + "/" + pointerToken(k)
			fn(p, k)
			walkKeys(t[k], p, fn)
		}
	case []any:
		for i, e := range t {
			walkKeys(e, path+"/"+strconv.Itoa(i), fn)
		}
	}
}
