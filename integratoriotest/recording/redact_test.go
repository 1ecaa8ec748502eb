package recording_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio/integratoriotest/recording"
)

// recordRaw records one request to a server answering with h and returns
// the fixture file's text and the recorded cassette.
func recordRaw(t *testing.T, h http.HandlerFunc, method, target, body string, opts ...recording.RecorderOption) (string, *recording.Cassette) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	rec := recording.NewRecorder(srv.Client().Transport, opts...)
	hc := &http.Client{Transport: rec, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+target, r)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	cas := rec.Cassette()
	b, err := cas.Marshal()
	require.NoError(t, err)
	assert.NotContains(t, string(b), token)
	return string(b), cas
}

// answer returns a handler writing body with the given headers.
func answer(body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		_, _ = io.WriteString(w, body)
	}
}

func TestRecorderRedactsSecretsInEveryPlace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, secret string
		placeholder  string // what replaces the secret; "REDACTED" when empty
		h            http.HandlerFunc
		target, body string
		opts         []recording.RecorderOption
	}{
		{name: "query parameter in a Location header", secret: "s3cr3t-shortval",
			h: answer("", "Location", "https://files.example.com/dl?access_token=s3cr3t-shortval")},
		{name: "query parameter in a Link header", secret: "s3cr3t-linkval",
			h: answer("", "Link", `<https://files.example.com/p2?sig=1&api_key=s3cr3t-linkval>; rel="next"`)},
		{name: "query that does not parse", secret: "s3cr3t-shortval", h: answer(""),
			target: "/v1/x?access_token=s3cr3t-shortval&filter=a;b"},
		{name: "hex token inside a word", secret: "0123456789abcdef0123456789abcdef",
			h: answer(`{"value":"shpat_0123456789abcdef0123456789abcdef"}`)},
		{name: "Basic credential in a name/value header pair", secret: "dXNlcjpodW50ZXIy",
			h: answer(`{"http":{"headers":[{"name":"Authorization","value":"Basic dXNlcjpodW50ZXIy"}]}}`)},
		{name: "api key in a name/value header pair", secret: "k-live-42",
			h: answer(`{"http":{"headers":[{"name":"x-api-key","value":"k-live-42"}]}}`)},
		{name: "RedactValues value held as a number", secret: "987654321", placeholder: `"accountPin": 0`,
			h: answer(`{"accountPin":987654321}`), opts: []recording.RecorderOption{recording.RedactValues("987654321")}},
		{name: "hyphenated member name", secret: "pk-value-1", h: answer(`{"private-key":"pk-value-1"}`)},
		{name: "hyphenated query name", secret: "k-value-1", h: answer(""), target: "/v1/x?api-key=k-value-1"},
		{name: "secret-named member holding a number", secret: "4242", placeholder: `"password": 0`, h: answer(`{"password":4242}`)},
		{name: "secret-named member holding an object", secret: "inner-pass",
			h: answer(`{"credentials":{"user":"u","pass":"inner-pass"}}`)},
		{name: "JSON body after a byte-order mark", secret: "hunter2", h: answer("\ufeff{\"password\":\"hunter2\"}")},
		{name: "newline-delimited JSON", secret: "hunter3", h: answer("{\"a\":1}\n{\"password\":\"hunter3\"}\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target := tc.target
			if target == "" {
				target = "/v1/x"
			}
			file, _ := recordRaw(t, tc.h, "GET", target, tc.body, tc.opts...)
			assert.NotContains(t, file, tc.secret)
			want := tc.placeholder
			if want == "" {
				want = recording.Redacted
			}
			assert.Contains(t, file, want)
		})
	}
}

