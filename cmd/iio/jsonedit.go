package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// member is one member of a JSON object, its value as received.
type member struct {
	key   string
	value json.RawMessage
}

// objectMembers returns the members of a JSON object in their order.
func objectMembers(raw []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("not a JSON object")
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, member{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

// encodeObject writes members as a JSON object, values as they are.
func encodeObject(ms []member) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// assignment is one path=value of set and rollout --set.
type assignment struct {
	path  []string
	value json.RawMessage
}

// parseAssignment reads path=value: path a dot path from the document's
// root, value JSON if it parses as JSON, else a string.
func parseAssignment(s string) (assignment, error) {
	p, v, ok := strings.Cut(s, "=")
	if !ok || p == "" {
		return assignment{}, usagef("%q: write path=value, such as settings.general.enabled=true", s)
	}
	segs := strings.Split(p, ".")
	for _, seg := range segs {
		if seg == "" {
			return assignment{}, usagef("%q: the path has an empty segment", s)
		}
	}
	var raw json.RawMessage
	if json.Valid([]byte(v)) && strings.TrimSpace(v) != "" {
		raw = json.RawMessage(strings.TrimSpace(v))
	} else {
		raw, _ = json.Marshal(v)
	}
	return assignment{path: segs, value: raw}, nil
}

func parseAssignments(args []string) ([]assignment, error) {
	out := make([]assignment, 0, len(args))
	for _, s := range args {
		as, err := parseAssignment(s)
		if err != nil {
			return nil, err
		}
		out = append(out, as)
	}
	return out, nil
}

// setPath returns doc with the value at path replaced (or added, with the
// objects on the way), every other member kept in place and as it was.
// A segment that is a number indexes an array.
func setPath(doc []byte, path []string, value json.RawMessage) ([]byte, error) {
	if len(path) == 0 {
		return value, nil
	}
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 || string(doc) == "null" {
		doc = []byte("{}")
	}
	switch doc[0] {
	case '{':
		ms, err := objectMembers(doc)
		if err != nil {
			return nil, err
		}
		for i := range ms {
			if ms[i].key == path[0] {
				v, err := setPath(ms[i].value, path[1:], value)
				if err != nil {
					return nil, err
				}
				ms[i].value = v
				return encodeObject(ms), nil
			}
		}
		v, err := setPath(nil, path[1:], value)
		if err != nil {
			return nil, err
		}
		return encodeObject(append(ms, member{path[0], v})), nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(doc, &items); err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i > len(items) {
			return nil, fmt.Errorf("%q is not an index of an array of %d", path[0], len(items))
		}
		var cur json.RawMessage
		if i < len(items) {
			cur = items[i]
		}
		v, err := setPath(cur, path[1:], value)
		if err != nil {
			return nil, err
		}
		if i == len(items) {
			items = append(items, v)
		} else {
			items[i] = v
		}
		var b bytes.Buffer
		b.WriteByte('[')
		for j, it := range items {
			if j > 0 {
				b.WriteByte(',')
			}
			b.Write(it)
		}
		b.WriteByte(']')
		return b.Bytes(), nil
	}
	return nil, fmt.Errorf("%q is inside a %s, not an object", path[0], describe(doc))
}

func describe(raw []byte) string {
	switch raw[0] {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// applyAssignments applies each assignment to the JSON document raw.
func applyAssignments(raw []byte, as []assignment) ([]byte, error) {
	for _, a := range as {
		var err error
		raw, err = setPath(raw, a.path, a.value)
		if err != nil {
			return nil, fmt.Errorf("setting %s: %v", strings.Join(a.path, "."), err)
		}
	}
	return raw, nil
}

// modifyDoc applies the assignments to *doc through its JSON: members the
// SDK does not type are kept, in their order.
func modifyDoc[T any](doc *T, as []assignment) error {
	raw, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	raw, err = applyAssignments(raw, as)
	if err != nil {
		return usagef("%v", err)
	}
	var fresh T
	if err := json.Unmarshal(raw, &fresh); err != nil {
		return usagef("the changed document does not fit: %v", err)
	}
	*doc = fresh
	return nil
}
