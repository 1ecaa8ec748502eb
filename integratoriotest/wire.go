package integratoriotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// errorDetail is one entry of the API's error envelope.
type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// writeError answers with the API's error envelope
// {"errors":[{"code","message","field"}]}.
func writeError(w http.ResponseWriter, status int, code, field, msg string) {
	writeJSON(w, status, map[string]any{
		"errors": []errorDetail{{Code: code, Message: msg, Field: field}},
	})
}

// apiError is an error answer a handler returns.
type apiError struct {
	status           int
	code, field, msg string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.msg) }

func (e *apiError) write(w http.ResponseWriter) {
	writeError(w, e.status, e.code, e.field, e.msg)
}

func badRequest(code, field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, field: field, msg: fmt.Sprintf(format, args...)}
}

func notFound(model, id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "not_found", msg: fmt.Sprintf("%s %s not found", model, id)}
}

// writeErr answers with err, an *apiError, or 500 for anything else.
func writeErr(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		ae.write(w)
		return
	}
	writeError(w, http.StatusInternalServerError, "internal_error", "", err.Error())
}

// orError adapts a handler that returns its error answer: a non-nil error
// is written with writeErr.
func orError(h func(w http.ResponseWriter, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeErr(w, err)
		}
	}
}

// writeJSON answers status with v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := encodeJSON(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal_error", "", err.Error())
		return
	}
	writeRaw(w, status, b)
}

// writeItems answers 200 with a JSON object holding docs, stored compact
// JSON, as the array member items, and next, when not empty, as
// nextPageURL. The stored documents are copied as they are, not encoded
// again.
func writeItems(w http.ResponseWriter, items string, docs [][]byte, next string) {
	key, _ := encodeJSON(items)
	b := append(append([]byte{'{'}, key...), ':', '[')
	for i, d := range docs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d...)
	}
	b = append(b, ']')
	if next != "" {
		v, _ := encodeJSON(next)
		b = append(append(b, `,"nextPageURL":`...), v...)
	}
	writeRaw(w, http.StatusOK, append(b, '}'))
}

// writeRaw answers status with a body that is already JSON.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeNoContent answers 204 without a body.
func writeNoContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// encodeJSON encodes v compactly, without escaping <, > and &.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// decodeJSON decodes data into v keeping numbers exact (json.Number) and
// refusing trailing data.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// readBody reads the whole request body, at most maxBody bytes.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	defer r.Body.Close()
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, badRequest("invalid_body", "", "reading the request body: %v", err)
	}
	if len(b) > maxBody {
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: "invalid_body", msg: fmt.Sprintf("the request body is larger than %d bytes", maxBody)}
	}
	return b, nil
}

// requestBody returns r's body, checking that it is JSON: a body with a
// content type other than JSON is 415, malformed JSON is 400. An empty
// body is returned as nil.
func requestBody(r *http.Request) ([]byte, error) {
	b, _ := io.ReadAll(r.Body)
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	if !isJSONMediaType(r.Header.Get("Content-Type")) {
		return nil, &apiError{
			status: http.StatusUnsupportedMediaType,
			code:   "unsupported_media_type",
			msg:    fmt.Sprintf("the request body must be JSON (Content-Type: application/json), not %q", r.Header.Get("Content-Type")),
		}
	}
	if !json.Valid(b) {
		return nil, badRequest("invalid_json", "", "the request body is not valid JSON")
	}
	return b, nil
}

// requestObject decodes r's body as a JSON object; an empty body is an
// empty object when allowEmpty, else an error.
func requestObject(r *http.Request, allowEmpty bool) (map[string]any, error) {
	b, err := requestBody(r)
	if err != nil {
		return nil, err
	}
	if b == nil {
		if allowEmpty {
			return map[string]any{}, nil
		}
		return nil, badRequest("invalid_json", "", "the request body must be a JSON object")
	}
	var m map[string]any
	if err := decodeJSON(b, &m); err != nil || m == nil {
		return nil, badRequest("invalid_json", "", "the request body must be a JSON object")
	}
	return m, nil
}

// isJSONMediaType reports whether ct is application/json or a +json type.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// bufferedWriter holds an answer until the server decides to send it or
// drop the connection.
type bufferedWriter struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newBufferedWriter() *bufferedWriter { return &bufferedWriter{header: http.Header{}} }

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(code int) {
	if b.code == 0 {
		b.code = code
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.code == 0 {
		b.code = http.StatusOK
	}
	return b.body.Write(p)
}

func (b *bufferedWriter) status() int {
	if b.code == 0 {
		return http.StatusOK
	}
	return b.code
}

// flush sends the held answer to w.
func (b *bufferedWriter) flush(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	w.WriteHeader(b.status())
	if b.body.Len() > 0 {
		_, _ = w.Write(b.body.Bytes())
	}
}