func TestRecorderRedactsCookiesEchoedByTheServer(t *testing.T) {
	t.Parallel()
	const secret = "sess-cookie-value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie("sid")
		if err == nil {
			_, _ = io.WriteString(w, `{"echo":"`+c.Value+`"}`)
		}
	}))
	defer srv.Close()
	rec := recording.NewRecorder(srv.Client().Transport)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/x", nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: "sid", Value: secret})
	resp, err := (&http.Client{Transport: rec}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	b, err := rec.Cassette().Marshal()
	require.NoError(t, err)
	assert.NotContains(t, string(b), secret)
	assert.Contains(t, string(b), `"echo": "REDACTED"`)
}

func TestRecorderKeepsContentThatEqualsAShortCookie(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(answer(`{"name":"integration","lang":"en"}`))
	defer srv.Close()
	rec := recording.NewRecorder(srv.Client().Transport)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/x", nil)
	require.NoError(t, err)
	req.AddCookie(&http.Cookie{Name: "lang", Value: "en"})
	resp, err := (&http.Client{Transport: rec}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.JSONEq(t, `{"name":"integration","lang":"en"}`, string(rec.Cassette().Exchanges[0].Response.Body))
}

func TestRecorderKeepsOrdinaryText(t *testing.T) {
	t.Parallel()
	file, cas := recordRaw(t, answer(`{"description":"Uses bearer authentication and basic settings","_id":"5f1a0c2b3d4e5f6071829301","tokenCount":"seven"}`,
		"Location", "https://api.integrator.io.example.com/v1/x"), "GET", "/v1/x", "")
	assert.Contains(t, file, "Uses bearer authentication and basic settings")
	assert.Contains(t, file, "5f1a0c2b3d4e5f6071829301", "24-hex ids are kept")
	assert.Equal(t, "https://api.integrator.io.example.com/v1/x", cas.Exchanges[0].Response.Header.Get("Location"),
		"another host that begins like the recorded one is not made relative")

	file, _ = recordRaw(t, answer(`{"header":"Authorization: Bearer abc123def456"}`), "GET", "/v1/x", "")
	assert.NotContains(t, file, "abc123def456")
	assert.Contains(t, file, "Bearer REDACTED")
}

func TestRecorderKeepsBinaryBodiesExactly(t *testing.T) {
	t.Parallel()
	want := []byte{0x1f, 0x8b, 0xff, 0x00, 0xfe, 'a'}
	_, cas := recordRaw(t, answer(string(want), "Content-Type", "application/octet-stream"), "GET", "/v1/file", "")
	path := filepath.Join(t.TempDir(), "f.json")
	require.NoError(t, cas.Save(path))
	tb := &fakeTB{}
	resp, err := (&http.Client{Transport: recording.ReplayFile(tb, path)}).Get("https://x/v1/file")
	require.NoError(t, err)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Empty(t, tb.finish())
}

func TestReplayMatchesWhatTheRecorderRedacted(t *testing.T) {
	t.Parallel()
	const customer = "acme-customer-42"
	_, cas := recordRaw(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) },
		"POST", "/v1/integrations/"+customer+"/clone?tag="+customer, `{"name":"`+customer+`","n":1}`,
		recording.RedactValues(customer))
	require.Equal(t, "/v1/integrations/REDACTED/clone?tag=REDACTED", cas.Exchanges[0].Request.URL)

	tb := &fakeTB{}
	hc := &http.Client{Transport: recording.NewReplayTransport(tb, cas, recording.MatchBody())}
	resp, err := hc.Post("https://x/v1/integrations/"+customer+"/clone?tag="+customer, "application/json", strings.NewReader(`{"n":1,"name":"`+customer+`"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Empty(t, tb.finish())

	// A body that differs elsewhere still does not match.
	tb = &fakeTB{}
	hc = &http.Client{Transport: recording.NewReplayTransport(tb, cas, recording.MatchBody())}
	resp, err = hc.Post("https://x/v1/integrations/"+customer+"/clone?tag="+customer, "application/json", strings.NewReader(`{"n":2,"name":"`+customer+`"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotImplemented, resp.StatusCode)
	assert.Len(t, tb.finish(), 1)
}

func TestReplayClientRetriesARecorded429LikeTheDefaultPolicy(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	cas := &recording.Cassette{Exchanges: []recording.Exchange{
		{Request: recording.Request{Method: "GET", URL: "/v1/integrations/a1"},
			Response: recording.Response{Status: 429, Header: http.Header{"Retry-After": {"3"}}, Body: jsonBody(`{"errors":[{"code":"rate_limited","message":"x"}]}`)}},
		{Request: recording.Request{Method: "GET", URL: "/v1/integrations/a1"},
			Response: recording.Response{Status: 200, Body: jsonBody(`{"_id":"a1","name":"first"}`)}},
	}}
	c := recording.NewClient(tb, recording.NewReplayTransport(tb, cas, recording.ExpectAllUsed()))
	in, err := c.Integrations.Get(context.Background(), "a1")
	require.NoError(t, err, "a client with the default policy waits 3 s and gets the 200")
	assert.Equal(t, "first", in.Name)
	assert.Empty(t, tb.finish())
}

func TestCassetteSaveReplacesTheFileWhole(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f.json")
	big := &recording.Cassette{}
	for i := range 300 {
		big.Exchanges = append(big.Exchanges, recording.Exchange{
			Request:  recording.Request{Method: "GET", URL: fmt.Sprintf("/v1/x/%d", i)},
			Response: recording.Response{Status: 200}})
	}
	require.NoError(t, big.Save(path))
	var wg sync.WaitGroup
	stop := make(chan struct{})
	saveErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				saveErr <- nil
				return
			default:
				if err := big.Save(path); err != nil {
					saveErr <- err
					return
				}
			}
		}
	}()
	var loadErr error
	for range 100 {
		if _, loadErr = recording.Load(path); loadErr != nil {
			break
		}
	}
	close(stop)
	wg.Wait()
	require.NoError(t, <-saveErr)
	require.NoError(t, loadErr, "a reader never sees a partial file")
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*"))
	require.NoError(t, err)
	assert.Equal(t, []string{path}, matches, "no temporary file is left behind")
}

