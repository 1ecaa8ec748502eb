package integratorio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// unsafeString views b as a string without copying, for map lookups and
// comparisons of bytes that do not change while the view is used.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// member is one JSON object member kept exactly as received.
type member struct {
	key string
	raw json.RawMessage
}

// docState is what a model remembers about the JSON object it was decoded
// from, so that encoding it again loses nothing. Every resource model embeds
// one and delegates its JSON methods to an objectCodec.
type docState struct {
	// extra holds, in the order received, the members the model does not
	// type, and typed members whose value did not fit the Go type (null, a
	// string where a bool was expected, ...), exactly as received.
	extra []member
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

func (st *docState) raw(key string) (json.RawMessage, bool) {
	for _, m := range st.extra {
		if m.key == key {
			return m.raw, true
		}
	}
	return nil, false
}

// setRaw and deleteRaw copy the list before changing it, so that a
// shallow copy of a model (cp := *in) does not change with the original.
func (st *docState) setRaw(key string, raw json.RawMessage) {
	extra := slices.Clone(st.extra)
	for i := range extra {
		if extra[i].key == key {
			extra[i].raw = raw
			st.extra = extra
			return
		}
	}
	st.extra = append(extra, member{key, raw})
}

func (st *docState) deleteRaw(key string) {
	st.extra = slices.DeleteFunc(slices.Clone(st.extra), func(m member) bool { return m.key == key })
}

// appender is implemented by the types the codec encodes by appending
// (the models, Settings).
type appender interface {
	appendJSON(b []byte) ([]byte, error)
}

// object is implemented by the models whose arrays the codec decodes and
// encodes itself (install steps).
type object interface {
	appender
	json.Unmarshaler
}

// fieldKind selects how the codec reads and writes a typed field.
type fieldKind uint8

const (
	kindOther   fieldKind = iota // through encoding/json
	kindString                   // string kinds, including named ones such as Mode
	kindBool                     // bool
	kindTime                     // time.Time, RFC 3339
	kindStrings                  // []string
	kindObjects                  // []T where *T is an object
	kindPointer                  // *T where *T unmarshals itself (*Settings)
)

// codecField is one typed member of a model.
type codecField struct {
	key    string // JSON member name
	quoted []byte // `"key":`
	index  int    // struct field index
	kind   fieldKind
	// always: emitted even when zero on a value built in code (a decoded
	// value emits it when it was present).
	always bool
}

// objectCodec encodes and decodes one struct type as a JSON object whose
// unknown members survive the round trip. It reads the bytes once: typed
// members are set as they are met, and every other member is kept as a
// slice of one copy of the input. Typed fields are read from the `json`
// tags; the tag `integratorio:"always"` marks a member that a value built
// in code always sends.
type objectCodec struct {
	typ    reflect.Type
	fields []codecField
	index  map[string]int
}

var (
	objectType      = reflect.TypeFor[object]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

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
		f := codecField{key: name, quoted: append(strconv.AppendQuote(nil, name), ':'), index: i}
		f.always = sf.Tag.Get("integratorio") == "always"
		switch ft := sf.Type; {
		case ft.Kind() == reflect.String:
			f.kind = kindString
		case ft.Kind() == reflect.Bool:
			f.kind = kindBool
		case ft == reflect.TypeFor[time.Time]():
			f.kind = kindTime
		case ft == reflect.TypeFor[[]string]():
			f.kind = kindStrings
		case ft.Kind() == reflect.Slice && reflect.PointerTo(ft.Elem()).Implements(objectType):
			f.kind = kindObjects
		case ft.Kind() == reflect.Pointer && ft.Implements(unmarshalerType):
			f.kind = kindPointer
		}
		c.index[name] = len(c.fields)
		c.fields = append(c.fields, f)
	}
	if len(c.fields) > 64 {
		panic("integratorio: internal error: too many typed fields in " + t.Name())
	}
	return c
}

var jsonNull = []byte("null")

