package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/itchyny/gojq"
)

// column is one column of a table: a header and the dot path of the value
// in each record.
type column struct {
	header, path string
}

func cols(spec ...string) []column {
	out := make([]column, 0, len(spec)/2)
	for i := 0; i+1 < len(spec); i += 2 {
		out = append(out, column{spec[i], spec[i+1]})
	}
	return out
}

// format returns "json" or "table": -o when given; json with --jq; else
// table on a terminal and json when piped.
func (a *app) format() (string, error) {
	switch a.output {
	case "json":
		return "json", nil
	case "table":
		if a.jq != "" {
			return "", usagef("--jq works on JSON: drop -o table")
		}
		return "table", nil
	case "":
		if a.jq != "" || !a.outTTY() {
			return "json", nil
		}
		return "table", nil
	}
	return "", usagef("-o %q: use json or table", a.output)
}

// emit prints one value: JSON (indented), filtered by --jq, or a table.
func (a *app) emit(v any, columns []column) error {
	f, err := a.format()
	if err != nil {
		return err
	}
	raw, err := toJSON(v)
	if err != nil {
		return err
	}
	if a.jq != "" {
		return a.runJQ(raw)
	}
	if f == "json" {
		var b bytes.Buffer
		if err := json.Indent(&b, raw, "", "  "); err != nil {
			return failf("the answer is not valid JSON: %v", err)
		}
		b.WriteByte('\n')
		_, err := a.io.out.Write(b.Bytes())
		return err
	}
	return writeTable(a.io.out, raw, columns)
}

