// Package recording records HTTP exchanges with the integrator.io API into
// JSON fixture files and replays them in tests.
//
// Record once against a real account (or the fake server of package
// integratoriotest), with secrets redacted:
//
//	rec := recording.NewRecorder(nil) // wraps http.DefaultTransport
//	client, _ := integratorio.NewClient(token,
//		integratorio.WithHTTPClient(&http.Client{Transport: rec}))
//	... use client ...
//	err := rec.Save("testdata/orders.json")
//
// Then replay the file in tests, without a network:
//
//	client := recording.ReplayClient(t, "testdata/orders.json")
//
// A fixture file is a JSON object {"exchanges": [...]}, each exchange a
// request (method, path and query, selected headers, body) and its response
// (status, selected headers, body). It is meant to be read and edited by
// people.
package recording

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
)

// Cassette is the content of a fixture file: exchanges in the order they
// happened.
type Cassette struct {
	// Exchanges are the recorded exchanges, oldest first.
	Exchanges []Exchange `json:"exchanges"`
}

// Exchange is one request and the response it got.
type Exchange struct {
	// Request is what the client sent, redacted.
	Request Request `json:"request"`
	// Response is what the server answered, redacted.
	Response Response `json:"response"`
}

// Request is a recorded request.
type Request struct {
	// Method is the HTTP method.
	Method string `json:"method"`
	// URL is the escaped path and query as sent, e.g.
	// "/v1/integrations?include=name"; it has no scheme or host.
	URL string `json:"url"`
	// Header holds the recorded headers: never Authorization.
	Header http.Header `json:"header,omitempty"`
	// Body is the body when it is JSON.
	Body json.RawMessage `json:"body,omitempty"`
	// BodyText is the body when it is UTF-8 text but not JSON.
	BodyText string `json:"bodyText,omitempty"`
	// BodyBytes is the body when it is not UTF-8 (binary, or text in
	// another encoding), base64-encoded in the file.
	BodyBytes []byte `json:"bodyBase64,omitempty"`
}

// Response is a recorded response.
type Response struct {
	// Status is the HTTP status code; 0 when Error is set.
	Status int `json:"status,omitempty"`
	// Header holds the recorded headers. Links to the recorded host are
	// made host-relative, so that they resolve against any base URL.
	Header http.Header `json:"header,omitempty"`
	// Body is the body when it is JSON.
	Body json.RawMessage `json:"body,omitempty"`
	// BodyText is the body when it is UTF-8 text but not JSON.
	BodyText string `json:"bodyText,omitempty"`
	// BodyBytes is the body when it is not UTF-8 (binary, or text in
	// another encoding), base64-encoded in the file.
	BodyBytes []byte `json:"bodyBase64,omitempty"`
	// Error is the transport error the request failed with instead of a
	// response, e.g. a dropped connection.
	Error string `json:"error,omitempty"`
}

// Load reads a fixture file.
func Load(path string) (*Cassette, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	var c Cassette
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("recording: %s: %w", path, err)
	}
	return &c, nil
}

// Save writes the cassette to path as indented JSON, creating the
// directory if needed. The file is replaced whole: a reader, or a process
// that stops midway, never sees a partial file.
func (c *Cassette) Save(path string) error {
	b, err := c.Marshal()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("recording: %w", err)
	}
	return nil
}

// Marshal encodes the cassette as the fixture file holds it: indented JSON
// ending with a newline.
func (c *Cassette) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	cc := *c
	if cc.Exchanges == nil {
		cc.Exchanges = []Exchange{}
	}
	if err := enc.Encode(cc); err != nil {
		return nil, fmt.Errorf("recording: %w", err)
	}
	return buf.Bytes(), nil
}