// keptSpan locates a member to keep in the input being decoded.
type keptSpan struct {
	key          string // the decoded key; "" for a plain key read in place
	kstart, kend int    // the key's bytes, without quotes
	vstart, vend int    // the value's bytes
	field        int    // typed field index + 1; 0 for an untyped member
}

// name returns the member's name without allocating for plain keys.
func (k *keptSpan) name(data []byte) string {
	if k.key != "" || k.kend == k.kstart {
		return k.key
	}
	return unsafeString(data[k.kstart:k.kend])
}

// dedupe drops the kept spans that a later member of the same name
// replaces, and those of typed fields that ended up set: the last
// occurrence wins, as in encoding/json. It keeps the order received.
func (st *docState) dedupe(data []byte, kept []keptSpan) []keptSpan {
	if len(kept) <= 16 && !st.needsDedupe(data, kept) {
		return kept // the common case: nothing to drop, nothing to allocate
	}
	out := kept[:0:0]
	var seen map[string]bool
	if len(kept) > 16 {
		seen = make(map[string]bool, len(kept))
	}
	for n := len(kept) - 1; n >= 0; n-- {
		k := kept[n]
		if k.field > 0 && st.present&(1<<(k.field-1)) != 0 {
			continue
		}
		name := k.name(data)
		dup := false
		if seen != nil {
			dup = seen[name]
			seen[name] = true
		} else {
			for _, o := range out {
				if o.name(data) == name {
					dup = true
					break
				}
			}
		}
		if !dup {
			out = append(out, k)
		}
	}
	slices.Reverse(out)
	return out
}

// needsDedupe reports whether a short kept list holds a repeated name or a
// typed field that ended up set.
func (st *docState) needsDedupe(data []byte, kept []keptSpan) bool {
	for n := range kept {
		k := &kept[n]
		if k.field > 0 && st.present&(1<<(k.field-1)) != 0 {
			return true
		}
		name := k.name(data)
		for m := range n {
			if kept[m].name(data) == name {
				return true
			}
		}
	}
	return false
}

// keep stores the kept members with one allocation for all their values,
// one for all their plain keys and one for the list, instead of one per
// member.
func (st *docState) keep(data []byte, kept []keptSpan) {
	if len(kept) == 0 {
		return
	}
	kept = st.dedupe(data, kept)
	if len(kept) == 0 {
		return
	}
	vals, keys := 0, 0
	for _, k := range kept {
		vals += k.vend - k.vstart
		if k.key == "" {
			keys += k.kend - k.kstart
		}
	}
	buf := make([]byte, 0, vals)
	var kb strings.Builder
	kb.Grow(keys)
	for _, k := range kept {
		if k.key == "" {
			kb.Write(data[k.kstart:k.kend])
		}
	}
	allKeys := kb.String()
	st.extra = make([]member, len(kept))
	for n, k := range kept {
		start := len(buf)
		buf = append(buf, data[k.vstart:k.vend]...)
		key := k.key
		if key == "" {
			key, allKeys = allKeys[:k.kend-k.kstart], allKeys[k.kend-k.kstart:]
		}
		st.extra[n] = member{key, buf[start:len(buf):len(buf)]}
	}
}

// decode fills the struct v points to, and its state, from data: one JSON
// object, or null. v is reset first.
func (c *objectCodec) decode(data []byte, v any, st *docState) error {
	rv := reflect.ValueOf(v).Elem()
	i := skipSpace(data, 0)
	if i >= len(data) {
		return errUnexpectedEnd
	}
	rv.SetZero()
	switch data[i] {
	case '{':
	case 'n':
		end, err := scanLiteral(data, i, "null")
		if err != nil {
			return err
		}
		if j := skipSpace(data, end); j != len(data) {
			return syntaxErr(data, j, "after top-level value")
		}
		*st = docState{decoded: true, null: true}
		return nil
	default:
		if _, err := skipValue(data, i, 0); err != nil {
			return err
		}
		return &json.UnmarshalTypeError{Value: jsonKind(data[i]), Type: c.typ}
	}
	end, err := c.decodeObject(data, i, rv, st)
	if err != nil {
		return err
	}
	return topLevel(data, end)
}

