package integratorio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// docState is what a model remembers about the JSON object it was decoded
// from, so that encoding it again loses nothing. Every resource model embeds
// one and delegates its JSON methods to an objectCodec.
type docState struct {
	// extra holds the members the model does not type, and typed members
	// whose value did not fit the Go type (null, a string where a bool was
	// expected, ...), exactly as received.
	extra map[string]json.RawMessage
	// present has bit i set when typed field i of the codec was in the
	// decoded object.
	present uint64
	// decoded is true when the value came from JSON rather than from code.
	decoded bool
	// partial is true when the value came from a projected list
	// (include/exclude) and so lacks members the server holds.
	partial bool
	// null is true when the value was decoded from JSON null (an element
	// of an array of objects); it encodes as null again until changed.
	null bool
}

// codecField is one typed member of a model.
type codecField struct {
	key    string // JSON member name
	quoted []byte // `"key":`
	index  int    // struct field index
	// always: emitted even when zero on a value built in code (a decoded
	// value emits it when it was present).
	always bool
}

// objectCodec encodes and decodes one struct type as a JSON object whose
// unknown members survive the round trip. Typed fields are read from the
// `json` tags; the tag `integratorio:"always"` marks a member that a value
// built in code always sends.
type objectCodec struct {
	typ    reflect.Type
	fields []codecField
	index  map[string]int
}

func newObjectCodec[T any]() *objectCodec {
	t := reflect.TypeFor[T]()
	c := &objectCodec{typ: t, index: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, ok := sf.Tag.Lookup("json")
		if !ok || !sf.IsExported() || tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		q, _ := json.Marshal(name)
		f := codecField{key: name, quoted: append(q, ':'), index: i}
		f.always = sf.Tag.Get("integratorio") == "always"
		c.index[name] = len(c.fields)
		c.fields = append(c.fields, f)
	}
	if len(c.fields) > 64 {
		panic("integratorio: internal error: too many typed fields in " + t.Name())
	}
	return c
}

var jsonNull = []byte("null")

// decode fills the struct v points to (reset first) and its state from data.
func (c *objectCodec) decode(data []byte, v any, st *docState) error {
	rv := reflect.ValueOf(v).Elem()
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return err
	}
	if members == nil { // JSON null
		rv.SetZero()
		*st = docState{decoded: true, null: true}
		return nil
	}
	rv.SetZero()
	*st = docState{decoded: true}
	for k, raw := range members {
		i, ok := c.index[k]
		if ok && !bytes.Equal(raw, jsonNull) {
			fv := rv.Field(c.fields[i].index)
			if err := json.Unmarshal(raw, fv.Addr().Interface()); err == nil {
				st.present |= 1 << i
				continue
			}
			// A value of an unexpected type is kept verbatim rather than
			// failing the whole document or being lost.
			fv.SetZero()
		}
		if st.extra == nil {
			st.extra = make(map[string]json.RawMessage, len(members))
		}
		st.extra[k] = raw
	}
	return nil
}

// encode writes the struct v points to as a JSON object. Typed fields are
// written when they were present in the decoded document, when they are
// non-zero, or when they are marked "always" on a value built in code.
// Members named in skip are left out.
func (c *objectCodec) encode(v any, st *docState, skip ...string) ([]byte, error) {
	rv := reflect.ValueOf(v).Elem()
	if st.null && len(st.extra) == 0 && st.present == 0 && isZeroExceptState(rv) {
		return []byte("null"), nil
	}
	buf := make([]byte, 0, 256)
	buf = append(buf, '{')
	var emitted uint64
	for i, f := range c.fields {
		fv := rv.Field(f.index)
		if st.present&(1<<i) == 0 && fv.IsZero() && (!f.always || st.decoded) {
			continue
		}
		if len(skip) > 0 && slices.Contains(skip, f.key) {
			continue
		}
		b, err := json.Marshal(fv.Interface())
		if err != nil {
			return nil, fmt.Errorf("encoding %q: %w", f.key, err)
		}
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = append(buf, f.quoted...)
		buf = append(buf, b...)
		emitted |= 1 << i
	}
	if len(st.extra) > 0 {
		keys := make([]string, 0, len(st.extra))
		for k := range st.extra {
			if i, ok := c.index[k]; ok && emitted&(1<<i) != 0 {
				continue // the typed value replaces what was received
			}
			if len(skip) > 0 && slices.Contains(skip, k) {
				continue
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			q, err := json.Marshal(k)
			if err != nil {
				return nil, err
			}
			if len(buf) > 1 {
				buf = append(buf, ',')
			}
			buf = append(buf, q...)
			buf = append(buf, ':')
			buf = append(buf, st.extra[k]...)
		}
	}
	return append(buf, '}'), nil
}

// getExtra decodes the member key that the model does not type into v.
func (c *objectCodec) getExtra(st *docState, key string, v any) (bool, error) {
	if _, typed := c.index[key]; typed {
		return false, invalidArgf("%q is a typed field of %s; read the struct field", key, c.typ.Name())
	}
	raw, ok := st.extra[key]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("integratorio: decoding %s member %q: %w", c.typ.Name(), key, err)
	}
	return true, nil
}

// setExtra stores v, encoded as JSON, as the member key that the model does
// not type.
func (c *objectCodec) setExtra(st *docState, key string, v any) error {
	if key == "" {
		return invalidArgf("member name must not be empty")
	}
	if _, typed := c.index[key]; typed {
		return invalidArgf("%q is a typed field of %s; set the struct field", key, c.typ.Name())
	}
	b, err := json.Marshal(v)
	if err != nil {
		return invalidArgf("member %q cannot be encoded as JSON: %v", key, err)
	}
	if st.extra == nil {
		st.extra = map[string]json.RawMessage{}
	}
	st.extra[key] = b
	return nil
}

// extraKeys lists the untyped members, sorted.
func (st *docState) extraKeys(c *objectCodec) []string {
	keys := make([]string, 0, len(st.extra))
	for k := range st.extra {
		if _, typed := c.index[k]; !typed {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// isZeroExceptState reports whether every exported field of the struct rv
// is zero.
func isZeroExceptState(rv reflect.Value) bool {
	for i := range rv.NumField() {
		if rv.Type().Field(i).IsExported() && !rv.Field(i).IsZero() {
			return false
		}
	}
	return true
}
