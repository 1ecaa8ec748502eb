package integratoriotest_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/integratoriotest"
)

// logToken is the bearer token of the request-log tests: obviously fake,
// and made only of characters a header name or a method may hold.
const logToken = "tok-FAKE-0123456789abcdef"

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// send sends a request with exactly the header names given (not
// canonicalized by the client) and the server's token.
func send(t *testing.T, srv *integratoriotest.Server, method, target, body string, header map[string]string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+target, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	for k, v := range header {
		req.Header[k] = []string{v}
	}
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// holdsToken reports whether s holds tok in any case: header names are
// canonicalized ("X-Tok-Fake-..."), so a case-sensitive search would miss
// a token kept in one.
func holdsToken(s, tok string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(tok))
}

// assertLogHasNoToken checks every part of every logged request, decoded
// where a test would decode it (the path and query unescaped, a JSON body
// parsed), for the token in any case.
func assertLogHasNoToken(t *testing.T, reqs []integratoriotest.Request, tok string) {
	t.Helper()
	raw, err := json.Marshal(reqs)
	require.NoError(t, err)
	assert.False(t, holdsToken(string(raw), tok), "the marshalled log holds the token: %s", raw)
	for i, r := range reqs {
		assert.False(t, holdsToken(r.Method, tok), "request %d: method %q", i, r.Method)
		assert.False(t, holdsToken(r.Path, tok), "request %d: path %q", i, r.Path)
		if p, err := url.PathUnescape(r.Path); err == nil {
			assert.False(t, holdsToken(p, tok), "request %d: unescaped path %q", i, p)
		}
		assert.False(t, holdsToken(r.Query, tok), "request %d: query %q", i, r.Query)
		if q, err := url.ParseQuery(r.Query); err == nil {
			for k, vs := range q {
				assert.False(t, holdsToken(k, tok), "request %d: query parameter name %q", i, k)
				for _, v := range vs {
					assert.False(t, holdsToken(v, tok), "request %d: query parameter %s=%q", i, k, v)
				}
			}
		}
		for k, vs := range r.Header {
			assert.False(t, holdsToken(k, tok), "request %d: header name %q", i, k)
			for _, v := range vs {
				assert.False(t, holdsToken(v, tok), "request %d: header %s: %q", i, k, v)
			}
		}
		assert.False(t, holdsToken(string(r.Body), tok), "request %d: body %q", i, r.Body)
		var v any
		if json.Unmarshal(r.Body, &v) == nil {
			b, _ := json.Marshal(v)
			assert.False(t, holdsToken(strings.ReplaceAll(string(b), `\u0026`, "&"), tok), "request %d: decoded body %s", i, b)
		}
	}
}