// decodeObject decodes the object starting at data[i] == '{' into the
// (zeroed) struct rv and its state, and returns the index after the
// object. Kept members are copied out of data.
func (c *objectCodec) decodeObject(data []byte, i int, rv reflect.Value, st *docState) (int, error) {
	*st = docState{decoded: true}
	var spanBuf [16]keptSpan
	kept := spanBuf[:0]
	end, err := scanObject(data, i, 0, func(ks, ke int, plain bool, vs, ve int) error {
		span := keptSpan{kstart: ks, kend: ke, vstart: vs, vend: ve}
		fi, typed := 0, false
		if plain {
			fi, typed = c.index[unsafeString(data[ks:ke])]
		} else {
			var err error
			if span.key, err = unquote(data[ks-1 : ke+1]); err != nil {
				return err
			}
			fi, typed = c.index[span.key]
		}
		if typed {
			// A repeated member replaces what came before, as in
			// encoding/json; keep drops earlier kept copies.
			span.key, span.field = c.fields[fi].key, fi+1
			st.present &^= 1 << fi
			if c.setField(rv, fi, data[vs:ve]) {
				st.present |= 1 << fi
				return nil
			}
		}
		kept = append(kept, span)
		return nil
	})
	if err != nil {
		return 0, err
	}
	st.keep(data, kept)
	return end, nil
}