// toJSON encodes v (a document keeps its members as received).
func toJSON(v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok {
		if len(bytes.TrimSpace(raw)) == 0 {
			return []byte("null"), nil
		}
		return raw, nil
	}
	var b []byte
	var err error
	if m, ok := v.(json.Marshaler); ok {
		// A document's own encoding: its members as received, without
		// encoding/json's second pass over the bytes.
		b, err = m.MarshalJSON()
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil {
		return nil, failf("encoding the answer: %v", err)
	}
	return b, nil
}

// decodeJSON decodes keeping numbers exact.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// runJQ prints the results of --jq on raw: a string raw, anything else as
// JSON.
func (a *app) runJQ(raw []byte) error {
	q, err := gojq.Parse(a.jq)
	if err != nil {
		return usagef("--jq %q: %v", a.jq, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return usagef("--jq %q: %v", a.jq, err)
	}
	in, err := decodeJSON(raw)
	if err != nil {
		return failf("the answer is not valid JSON: %v", err)
	}
	w := bufio.NewWriter(a.io.out)
	iter := code.RunWithContext(a.ctx, in)
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := v.(error); ok {
			if err, ok := err.(*gojq.HaltError); ok && err.Value() == nil {
				break
			}
			_ = w.Flush()
			return failf("--jq: %v", err)
		}
		if s, ok := v.(string); ok {
			w.WriteString(s)
			w.WriteByte('\n')
			continue
		}
		b, err := gojq.Marshal(v)
		if err != nil {
			return failf("--jq: %v", err)
		}
		var ind bytes.Buffer
		if json.Indent(&ind, b, "", "  ") == nil {
			b = ind.Bytes()
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	return w.Flush()
}

// listOut writes a list as it comes: JSON (one array, a record per line),
// or a table flushed every tableBlock rows; with --jq it gathers the list
// and filters it at the end.
type listOut struct {
	a       *app
	format  string
	columns []column
	w       *bufio.Writer
	tw      *tabwriter.Writer
	n       int
	gather  [][]byte // --jq
}

const tableBlock = 500

func (a *app) newList(columns []column) (*listOut, error) {
	f, err := a.format()
	if err != nil {
		return nil, err
	}
	l := &listOut{a: a, format: f, columns: columns, w: bufio.NewWriterSize(a.io.out, 64<<10)}
	if f == "table" {
		l.tw = newTabWriter(l.w)
		writeHeader(l.tw, columns)
	}
	return l, nil
}

// add writes one record.
func (l *listOut) add(v any) error {
	raw, err := toJSON(v)
	if err != nil {
		return err
	}
	l.n++
	switch {
	case l.a.jq != "":
		l.gather = append(l.gather, bytes.Clone(raw))
		return nil
	case l.format == "json":
		if l.n == 1 {
			l.w.WriteString("[\n")
		} else {
			l.w.WriteString(",\n")
		}
		_, err = l.w.Write(raw)
		return err
	}
	if err := writeRow(l.tw, raw, l.columns); err != nil {
		return err
	}
	if l.n%tableBlock == 0 {
		return l.tw.Flush()
	}
	return nil
}

// close ends the list: the array's end, the table's last rows, or the
// --jq results.
func (l *listOut) close() error {
	switch {
	case l.a.jq != "":
		var b bytes.Buffer
		b.WriteByte('[')
		for i, r := range l.gather {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(r)
		}
		b.WriteByte(']')
		l.gather = nil
		return l.a.runJQ(b.Bytes())
	case l.format == "json":
		if l.n == 0 {
			l.w.WriteString("[]\n")
		} else {
			l.w.WriteString("\n]\n")
		}
	default:
		if err := l.tw.Flush(); err != nil {
			return err
		}
	}
	return l.w.Flush()
}

func newTabWriter(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
}

func writeHeader(tw io.Writer, columns []column) {
	h := make([]string, len(columns))
	for i, c := range columns {
		h[i] = c.header
	}
	fmt.Fprintln(tw, strings.Join(h, "\t"))
}

// writeRow writes the columns of one record.
func writeRow(tw io.Writer, raw []byte, columns []column) error {
	v, err := decodeJSON(raw)
	if err != nil {
		return failf("the answer is not valid JSON: %v", err)
	}
	cells := make([]string, len(columns))
	for i, c := range columns {
		cells[i] = cell(lookupPath(v, c.path))
	}
	_, err = fmt.Fprintln(tw, strings.Join(cells, "\t"))
	return err
}

// writeTable prints one value: a record as KEY VALUE lines in its member
// order, an array of records as rows of columns, an array of scalars one
// per line, a scalar as it is.
func writeTable(w io.Writer, raw []byte, columns []column) error {
	raw = bytes.TrimSpace(raw)
	tw := newTabWriter(w)
	switch {
	case len(raw) > 0 && raw[0] == '{':
		members, err := objectMembers(raw)
		if err != nil {
			return failf("the answer is not valid JSON: %v", err)
		}
		for _, m := range members {
			v, err := decodeJSON(m.value)
			if err != nil {
				return failf("the answer is not valid JSON: %v", err)
			}
			fmt.Fprintf(tw, "%s\t%s\n", m.key, cell(v))
		}
	case len(raw) > 0 && raw[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return failf("the answer is not valid JSON: %v", err)
		}
		if len(columns) == 0 {
			for _, it := range items {
				v, err := decodeJSON(it)
				if err != nil {
					return failf("the answer is not valid JSON: %v", err)
				}
				fmt.Fprintln(tw, cell(v))
			}
			break
		}
		writeHeader(tw, columns)
		for _, it := range items {
			if err := writeRow(tw, it, columns); err != nil {
				return err
			}
		}
	default:
		v, err := decodeJSON(raw)
		if err != nil {
			return failf("the answer is not valid JSON: %v", err)
		}
		fmt.Fprintln(tw, cell(v))
	}
	return tw.Flush()
}

// lookupPath returns the value at a dot path of a decoded value.
func lookupPath(v any, path string) any {
	for _, seg := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[seg]
	}
	return v
}

const maxCell = 60

// cell formats a value for a table: text as it is, null as empty, objects
// and arrays as compact JSON, cut to maxCell characters and one line.
func cell(v any) string {
	var s string
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		s = x
	case json.Number:
		s = x.String()
	case bool:
		s = fmt.Sprint(x)
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxCell {
		r := []rune(s)
		s = string(r[:maxCell-1]) + "…"
	}
	return s
}