// A client that puts the token in a header name (a header named after it,
// or X-<token>) does not get it into the request log: the name is logged
// with REDACTED in the token's place, its value kept.
func TestRequestLogNeverHoldsTheTokenInAHeaderName(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	srv := newServer(t, integratoriotest.WithToken(logToken), integratoriotest.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	send(t, srv, http.MethodGet, "/integrations", "", map[string]string{
		logToken:                         "1",
		"X-" + logToken:                  "2",
		"x-" + strings.ToUpper(logToken): "3",
		"X-" + logToken + "-Suffix":      "4",
		"X-Echo":                         "Bearer " + logToken,
		"X-Plain":                        "kept",
	})
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assertLogHasNoToken(t, reqs, logToken)
	h := reqs[0].Header
	assert.Equal(t, []string{"1"}, h.Values("REDACTED"), "a header named after the token")
	assert.ElementsMatch(t, []string{"2", "3"}, h.Values("X-REDACTED"))
	assert.Equal(t, []string{"4"}, h.Values("X-REDACTED-Suffix"))
	assert.Equal(t, []string{"Bearer REDACTED"}, h.Values("X-Echo"))
	assert.Equal(t, []string{"kept"}, h.Values("X-Plain"), "other headers are kept as sent")
	assert.False(t, holdsToken(logs.String(), logToken), "the server's log holds the token: %s", logs.String())
}

// The token is kept out of every other part of a logged request too, in
// any form a client may write it: percent-escaped in the path or query
// (even letters needlessly escaped, or in lower-case hex), JSON-escaped in
// a body, as the method.
func TestRequestLogNeverHoldsTheTokenInAnyPart(t *testing.T) {
	t.Parallel()
	var logs lockedBuffer
	srv := newServer(t, integratoriotest.WithToken(logToken), integratoriotest.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	escaped := "%74%6f%6b-FAKE-0123456789abcdef" // "tok-FAKE-..." with its first letters escaped
	send(t, srv, http.MethodGet, "/integrations/"+escaped, "", nil)
	send(t, srv, http.MethodGet, "/integrations?include="+escaped+"&"+escaped+"=1", "", nil)
	send(t, srv, http.MethodGet, "/integrations?q="+strings.ToUpper(logToken), "", nil)
	send(t, srv, http.MethodPost, "/integrations", `{"name":"\u0074ok-FAKE-0123456789abcdef","n":1}`, nil)
	send(t, srv, http.MethodPost, "/integrations", `{"\u0074ok-FAKE-0123456789abcdef":"as a member name"}`, nil)
	send(t, srv, http.MethodPost, "/integrations", "plain text "+logToken, nil)
	send(t, srv, logToken, "/integrations", "", nil)
	send(t, srv, http.MethodPost, "/integrations", "a=1&b="+escaped, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	reqs := srv.Requests()
	require.Len(t, reqs, 8)
	assertLogHasNoToken(t, reqs, logToken)
	assert.Equal(t, "/integrations/REDACTED", reqs[0].Path)
	q, err := url.ParseQuery(reqs[1].Query)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"include": {"REDACTED"}, "REDACTED": {"1"}}, q)
	assert.JSONEq(t, `{"name":"REDACTED","n":1}`, string(reqs[3].Body))
	assert.JSONEq(t, `{"REDACTED":"as a member name"}`, string(reqs[4].Body))
	assert.Equal(t, "plain text REDACTED", string(reqs[5].Body))
	assert.Equal(t, "REDACTED", reqs[6].Method)
	form, err := url.ParseQuery(string(reqs[7].Body))
	require.NoError(t, err)
	assert.Equal(t, url.Values{"a": {"1"}, "b": {"REDACTED"}}, form, "a form-encoded body is decoded as a query is")
	assert.False(t, holdsToken(logs.String(), logToken), "the server's log holds the token: %s", logs.String())
}

// A body or query that does not hold the token is logged exactly as sent.
func TestRequestLogKeepsWhatDoesNotHoldTheToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t, integratoriotest.WithToken(logToken))
	const body = "{\"name\" : \"tok-FAKE but not the token\",\n \"n\":1.50}"
	send(t, srv, http.MethodPost, "/integrations?include=name%2Cversion&x=%7E", body, map[string]string{"X-Trace": "t-1"})
	reqs := srv.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, body, string(reqs[0].Body))
	assert.Equal(t, "include=name%2Cversion&x=%7E", reqs[0].Query)
	assert.Equal(t, "/integrations", reqs[0].Path)
	assert.Equal(t, []string{"t-1"}, reqs[0].Header.Values("X-Trace"))
}

// encodedTokenForms are ways a client may write logToken in a header value
// or a body other than as itself: percent-encoded (upper- or lower-case
// hex, every byte or only some, the letters in another case), JSON-escaped
// (\u0074, upper-case hex digits), percent signs themselves JSON-escaped,
// and mixes of these.
func encodedTokenForms(tok string) map[string]string {
	pct := func(s, format string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, format, s[i])
		}
		return b.String()
	}
	uEsc := func(s, format string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, format, r)
		}
		return b.String()
	}
	return map[string]string{
		"percent, upper-case hex":      pct(tok, "%%%02X"),
		"percent, lower-case hex":      pct(tok, "%%%02x"),
		"percent, some bytes":          pct(tok[:3], "%%%02X") + tok[3:8] + pct(tok[8:], "%%%02x"),
		"percent, letters upper-cased": pct(strings.ToUpper(tok), "%%%02X"),
		"raw, letters upper-cased":     strings.ToUpper(tok),
		"JSON escapes":                 uEsc(tok, `\u%04x`),
		"JSON escapes, upper-case hex": uEsc(tok, `\u%04X`),
		"JSON-escaped percent signs":   uEsc(tok[:2], `\u0025%02x`) + tok[2:],
		"mixed":                        uEsc(tok[:1], `\u%04x`) + pct(tok[1:5], "%%%02X") + tok[5:],
	}
}

// A token written in any encoding is kept out of header values and bodies
// (JSON, form-encoded, plain text) of the request log, and the rest of each
// is kept.
func TestRequestLogNeverHoldsAnEncodedTokenInHeaderValuesOrBodies(t *testing.T) {
	t.Parallel()
	for name, form := range encodedTokenForms(logToken) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, integratoriotest.WithToken(logToken))
			send(t, srv, http.MethodGet, "/integrations", "", map[string]string{"X-Echo": "id=" + form + ";x=1"})
			send(t, srv, http.MethodPost, "/integrations", `{"url":"https://h.example/?t=`+form+`","n":1}`, nil)
			send(t, srv, http.MethodPost, "/integrations", "token "+form+" end", map[string]string{"Content-Type": "text/plain"})
			send(t, srv, http.MethodPost, "/integrations", "a=1&b="+form, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
			reqs := srv.Requests()
			require.Len(t, reqs, 4)
			assertLogHasNoToken(t, reqs, logToken)
			assert.Equal(t, []string{"id=REDACTED;x=1"}, reqs[0].Header.Values("X-Echo"))
			assert.JSONEq(t, `{"url":"https://h.example/?t=REDACTED","n":1}`, string(reqs[1].Body))
			assert.Equal(t, "token REDACTED end", string(reqs[2].Body))
			assert.Equal(t, "a=1&b=REDACTED", string(reqs[3].Body))
		})
	}
}

