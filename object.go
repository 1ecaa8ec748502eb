package integratorio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
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

// unsafeBytes views s as bytes without copying; they must not be changed.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// member is one JSON object member kept exactly as received.
//
// key is the member's name itself when appendString would write the name
// unchanged between quotes. Otherwise key is the name's JSON string,
// quotes included, exactly as received (or as appendString writes it, for
// a member added in code), so that a name with escapes, a lone surrogate
// or invalid UTF-8 is written back byte for byte. The two forms cannot be
// confused: a name written as is never holds a '"'.
type member struct {
	key string
	raw json.RawMessage
}

// quotedKey reports whether key is a member key in its JSON string form.
func quotedKey(key string) bool { return len(key) > 0 && key[0] == '"' }

// memberKey returns the key of a member named name added in code.
func memberKey(name string) string {
	if needsEscape(name) {
		return string(appendString(nil, name))
	}
	return name
}

// name returns the member's name.
func (m *member) name() string {
	if !quotedKey(m.key) {
		return m.key
	}
	s, _, err := unquote(unsafeBytes(m.key))
	if err != nil {
		return m.key // cannot happen: the key was checked when kept
	}
	return s
}

// is reports whether the member is named name. A name that appendString
// does not write as is also matches the member it names once written (so
// "\xff", written as "\ufffd", finds the member SetExtra("\xff", ...)
// added).
func (m *member) is(name string) bool {
	if !quotedKey(m.key) {
		return m.key == name
	}
	return m.name() == name || m.key == string(appendString(nil, name))
}