func jsonKind(c byte) string {
	switch c {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

// setField sets typed field fi from val, a checked JSON value, and reports
// whether the value fit. A value that does not fit leaves the field zero.
func (c *objectCodec) setField(rv reflect.Value, fi int, val []byte) bool {
	f := &c.fields[fi]
	fv := rv.Field(f.index)
	if bytes.Equal(val, jsonNull) {
		fv.SetZero()
		return false
	}
	ok := false
	switch f.kind {
	case kindString:
		var s string
		if s, ok = decodeString(val); ok {
			fv.SetString(s)
		}
	case kindBool:
		switch val[0] {
		case 't':
			fv.SetBool(true)
			ok = true
		case 'f':
			ok = true
		}
	case kindTime:
		ok = fv.Addr().Interface().(*time.Time).UnmarshalJSON(val) == nil
	case kindStrings:
		if val[0] != '[' {
			break
		}
		out := []string{}
		ok = true
		_, err := eachElement(val, 0, func(e []byte) error {
			s, fits := decodeString(e)
			if !fits {
				ok = false
			}
			out = append(out, s)
			return nil
		})
		if ok = ok && err == nil; ok {
			fv.Set(reflect.ValueOf(out))
		}
	case kindObjects:
		if val[0] != '[' {
			break
		}
		n := 0
		_, _ = eachElement(val, 0, func([]byte) error { n++; return nil })
		s := reflect.MakeSlice(fv.Type(), n, n)
		k := 0
		_, err := eachElement(val, 0, func(e []byte) error {
			err := s.Index(k).Addr().Interface().(object).UnmarshalJSON(e)
			k++
			return err
		})
		if ok = err == nil; ok {
			fv.Set(s)
		}
	case kindPointer:
		p := reflect.New(fv.Type().Elem())
		if ok = p.Interface().(json.Unmarshaler).UnmarshalJSON(val) == nil; ok {
			fv.Set(p)
		}
	default:
		ok = json.Unmarshal(val, fv.Addr().Interface()) == nil
	}
	if !ok {
		fv.SetZero()
	}
	return ok
}

// decodeString decodes a JSON string value; ok is false for anything else.
func decodeString(val []byte) (string, bool) {
	if len(val) < 2 || val[0] != '"' {
		return "", false
	}
	end, plain, err := scanString(val, 0)
	if err != nil || end != len(val) {
		return "", false
	}
	if plain {
		return string(val[1 : len(val)-1]), true
	}
	s, err := unquote(val)
	return s, err == nil
}

// unquote decodes a JSON string with escapes or non-ASCII bytes.
func unquote(val []byte) (string, error) {
	var s string
	err := json.Unmarshal(val, &s)
	return s, err
}

// encode returns the struct v points to as a JSON object; see appendJSON.
func (c *objectCodec) encode(v any, st *docState, skip ...string) ([]byte, error) {
	// Room for the kept members plus a guess for the typed ones, so that
	// a large document is not copied over and over as the buffer grows.
	size := 1024
	for _, m := range st.extra {
		size += len(m.key) + len(m.raw) + 4
	}
	return c.appendJSON(make([]byte, 0, size), v, st, skip...)
}

// appendJSON appends the struct v points to as a JSON object. Typed fields
// are written when they were present in the decoded document, when they
// are non-zero, or when they are marked "always" on a value built in code;
// then the kept members, in the order received. Members named in skip are
// left out.
func (c *objectCodec) appendJSON(b []byte, v any, st *docState, skip ...string) ([]byte, error) {
	rv := reflect.ValueOf(v).Elem()
	if st.null && len(st.extra) == 0 && st.present == 0 && exportedZero(rv) {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	first := true
	var emitted uint64
	for i := range c.fields {
		f := &c.fields[i]
		fv := rv.Field(f.index)
		if st.present&(1<<i) == 0 && fv.IsZero() && (!f.always || st.decoded) {
			continue
		}
		if len(skip) > 0 && slices.Contains(skip, f.key) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, f.quoted...)
		var err error
		if b, err = appendField(b, f.kind, fv); err != nil {
			return nil, fmt.Errorf("encoding %q: %w", f.key, err)
		}
		emitted |= 1 << i
	}
	for _, m := range st.extra {
		if i, typed := c.index[m.key]; typed && emitted&(1<<i) != 0 {
			continue // the typed value replaces what was received
		}
		if len(skip) > 0 && slices.Contains(skip, m.key) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, m.key)
		b = append(b, ':')
		b = append(b, m.raw...)
	}
	return append(b, '}'), nil
}

// appendField appends one typed field's value.
func appendField(b []byte, kind fieldKind, fv reflect.Value) ([]byte, error) {
	switch kind {
	case kindString:
		return appendString(b, fv.String()), nil
	case kindBool:
		return strconv.AppendBool(b, fv.Bool()), nil
	case kindTime:
		b = append(b, '"')
		b, err := fv.Interface().(time.Time).AppendText(b)
		return append(b, '"'), err
	case kindStrings:
		if fv.IsNil() {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range fv.Interface().([]string) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	case kindObjects:
		if fv.IsNil() {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i := range fv.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = fv.Index(i).Addr().Interface().(object).appendJSON(b); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case kindPointer:
		if fv.IsNil() {
			return append(b, "null"...), nil
		}
		if a, ok := fv.Interface().(appender); ok {
			return a.appendJSON(b)
		}
	}
	out, err := json.Marshal(fv.Interface())
	return append(b, out...), err
}

// getExtra decodes the member key that the model does not type into v.
func (c *objectCodec) getExtra(st *docState, key string, v any) (bool, error) {
	if _, typed := c.index[key]; typed {
		return false, invalidArgf("%q is a typed field of %s; read the struct field", key, c.typ.Name())
	}
	raw, ok := st.raw(key)
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
	st.setRaw(key, b)
	return nil
}

// deleteExtra removes the untyped member key.
func (c *objectCodec) deleteExtra(st *docState, key string) {
	if _, typed := c.index[key]; !typed {
		st.deleteRaw(key)
	}
}

// extraKeys lists the untyped members, sorted.
func (c *objectCodec) extraKeys(st *docState) []string {
	keys := make([]string, 0, len(st.extra))
	for _, m := range st.extra {
		if _, typed := c.index[m.key]; !typed {
			keys = append(keys, m.key)
		}
	}
	slices.Sort(keys)
	return keys
}

// exportedZero reports whether every exported field of the struct rv is
// zero.
func exportedZero(rv reflect.Value) bool {
	for i := range rv.NumField() {
		if rv.Type().Field(i).IsExported() && !rv.Field(i).IsZero() {
			return false
		}
	}
	return true
}