func TestReplayTransportWithoutACassette(t *testing.T) {
	t.Parallel()
	tb := &fakeTB{}
	var mt http.RoundTripper
	require.NotPanics(t, func() { mt = recording.NewReplayTransport(tb, nil) })
	resp, err := (&http.Client{Transport: mt}).Get("https://x/v1/integrations")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotImplemented, resp.StatusCode)
	assert.Len(t, tb.finish(), 1, "every request fails the test")
}

func TestCassetteIsACopy(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(answer(`{"a":1}`, "Content-Type", "application/json"))
	defer srv.Close()
	rec := recording.NewRecorder(srv.Client().Transport)
	resp, err := (&http.Client{Transport: rec}).Get(srv.URL + "/v1/x")
	require.NoError(t, err)
	resp.Body.Close()
	c := rec.Cassette()
	c.Exchanges[0].Response.Header.Set("Content-Type", "text/plain")
	c.Exchanges[0].Response.Body[1] = 'b'
	again := rec.Cassette()
	assert.Equal(t, "application/json", again.Exchanges[0].Response.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"a":1}`, string(again.Exchanges[0].Response.Body))
}

func TestRecorderRedactsMoreSecretShapes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, secret, body string
	}{
		{"Cookie in a name/value pair", "sess-42-value", `{"headers":[{"name":"Cookie","value":"sess-42-value"}]}`},
		{"header/value pair", "hdr-42-value", `{"headers":[{"header":"Authorization","value":"hdr-42-value"}]}`},
		{"accessKey member", "ak-42-value", `{"accessKey":"ak-42-value"}`},
		{"access_key member", "ak-43-value", `{"access_key":"ak-43-value"}`},
		{"Bearer credential of 16 letters", "abcdefghijklmnop", `{"note":"Bearer abcdefghijklmnop"}`},
		{"Basic credential with padding", "YWJjOmRlZg==", `{"note":"Basic YWJjOmRlZg=="}`},
		{"Basic credential with a digit", "dXNlcjpwYXNz1", `{"note":"basic dXNlcjpwYXNz1"}`},
		{"secret-named string in NDJSON text", "hunter5", "{\"a\":1}\n{\"password\": \"hunter5\"}\n"},
		{"secret-named string in text", "hunter4", "not json: {\"apiKey\": \"hunter4\"}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file, _ := recordRaw(t, answer(tc.body), "GET", "/v1/x", "")
			assert.NotContains(t, file, tc.secret)
			assert.Contains(t, file, recording.Redacted)
		})
	}
}

func TestRecorderKeepsEmptyAndOrdinaryValues(t *testing.T) {
	t.Parallel()
	_, cas := recordRaw(t, answer(`{"password":"","note":"Basic settings","scheme":"Bearer token"}`), "GET", "/v1/x", "")
	assert.JSONEq(t, `{"password":"","note":"Basic settings","scheme":"Bearer token"}`, string(cas.Exchanges[0].Response.Body),
		"an empty secret stays empty; short words after Basic or Bearer are not credentials")
}

func TestRecorderBodyKinds(t *testing.T) {
	t.Parallel()
	// JSON after a byte-order mark is still JSON.
	_, cas := recordRaw(t, answer("\ufeff{\"a\":1}"), "GET", "/v1/x", "")
	assert.JSONEq(t, `{"a":1}`, string(cas.Exchanges[0].Response.Body))

	// JSON holding a byte that is not UTF-8 is kept exactly, as bytes.
	latin1 := "{\"name\":\"caf\xe9\"}"
	_, cas = recordRaw(t, answer(latin1), "GET", "/v1/x", "")
	res := cas.Exchanges[0].Response
	assert.Nil(t, res.Body)
	assert.Equal(t, []byte(latin1), res.BodyBytes)

	// A body that is not UTF-8 still loses the request's token.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "\xff\xfe echo: "+r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	rec := recording.NewRecorder(srv.Client().Transport)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/x", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Transport: rec}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	got := rec.Cassette().Exchanges[0].Response.BodyBytes
	require.NotNil(t, got)
	assert.NotContains(t, string(got), token)
	assert.Contains(t, string(got), recording.Redacted)
}

func TestRecorderRedactsAnEchoedProxyCredential(t *testing.T) {
	t.Parallel()
	const proxyCred = "pp-cred-42"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, cred, _ := strings.Cut(r.Header.Get("Proxy-Authorization"), " ")
		_, _ = io.WriteString(w, `{"seen":"`+cred+`"}`)
	}))
	defer srv.Close()
	rec := recording.NewRecorder(srv.Client().Transport)
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/x", nil)
	require.NoError(t, err)
	req.Header.Set("Proxy-Authorization", "Basic "+proxyCred)
	resp, err := (&http.Client{Transport: rec}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	b, err := rec.Cassette().Marshal()
	require.NoError(t, err)
	assert.NotContains(t, string(b), proxyCred)
}

func TestRecorderMakesOnlyTheRecordedOriginRelative(t *testing.T) {
	t.Parallel()
	var origin string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", `<`+origin+`/v1/p2>; rel="next"`)
		w.Header().Add("Link", `<`+origin+`>; rel="home"`)
		w.Header().Add("Link", `<`+origin+`0/v1/x>; rel="other-port"`)
		w.Header().Set("Location", origin)
	}))
	defer srv.Close()
	origin = srv.URL
	rec := recording.NewRecorder(srv.Client().Transport)
	resp, err := (&http.Client{Transport: rec}).Get(srv.URL + "/v1/x")
	require.NoError(t, err)
	resp.Body.Close()
	h := rec.Cassette().Exchanges[0].Response.Header
	assert.Equal(t, []string{`</v1/p2>; rel="next"`, `<>; rel="home"`, `<` + origin + `0/v1/x>; rel="other-port"`}, h.Values("Link"))
	assert.Equal(t, "", h.Get("Location"), "a value that is the origin alone becomes empty")
}

func TestRequestBodyOfACassetteIsACopy(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(answer(`{}`))
	defer srv.Close()
	rec := recording.NewRecorder(srv.Client().Transport)
	resp, err := (&http.Client{Transport: rec}).Post(srv.URL+"/v1/x", "application/json", strings.NewReader(`{"a":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	c := rec.Cassette()
	c.Exchanges[0].Request.Body[1] = 'b'
	assert.JSONEq(t, `{"a":1}`, string(rec.Cassette().Exchanges[0].Request.Body))
}

func TestReplayRefusesNearMisses(t *testing.T) {
	t.Parallel()
	cas := &recording.Cassette{Exchanges: []recording.Exchange{
		{Request: recording.Request{Method: "GET", URL: "/v1/integrations/REDACTED?limit=2"}, Response: recording.Response{Status: 200, Body: jsonBody(`{}`)}},
		{Request: recording.Request{Method: "POST", URL: "/v1/integrations", Body: jsonBody(`{"name":"REDACTED","n":1,"tags":["a"]}`)}, Response: recording.Response{Status: 201, Body: jsonBody(`{}`)}},
		{Request: recording.Request{Method: "POST", URL: "/v1/files", BodyBytes: []byte("\xff\x00a")}, Response: recording.Response{Status: 201}},
		{Request: recording.Request{Method: "GET", URL: "/v1/tags?tag=acme-REDACTED-v1"}, Response: recording.Response{Status: 200, Body: jsonBody(`[]`)}},
	}}
	for _, tc := range []struct{ method, url, body string }{
		{"GET", "/v1/connections/x?limit=2", ""},                              // the literal prefix differs
		{"GET", "/v1/integrations/x/clone?limit=2", ""},                       // nor may the wildcard's end
		{"GET", "/v1/integrations/x?limit=2&skip=1", ""},                      // an extra parameter
		{"GET", "/v1/integrations/x?limit=2&limit=3", ""},                     // an extra value
		{"GET", "/v1/integrations/x", ""},                                     // a missing parameter
		{"POST", "/v1/integrations", `{"name":"x","n":1,"tags":"a"}`},         // a string for an array
		{"POST", "/v1/integrations", `{"name":["x"],"n":1,"tags":["a"]}`},     // an array for a redacted string
		{"POST", "/v1/integrations", `{"name":"x","n":1}`},                    // a missing member
		{"POST", "/v1/integrations", `{"name":"x","n":1,"tags":["a"],"z":0}`}, // an extra member
		{"POST", "/v1/integrations", `{"name":"x","n":1,"tags":["a","b"]}`},   // a longer array
		{"POST", "/v1/integrations", `{"name":"x","n":2,"tags":["a"]}`},       // another number
		{"POST", "/v1/files", "\xff\x00b"},                                    // other bytes
		{"GET", "/v1/tags?tag=other-x-v1", ""},                                // the text before the redaction differs
		{"GET", "/v1/tags?tag=acme-x-v2", ""},                                 // the text after it differs
	} {
		tb := &fakeTB{}
		hc := &http.Client{Transport: recording.NewReplayTransport(tb, cas, recording.MatchBody())}
		req, err := http.NewRequest(tc.method, "https://x"+tc.url, strings.NewReader(tc.body))
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotImplemented, resp.StatusCode, "%s %s %s", tc.method, tc.url, tc.body)
		assert.Len(t, tb.finish(), 1)
	}
	// The same requests, matching.
	tb := &fakeTB{}
	hc := &http.Client{Transport: recording.NewReplayTransport(tb, cas, recording.MatchBody(), recording.ExpectAllUsed())}
	for _, tc := range []struct{ method, url, body string }{
		{"GET", "/v1/integrations/x?limit=2", ""},
		{"POST", "/v1/integrations", `{"tags":["a"],"n":1.0,"name":"x"}`},
		{"POST", "/v1/files", "\xff\x00a"},
		{"GET", "/v1/tags?tag=acme-x-v1", ""},
	} {
		req, err := http.NewRequest(tc.method, "https://x"+tc.url, strings.NewReader(tc.body))
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Less(t, resp.StatusCode, 300, "%s %s", tc.method, tc.url)
	}
	assert.Empty(t, tb.finish())
}

func TestCassetteSaveFilePermissionsAndFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "f.json")
	require.NoError(t, (&recording.Cassette{}).Save(path))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), info.Mode().Perm())

	// Saving over a directory fails and leaves no temporary file behind.
	target := filepath.Join(dir, "taken")
	require.NoError(t, os.Mkdir(target, 0o755))
	require.Error(t, (&recording.Cassette{}).Save(target))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"f.json", "taken"}, names)
}

// The request's credential and the RedactValues secrets are redacted in
// every form a server may echo them in, not only as sent: percent-encoded
// with hex digits in either case (whole or in part), JSON-escaped, or a
// mix, in JSON bodies, text bodies and bodies that are not UTF-8.
func TestRecorderRedactsEncodedSecrets(t *testing.T) {
	t.Parallel()
	const cred = "tok/Secret+Value-9z"
	const value = "pw:Hunter-22"
	enc := func(s, format string) string {
		var b strings.Builder
		for i := range len(s) {
			fmt.Fprintf(&b, format, s[i])
		}
		return b.String()
	}
	for _, secret := range []string{cred, value} {
		forms := map[string]string{
			"raw":                 secret,
			"percent, upper hex":  enc(secret, "%%%02X"),
			"percent, lower hex":  enc(secret, "%%%02x"),
			"percent, in part":    enc(secret[:4], "%%%02x") + secret[4:],
			"JSON escapes":        enc(secret, `\u%04x`),
			"escapes and percent": enc(secret[:2], `\u%04X`) + enc(secret[2:], "%%%02X"),
		}
		for name, form := range forms {
			t.Run(secret+"/"+name, func(t *testing.T) {
				t.Parallel()
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					switch r.URL.Path {
					case "/json":
						w.Header().Set("Content-Type", "application/json")
						_, _ = io.WriteString(w, `{"message":"no such id x`+form+`x","n":1}`)
					case "/bytes":
						_, _ = io.WriteString(w, "\xff\xfe "+form)
					default:
						w.Header().Set("Content-Type", "text/plain")
						_, _ = io.WriteString(w, "echo: "+form+".")
					}
				}))
				defer srv.Close()
				rec := recording.NewRecorder(srv.Client().Transport, recording.RedactValues(value))
				hc := &http.Client{Transport: rec}
				for _, p := range []string{"/json", "/text", "/bytes"} {
					req, err := http.NewRequest(http.MethodPost, srv.URL+p+"?q=a"+form, strings.NewReader("sent "+form))
					require.NoError(t, err)
					req.Header.Set("Authorization", "Bearer "+cred)
					resp, err := hc.Do(req)
					require.NoError(t, err)
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				dir := t.TempDir()
				require.NoError(t, rec.Save(filepath.Join(dir, "f.json")))
				b, err := os.ReadFile(filepath.Join(dir, "f.json"))
				require.NoError(t, err)
				text := string(b)
				for _, ex := range rec.Cassette().Exchanges {
					text += ex.Request.URL + string(ex.Request.Body) + ex.Request.BodyText + string(ex.Request.BodyBytes) +
						string(ex.Response.Body) + ex.Response.BodyText + string(ex.Response.BodyBytes)
				}
				for _, part := range []string{"Secret", "Hunter", "%53%65", "%53%65", `\u0053`, "%48%75", "%48%75", `\u0048`} {
					assert.NotContains(t, strings.ToLower(text), strings.ToLower(part))
				}
				assert.Contains(t, text, "no such id xREDACTEDx", "the rest of the text is kept")
				assert.Contains(t, text, "echo: REDACTED.")
			})
		}
	}
}