// appendKey appends the member's name as a JSON string.
func appendKey(b []byte, key string) []byte {
	if quotedKey(key) {
		return append(b, key...)
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"')
}

// docState is what a model remembers about the JSON object it was decoded
// from, so that encoding it again loses nothing. Every resource model embeds
// one and delegates its JSON methods to an objectCodec.
//
// Encoding writes an unchanged document back byte for byte (but for the
// white space between members): the members in the order received, each
// name as received, every kept value as received, and every typed value
// as received too. A typed value is written by encoding the field, so the
// bytes received are kept only where that encoding would differ from them
// (an escape, "a<b", "...05.000Z"); they are written while the field still
// holds the value decoded from them.
type docState struct {
	// extra holds, in the order received, the members the model does not
	// type; the typed members whose value did not fit the Go type (null, a
	// string where a bool was expected, ...), exactly as received; and the
	// typed members whose name or value is written back as received
	// ("slots": the field's value fit, its present bit is set, and raw is
	// the value as received, or nil when the field's encoding is the
	// same). Members added in code follow.
	extra []member
	// layout, when not empty, is the order of the received members: each
	// byte is a typed field's index, or layoutKept for the next member of
	// extra. When layout and order are both empty, the order is the one
	// appendJSON writes by default: the typed fields in struct order, then
	// extra.
	layout string
	// order is layout for an object without kept members, packed: the
	// count in the top four bits, then six bits per typed field from the
	// lowest.
	order uint64
	// present has bit i set when typed field i of the codec was in the
	// decoded object.
	present uint64
	// typedKept has bit i set when extra holds a member named as typed
	// field i (one whose value did not fit, or a slot); when it is 0, no
	// kept member needs looking up among the typed fields.
	typedKept uint64
	// decoded is true when the value came from JSON rather than from code.
	decoded bool
	// partial is true when the value came from a projected list
	// (include/exclude) and so lacks members the server holds.
	partial bool
	// null is true when the value was decoded from JSON null (an element
	// of an array of objects); it encodes as null again until changed.
	null bool
}

// layoutKept marks, in docState.layout, the place of the next kept member.
const layoutKept = 0xFF

// orderMax is how many typed fields docState.order holds.
const orderMax = 10

func (st *docState) find(name string) int {
	for i := range st.extra {
		if st.extra[i].is(name) {
			return i
		}
	}
	return -1
}

func (st *docState) raw(key string) (json.RawMessage, bool) {
	if i := st.find(key); i >= 0 {
		return st.extra[i].raw, true
	}
	return nil, false
}

// setRaw and deleteRaw copy the list before changing it, so that a
// shallow copy of a model (cp := *in) does not change with the original.
// A member that exists keeps its place and its name as received.
func (st *docState) setRaw(key string, raw json.RawMessage) {
	extra := slices.Clone(st.extra)
	if i := st.find(key); i >= 0 {
		extra[i].raw = raw
		st.extra = extra
		return
	}
	st.extra = append(extra, member{memberKey(key), raw})
}

func (st *docState) deleteRaw(key string) {
	for i := st.find(key); i >= 0; i = st.find(key) {
		st.extra = slices.Delete(slices.Clone(st.extra), i, i+1)
		st.layout = dropKept(st.layout, i)
	}
}

// dropKept removes from layout the place of kept member i.
func dropKept(layout string, i int) string {
	for j := 0; j < len(layout); j++ {
		if layout[j] != layoutKept {
			continue
		}
		if i == 0 {
			return layout[:j] + layout[j+1:]
		}
		i--
	}
	return layout // a member added in code has no place in layout
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
	kindInt                      // signed integer kinds
	kindUint                     // unsigned integer kinds
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
	// verbatim: the field's decoder keeps the value as received itself
	// (*Settings), so the codec need not.
	verbatim bool
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
	appenderType    = reflect.TypeFor[appender]()
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
		if needsEscape(name) || name == "" {
			panic("integratorio: internal error: member name " + strconv.Quote(name) + " of " + t.Name())
		}
		f := codecField{key: name, quoted: append(strconv.AppendQuote(nil, name), ':'), index: i}
		f.always = sf.Tag.Get("integratorio") == "always"
		switch ft := sf.Type; {
		case ft.Kind() == reflect.String:
			f.kind = kindString
		case ft.Kind() == reflect.Bool:
			f.kind = kindBool
		case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Int64:
			f.kind = kindInt
		case ft.Kind() >= reflect.Uint && ft.Kind() <= reflect.Uint64:
			f.kind = kindUint
		case ft == reflect.TypeFor[time.Time]():
			f.kind = kindTime
		case ft == reflect.TypeFor[[]string]():
			f.kind = kindStrings
		case ft.Kind() == reflect.Slice && reflect.PointerTo(ft.Elem()).Implements(objectType):
			f.kind = kindObjects
			f.verbatim = true // each element keeps what it received
		case ft.Kind() == reflect.Pointer && ft.Implements(unmarshalerType):
			f.kind = kindPointer
			f.verbatim = ft.Implements(appenderType)
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
	key          string // the decoded name; "" for a plain name read in place
	kstart, kend int    // the name's bytes, without quotes
	vstart, vend int    // the value's bytes
	pos          int32  // the member's place in the object
	field        int32  // typed field index + 1; 0 for an untyped member
	// quoted: the key is kept in its JSON string form, as received.
	quoted bool
	// slot: a typed member whose value fit, kept for its name or value as
	// received (see docState.extra).
	slot bool
	// value: the value's bytes are kept (always, but for a slot whose
	// value encodes as received).
	value bool
}

// name returns the member's name without allocating for plain keys.
func (k *keptSpan) name(data []byte) string {
	if k.key != "" || k.kend == k.kstart {
		return k.key
	}
	return unsafeString(data[k.kstart:k.kend])
}

// objectScan is what decodeObject gathers about the members of one object.
type objectScan struct {
	// at[i] is the place of the member that set typed field i.
	at [64]int32
	// n counts the members; last is the latest typed field set.
	n, last int32
	// ordered: the members may not be in the order appendJSON writes by
	// default, so their order is to be recorded.
	ordered bool
}

// superseded reports whether kept span k is to be dropped: a typed member
// that did not fit when a later one set the field, or a slot that a later
// member of the same name replaced.
func (sc *objectScan) superseded(k *keptSpan, present uint64) bool {
	if k.field == 0 {
		return false
	}
	set := present&(1<<(k.field-1)) != 0
	if k.slot {
		return !set || sc.at[k.field-1] != k.pos
	}
	return set
}

// dedupe drops the kept spans that a later member of the same name
// replaces: the last occurrence wins, as in encoding/json. It keeps the
// order received.
func (sc *objectScan) dedupe(data []byte, kept []keptSpan, present uint64) []keptSpan {
	if len(kept) <= 16 && !sc.needsDedupe(data, kept, present) {
		return kept // the common case: nothing to drop, nothing to allocate
	}
	// The survivors are moved, in order, to the end of kept, which the
	// loop has read past.
	w := len(kept)
	var seen map[string]bool
	if len(kept) > 16 {
		seen = make(map[string]bool, len(kept))
	}
	for n := len(kept) - 1; n >= 0; n-- {
		k := &kept[n]
		if sc.superseded(k, present) {
			continue
		}
		name := k.name(data)
		dup := false
		if seen != nil {
			dup = seen[name]
			seen[name] = true
		} else {
			for o := range kept[w:] {
				if kept[w+o].name(data) == name {
					dup = true
					break
				}
			}
		}
		if !dup {
			w--
			kept[w] = *k
		}
	}
	return kept[w:]
}

// needsDedupe reports whether a short kept list holds a repeated name or a
// superseded span.
func (sc *objectScan) needsDedupe(data []byte, kept []keptSpan, present uint64) bool {
	for n := range kept {
		k := &kept[n]
		if sc.superseded(k, present) {
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

// typedOrder returns, in the order received, the indexes of the typed
// fields set in place (not through a slot), and whether they and kept are
// in the order appendJSON writes by default.
func (sc *objectScan) typedOrder(buf *[64]uint8, present uint64, kept []keptSpan) (typed []uint8, inOrder bool) {
	slots := uint64(0)
	for i := range kept {
		if kept[i].slot {
			slots |= 1 << (kept[i].field - 1)
		}
	}
	typed = buf[:0]
	for set := present &^ slots; set != 0; set &= set - 1 {
		fi := uint8(bits.TrailingZeros64(set))
		j := len(typed)
		typed = append(typed, fi)
		for ; j > 0 && sc.at[typed[j-1]] > sc.at[fi]; j-- {
			typed[j] = typed[j-1]
		}
		typed[j] = fi
	}
	inOrder = slots == 0
	for j := 1; inOrder && j < len(typed); j++ {
		inOrder = typed[j-1] < typed[j]
	}
	if inOrder && len(typed) > 0 && len(kept) > 0 {
		inOrder = sc.at[typed[len(typed)-1]] < kept[0].pos
	}
	return typed, inOrder
}

// keep stores the kept members, and their order when it is to be
// recorded, with one allocation for all their values, one for all their
// keys and the layout, and one for the list, instead of one per member.
func (st *docState) keep(data []byte, kept []keptSpan, sc *objectScan) {
	if len(kept) > 0 {
		kept = sc.dedupe(data, kept, st.present)
	}
	var typedBuf [64]uint8
	var typed []uint8
	if sc.ordered {
		var inOrder bool
		typed, inOrder = sc.typedOrder(&typedBuf, st.present, kept)
		if inOrder {
			typed = nil
		} else if len(kept) == 0 && len(typed) <= orderMax {
			st.order = uint64(len(typed)) << 60
			for j, fi := range typed {
				st.order |= uint64(fi) << (6 * j)
			}
			typed = nil
		}
	}
	layoutLen := 0
	if typed != nil {
		layoutLen = len(typed) + len(kept)
	}
	if len(kept) == 0 && layoutLen == 0 {
		return
	}
	vals, keys := 0, 0
	for i := range kept {
		k := &kept[i]
		if k.value {
			vals += k.vend - k.vstart
		}
		switch {
		case k.quoted:
			keys += k.kend - k.kstart + 2
		case k.key == "":
			keys += k.kend - k.kstart
		}
	}
	var kb strings.Builder
	kb.Grow(keys + layoutLen)
	for i := range kept {
		switch k := &kept[i]; {
		case k.quoted:
			kb.Write(data[k.kstart-1 : k.kend+1])
		case k.key == "":
			kb.Write(data[k.kstart:k.kend])
		}
	}
	if layoutLen > 0 {
		// Merge the typed fields set in place with the kept members, by
		// their places.
		j := 0
		for i := range kept {
			for ; j < len(typed) && sc.at[typed[j]] < kept[i].pos; j++ {
				kb.WriteByte(typed[j])
			}
			kb.WriteByte(layoutKept)
		}
		for ; j < len(typed); j++ {
			kb.WriteByte(typed[j])
		}
	}
	allKeys := kb.String()
	st.layout = allKeys[keys:]
	if len(kept) == 0 {
		return
	}
	buf := make([]byte, 0, vals)
	st.extra = make([]member, len(kept))
	for n := range kept {
		k := &kept[n]
		if k.field > 0 {
			st.typedKept |= 1 << (k.field - 1)
		}
		key := k.key
		switch l := k.kend - k.kstart; {
		case k.quoted:
			key, allKeys = allKeys[:l+2], allKeys[l+2:]
		case k.key == "":
			key, allKeys = allKeys[:l], allKeys[l:]
		}
		var raw json.RawMessage
		if k.value {
			start := len(buf)
			buf = append(buf, data[k.vstart:k.vend]...)
			raw = buf[start:len(buf):len(buf)]
		}
		st.extra[n] = member{key, raw}
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
	sc := objectScan{last: -1}
	end, err := scanObject(data, i, 0, func(ks, ke int, plain bool, vs, ve int) error {
		span := keptSpan{kstart: ks, kend: ke, vstart: vs, vend: ve, pos: sc.n, value: true}
		sc.n++
		var name string
		if plain {
			name = unsafeString(data[ks:ke])
		} else {
			var err error
			if span.key, _, err = unquote(data[ks-1 : ke+1]); err != nil {
				return err
			}
			name, span.quoted = span.key, true
		}
		fi, typed := c.index[name]
		if !typed {
			span.quoted = span.quoted || needsEscape(name)
			kept = append(kept, span)
			return nil
		}
		// A repeated member replaces what came before, as in
		// encoding/json; keep drops earlier kept copies.
		span.field = int32(fi + 1)
		if plain {
			span.key = c.fields[fi].key
		}
		st.present &^= 1 << fi
		fits, same := c.setField(rv, fi, data[vs:ve])
		if !fits {
			kept = append(kept, span)
			return nil
		}
		st.present |= 1 << fi
		sc.at[fi] = span.pos
		switch {
		case !same || span.quoted:
			span.slot, span.value = true, !same
			kept = append(kept, span)
			sc.ordered = true
		case int32(fi) <= sc.last || len(kept) > 0:
			sc.ordered = true
		}
		sc.last = int32(fi)
		return nil
	})
	if err != nil {
		return 0, err
	}
	st.keep(data, kept, &sc)
	return end, nil
}

// jsonKind names the kind of the JSON value starting with c.
func jsonKind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// describeJSON describes the JSON text raw without quoting any of it: its
// kind and size, or where it stops being JSON.
func describeJSON(raw []byte) string {
	i := skipSpace(raw, 0)
	if i == len(raw) {
		return "empty"
	}
	end, err := skipValue(raw, i, 0)
	if err == nil {
		err = topLevel(raw, end)
	}
	if err != nil {
		return fmt.Sprintf("not valid JSON (%d bytes; %v)", len(raw), err)
	}
	return fmt.Sprintf("a JSON %s (%d bytes)", jsonKind(raw[i]), len(raw))
}

// setField sets typed field fi from val, a checked JSON value, and reports
// whether the value fit, and whether the field encodes as val (same). A
// value that does not fit leaves the field zero.
func (c *objectCodec) setField(rv reflect.Value, fi int, val []byte) (fits, same bool) {
	f := &c.fields[fi]
	return f.set(rv.Field(f.index), val)
}

// set sets fv, a field of kind f.kind, from val, as setField does.
func (f *codecField) set(fv reflect.Value, val []byte) (ok, same bool) {
	if bytes.Equal(val, jsonNull) {
		fv.SetZero()
		return false, false
	}
	same = f.verbatim
	switch f.kind {
	case kindString:
		var s string
		if s, same, ok = decodeString(val); ok {
			fv.SetString(s)
		}
	case kindBool:
		switch val[0] {
		case 't':
			fv.SetBool(true)
			ok, same = true, true
		case 'f':
			ok, same = true, true
		}
	case kindInt:
		if n, err := strconv.ParseInt(unsafeString(val), 10, fv.Type().Bits()); err == nil {
			fv.SetInt(n)
			var buf [24]byte
			ok, same = true, string(strconv.AppendInt(buf[:0], n, 10)) == string(val)
		}
	case kindUint:
		if n, err := strconv.ParseUint(unsafeString(val), 10, fv.Type().Bits()); err == nil {
			fv.SetUint(n)
			var buf [24]byte
			ok, same = true, string(strconv.AppendUint(buf[:0], n, 10)) == string(val)
		}
	case kindTime:
		t := fv.Addr().Interface().(*time.Time)
		if ok = t.UnmarshalJSON(val) == nil; ok {
			same = canonicalTime(val) || sameTimeText(*t, val)
		}
	case kindStrings:
		if val[0] != '[' {
			break
		}
		out := []string{}
		ok, same = true, true
		_, err := eachElement(val, 0, func(e []byte) error {
			s, canonical, fits := decodeString(e)
			ok = ok && fits
			same = same && canonical
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
		if ok = json.Unmarshal(val, fv.Addr().Interface()) == nil; ok {
			enc, err := json.Marshal(fv.Interface())
			same = err == nil && bytes.Equal(enc, val)
		}
	}
	if !ok {
		fv.SetZero()
		same = false
	}
	return ok, same
}

// canonicalTime reports, for the JSON string val that time.Time decoded,
// whether it has the form AppendText writes, which most times received
// have: "2006-01-02T15:04:05Z", with a fraction of up to nine digits not
// ending in 0, and "Z" or an offset other than "+00:00" within ±23:59
// (time.Time decodes "+24:00" but cannot encode it). It is cheaper than
// formatting the time; false sends the caller to sameTimeText.
func canonicalTime(val []byte) bool {
	const date = `"0000-00-00T00:00:00`
	if len(val) < len(date)+2 {
		return false
	}
	for i := 1; i < len(date); i++ {
		if c := val[i]; date[i] == '0' && !isDigit(c) || date[i] != '0' && c != date[i] {
			return false
		}
	}
	rest := val[len(date) : len(val)-1]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 || n > 10 || rest[n-1] == '0' {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case len(rest) == 1:
		return rest[0] == 'Z'
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		hh, mm := string(rest[1:3]), string(rest[4:6])
		return isDigit(rest[1]) && isDigit(rest[2]) && isDigit(rest[4]) && isDigit(rest[5]) &&
			hh <= "23" && mm <= "59" && hh+mm != "0000"
	}
	return false
}

// sameTimeText reports whether t, decoded from the JSON string val,
// encodes as val.
func sameTimeText(t time.Time, val []byte) bool {
	var buf [64]byte
	enc, err := t.AppendText(append(buf[:0], '"'))
	return err == nil && bytes.Equal(append(enc, '"'), val)
}

// unchanged reports whether fv still holds the value decoded from orig,
// the bytes received for it, so that they can be written back instead of
// its encoding: whether decoding orig again gives a value with the same
// encoding.
func (f *codecField) unchanged(fv reflect.Value, orig []byte) bool {
	switch f.kind {
	case kindString:
		var buf [256]byte
		s, _, err := appendUnquoted(buf[:0], orig)
		return err == nil && string(s) == fv.String()
	case kindTime:
		// The same instant at the same offset: the same RFC 3339 text.
		var was time.Time
		if was.UnmarshalJSON(orig) != nil {
			return false
		}
		now := fv.Interface().(time.Time)
		_, a := was.Zone()
		_, b := now.Zone()
		return was.Equal(now) && a == b
	}
	was := reflect.New(fv.Type()).Elem()
	if ok, _ := f.set(was, orig); !ok {
		return false
	}
	switch f.kind {
	case kindStrings:
		return slices.Equal(was.Interface().([]string), fv.Interface().([]string))
	}
	a, errA := appendField(nil, f.kind, was)
	b, errB := appendField(nil, f.kind, fv)
	return errA == nil && errB == nil && bytes.Equal(a, b)
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

// objectWriter appends one object's members.
type objectWriter struct {
	c     *objectCodec
	rv    reflect.Value
	st    *docState
	skip  []string
	b     []byte
	first bool
	// written has bit i set once typed field i has been dealt with.
	written uint64
}

func (w *objectWriter) skipped(name string) bool {
	return len(w.skip) > 0 && slices.Contains(w.skip, name)
}

func (w *objectWriter) comma() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
}

// typed appends typed field i, named key ("" for the field's own name),
// writing orig, the bytes received for it, while it holds the value
// decoded from them.
func (w *objectWriter) typed(i int, key string, orig []byte) error {
	f := &w.c.fields[i]
	w.written |= 1 << i
	if w.skipped(f.key) {
		return nil
	}
	w.comma()
	if key == "" {
		w.b = append(w.b, f.quoted...)
	} else {
		w.b = append(appendKey(w.b, key), ':')
	}
	fv := w.rv.Field(f.index)
	if orig != nil && f.unchanged(fv, orig) {
		w.b = append(w.b, orig...)
		return nil
	}
	var err error
	if w.b, err = appendField(w.b, f.kind, fv); err != nil {
		return fmt.Errorf("encoding %q: %w", f.key, err)
	}
	return nil
}

// kept appends member m of the kept list.
func (w *objectWriter) kept(m *member) error {
	if w.st.typedKept != 0 || len(w.skip) > 0 {
		name := m.name()
		if i, typed := w.c.index[name]; typed && w.st.typedKept != 0 {
			if w.st.present&(1<<i) != 0 {
				return w.typed(i, m.key, m.raw) // a slot
			}
			if !w.rv.Field(w.c.fields[i].index).IsZero() {
				return w.typed(i, m.key, nil) // set since: replaces the value that did not fit
			}
		}
		if w.skipped(name) {
			return nil
		}
	}
	w.comma()
	w.b = append(appendKey(w.b, m.key), ':')
	w.b = append(w.b, m.raw...)
	return nil
}

// appendJSON appends the struct v points to as a JSON object. A value
// built in code writes its typed fields that are non-zero or marked
// "always", in struct order, then the members added with setExtra. A
// decoded value writes the members received, in the order received (typed
// fields included, zero or not), then the members added since: those added
// with setExtra, then the typed fields set to a non-zero value. Members
// named in skip are left out.
func (c *objectCodec) appendJSON(b []byte, v any, st *docState, skip ...string) ([]byte, error) {
	rv := reflect.ValueOf(v).Elem()
	if st.null && len(st.extra) == 0 && st.present == 0 && exportedZero(rv) {
		return append(b, "null"...), nil
	}
	w := objectWriter{c: c, rv: rv, st: st, skip: skip, b: append(b, '{'), first: true}
	if !st.decoded {
		for i := range c.fields {
			if f := &c.fields[i]; f.always || !rv.Field(f.index).IsZero() {
				if err := w.typed(i, "", nil); err != nil {
					return nil, err
				}
			}
		}
		for k := range st.extra {
			if err := w.kept(&st.extra[k]); err != nil {
				return nil, err
			}
		}
		return append(w.b, '}'), nil
	}
	var orderBuf [orderMax]byte
	layout := unsafeBytes(st.layout)
	if st.order != 0 {
		layout = orderBuf[:st.order>>60]
		for j := range layout {
			layout[j] = byte(st.order>>(6*j)) & 0x3F
		}
	}
	next := 0 // the next kept member
	if len(layout) == 0 {
		for set := st.present; set != 0; set &= set - 1 {
			if err := w.typed(bits.TrailingZeros64(set), "", nil); err != nil {
				return nil, err
			}
		}
	}
	for _, e := range layout {
		var err error
		if e == layoutKept {
			if next < len(st.extra) {
				err = w.kept(&st.extra[next])
				next++
			}
		} else {
			err = w.typed(int(e), "", nil)
		}
		if err != nil {
			return nil, err
		}
	}
	for ; next < len(st.extra); next++ {
		if err := w.kept(&st.extra[next]); err != nil {
			return nil, err
		}
	}
	for i := range c.fields {
		if w.written&(1<<i) == 0 && st.present&(1<<i) == 0 && !rv.Field(c.fields[i].index).IsZero() {
			if err := w.typed(i, "", nil); err != nil {
				return nil, err
			}
		}
	}
	return append(w.b, '}'), nil
}

// appendField appends one typed field's value.
func appendField(b []byte, kind fieldKind, fv reflect.Value) ([]byte, error) {
	switch kind {
	case kindString:
		return appendString(b, fv.String()), nil
	case kindBool:
		return strconv.AppendBool(b, fv.Bool()), nil
	case kindInt:
		return strconv.AppendInt(b, fv.Int(), 10), nil
	case kindUint:
		return strconv.AppendUint(b, fv.Uint(), 10), nil
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

// memberError is an error decoding a member's value into a caller's
// variable. Its message says what failed without quoting the value: a
// document may carry secrets the SDK cannot recognise, and an error from
// encoding/json or from an UnmarshalJSON method may quote its input. The
// original error is still reachable with errors.As.
type memberError struct {
	msg string
	err error
}

func (e *memberError) Error() string { return e.msg }
func (e *memberError) Unwrap() error { return e.err }

// decodeMember decodes raw, the value of what (a member, for the
// message), into v with encoding/json.
func decodeMember(what string, raw []byte, v any) error {
	err := json.Unmarshal(raw, v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var argErr *json.InvalidUnmarshalError
	var msg string
	switch {
	case errors.As(err, &argErr):
		msg = argErr.Error() // names only the Go type
	case errors.As(err, &typeErr):
		// Value is a JSON kind, or for a number "number " and its text.
		kind, _, _ := strings.Cut(typeErr.Value, " ")
		msg = fmt.Sprintf("cannot decode a JSON %s into Go type %v", kind, typeErr.Type)
		if typeErr.Field != "" { // a path of struct fields, from the caller's type
			msg += fmt.Sprintf(" (field %s.%s)", typeErr.Struct, typeErr.Field)
		}
		msg += fmt.Sprintf(", at offset %d of %s", typeErr.Offset, describeJSON(raw))
	case errors.As(err, &syntaxErr):
		msg = fmt.Sprintf("invalid JSON at offset %d", syntaxErr.Offset)
	default:
		msg = fmt.Sprintf("%s does not decode into %T (%T)", describeJSON(raw), v, err)
	}
	return &memberError{msg: "integratorio: decoding " + what + ": " + msg, err: err}
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
	return true, decodeMember(fmt.Sprintf("%s member %q", c.typ.Name(), key), raw, v)
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
	for i := range st.extra {
		name := st.extra[i].name()
		if _, typed := c.index[name]; !typed {
			keys = append(keys, name)
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

// received reports whether the typed member key was in the decoded object
// with a value of its Go type (a mistyped or null value is kept among the
// extra members instead).
func (c *objectCodec) received(st *docState, key string) bool {
	i, ok := c.index[key]
	return ok && st.present&(1<<i) != 0
}