// A Request encodes as an entry of GET /_fake/requests and decodes back,
// whatever its body: none, UTF-8 text, bytes that are not UTF-8.
func TestRequestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, r := range []integratoriotest.Request{
		{Method: "GET", Path: "/integrations", Query: "include=name", Header: http.Header{"X-A": {"1", "2"}}, Status: 200},
		{Method: "POST", Path: "/integrations", Header: http.Header{}, Body: []byte(`{"name":"n"}`), Status: 201},
		{Method: "POST", Path: "/x", Header: http.Header{}, Body: []byte("caf\xe9"), Status: 400, Dropped: true},
		{Method: "PUT", Path: "/y", Header: http.Header{}, Body: []byte{}, Status: 204},
	} {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		var back integratoriotest.Request
		require.NoError(t, json.Unmarshal(b, &back), "%s", b)
		assert.Equal(t, r, back, "%s", b)
	}
	b, err := json.Marshal(integratoriotest.Request{Method: "GET", Body: []byte("caf\xe9")})
	require.NoError(t, err)
	assert.JSONEq(t, `{"method":"GET","path":"","query":"","header":{},"bodyBase64":"Y2Fm6Q==","status":0,"dropped":false}`, string(b))
	b, err = json.Marshal(integratoriotest.Request{Method: "GET", Body: []byte("hi")})
	require.NoError(t, err)
	assert.JSONEq(t, `{"method":"GET","path":"","query":"","header":{},"body":"hi","status":0,"dropped":false}`, string(b))

	srv := newServer(t, integratoriotest.WithControlAPI())
	send(t, srv, http.MethodPost, "/integrations", `{"name":"logged"}`, map[string]string{"Content-Type": "application/json"})
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(srv.URL, integratoriotest.APIPrefix)+integratoriotest.ControlPrefix+"/requests", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var logged []integratoriotest.Request
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&logged))
	assert.Equal(t, srv.Requests(), logged, "the control API's log decodes into what Requests returns")
}

// A request body sent gzip- or deflate-compressed is checked decompressed:
// one that holds the token (in any encoding) is logged redacted and
// compressed again, never in a form that decompresses to the token; one
// that does not is logged as sent.
func TestRequestLogNeverHoldsTheTokenInACompressedBody(t *testing.T) {
	t.Parallel()
	compress := map[string]struct {
		writer func(io.Writer) io.WriteCloser
		reader func(io.Reader) (io.Reader, error)
	}{
		"gzip": {
			func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) },
			func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		},
		"deflate": {
			func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) },
			func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) },
		},
	}
	for encoding, c := range compress {
		for form, tok := range map[string]string{"raw": logToken, "percent": url.PathEscape(logToken[:3]) + "%2D" + logToken[4:]} {
			t.Run(encoding+", "+form, func(t *testing.T) {
				t.Parallel()
				srv := newServer(t, integratoriotest.WithToken(logToken))
				pack := func(s string) string {
					var b bytes.Buffer
					w := c.writer(&b)
					_, err := w.Write([]byte(s))
					require.NoError(t, err)
					require.NoError(t, w.Close())
					return b.String()
				}
				header := map[string]string{"Content-Type": "application/json", "Content-Encoding": encoding}
				send(t, srv, http.MethodPost, "/integrations", pack(`{"name":"n `+tok+`","n":1}`), header)
				clean := pack(`{"name":"clean"}`)
				send(t, srv, http.MethodPost, "/integrations", clean, header)
				reqs := srv.Requests()
				require.Len(t, reqs, 2)
				r, err := c.reader(bytes.NewReader(reqs[0].Body))
				require.NoError(t, err, "the logged body is still %s", encoding)
				plain, err := io.ReadAll(r)
				require.NoError(t, err)
				assert.JSONEq(t, `{"name":"n REDACTED","n":1}`, string(plain))
				assert.Equal(t, []byte(clean), reqs[1].Body, "a body without the token is logged as sent")
				assertLogHasNoToken(t, reqs, logToken)
			})
		}
	}
}
