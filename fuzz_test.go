package integratorio

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The seed corpora of these targets live in testdata/fuzz/<target>/ and
// run as ordinary tests; .ci/fuzz fuzzes each target briefly.

func FuzzAPIErrorBody(f *testing.F) {
	f.Add(404, []byte(`{"errors":[{"code":"not_found","message":"Integration not found"}]}`))
	f.Add(401, []byte(`{"message":"Bearer Authentication Failed"}`))
	f.Add(502, []byte(`<html>bad gateway</html>`))
	f.Add(422, []byte(`{"errors":[{"code":1,"message":null},{"field":"x"}]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := newAPIError(newRedactor("tok-FAKE-fuzz-0000"), http.MethodGet, "/integrations/abc", status, 0, body, false)
		msg := e.Error()
		require.True(t, strings.HasPrefix(msg, "integratorio: GET /integrations/abc: "), msg)
		assert.NotContains(t, msg, "\n", "one line")
		assert.Equal(t, body, e.Body)
		_ = e.Code()
	})
}

func FuzzNextLink(f *testing.F) {
	f.Add(`<https://api.integrator.io/v1/integrations?after=abc>; rel="next"`)
	f.Add(`<https://a/1>; rel="prev", <https://a/3>; rel="next"`)
	f.Add(`<https://a/x,y>; title="a, \" b"; rel=NEXT`)
	f.Add(`<x; rel=next`)
	f.Fuzz(func(t *testing.T, header string) {
		target, ok, err := nextLink([]string{header})
		if err != nil || !ok {
			assert.Empty(t, target)
			return
		}
		assert.NotContains(t, target, ">", "a target never runs past its closing bracket")
		assert.Contains(t, header, target)
	})
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "-1", "Wed, 21 Oct 2015 07:28:00 GMT", "1e9", "99999999999999999999", " 5 "} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, now)
		if !ok {
			assert.Zero(t, d)
			return
		}
		assert.GreaterOrEqual(t, d, time.Duration(0))
		assert.LessOrEqual(t, d, maxRetryAfter)
	})
}

func FuzzSettingsSetGet(f *testing.F) {
	f.Add(`{"a":1}`, "k", "v")
	f.Add(`{}`, "", "\xff")
	f.Fuzz(func(t *testing.T, doc, key, value string) {
		var s Settings
		if s.UnmarshalJSON([]byte(doc)) != nil {
			return
		}
		if err := s.Set(key, value); err != nil {
			return // not an object
		}
		var got string
		ok, err := s.Get(key, &got)
		require.NoError(t, err)
		require.True(t, ok)
		if utf8.ValidString(value) {
			assert.Equal(t, value, got)
		}
	})
}

// FuzzDecodeAgreesWithEncodingJSON checks the one-pass decoder against
// encoding/json: the same inputs are valid, typed members get the values
// encoding/json gives them, and the members the model does not type have
// the names encoding/json gives them. The one deliberate difference: a
// lone surrogate escape ("\ud83d") decodes to its generalized UTF-8 form
// where encoding/json gives U+FFFD (see unquote); where the document
// holds no surrogate escape, the strings must be equal as they are.
func FuzzDecodeAgreesWithEncodingJSON(f *testing.F) {
	f.Add([]byte(`{"_id":"a","name":"caf\u00e9 \ud83d\ude00","sandbox":true,"_registeredConnectionIds":["x","y\n"]}`))
	f.Add([]byte(`{"name":"\xff\xfe","install":[{"name":"s","completed":true},null]}`))
	f.Add([]byte(`{"a":[1,2,{"b":-0.5e+10}],"name":"x","name":"y"}`))
	f.Add([]byte(`{"a":01}`))
	f.Add([]byte(`[1]`))
	f.Add([]byte(`{"name":"\ud83d","mode":"\udc00x","\ud83d":1,"\ud83e":2,"_registeredConnectionIds":["\uDBFF"]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var in Integration
		err := in.UnmarshalJSON(doc)
		if !json.Valid(doc) {
			require.Error(t, err, "invalid JSON accepted: %q", doc)
			return
		}
		var generic any
		if json.Unmarshal(doc, &generic) != nil {
			return // valid, but not representable in Go (1E1000)
		}
		m, isObject := generic.(map[string]any)
		if generic != nil && !isObject {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		surrogates := bytes.Contains(bytes.ToLower(doc), []byte(`\ud`))
		// as maps what this decoder gives to what encoding/json gives.
		as := func(s string) string {
			if !surrogates {
				return s
			}
			return jsonView(s)
		}
		str := func(key, got string) {
			want, _ := m[key].(string)
			assert.Equal(t, want, as(got), key)
		}
		str("_id", in.ID)
		str("name", in.Name)
		str("mode", string(in.Mode))
		want, _ := m["sandbox"].(bool)
		assert.Equal(t, want, in.Sandbox)
		if ids, ok := m["_registeredConnectionIds"].([]any); ok && len(in.RegisteredConnectionIDs) > 0 {
			require.Len(t, in.RegisteredConnectionIDs, len(ids))
			for i, v := range ids {
				assert.Equal(t, v, as(in.RegisteredConnectionIDs[i]))
			}
		}
		wantKeys := map[string]bool{}
		for k := range m {
			if _, typed := integrationCodec.index[k]; !typed {
				wantKeys[k] = true
			}
		}
		gotKeys := map[string]bool{}
		for _, k := range in.ExtraKeys() {
			gotKeys[as(k)] = true
		}
		assert.Equal(t, wantKeys, gotKeys, "the members not typed")
	})
}

// FuzzAppendString checks the SDK's string encoder against encoding/json:
// both encode to a JSON string that decodes to the same value, but for the
// generalized UTF-8 form of a surrogate, which the SDK writes as its
// escape (see unquote) and encoding/json as U+FFFD. It also checks that the
// SDK's decoder reads back what the encoder wrote.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"plain", "<a href=\"x\">&amp;</a>", "tab\tnl\ncr\r\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe bad", "é😀", "\\\"/", "\xed\xa0\xbd", "\xed\xa0\xbd\xed\xb8\x80", "\xed\xb8\x80\xed\xa0\xbd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ours := appendString(nil, s)
		require.True(t, json.Valid(ours), "%q", ours)
		assert.NotContains(t, string(ours), "<", "HTML-safe")
		var a, b string
		require.NoError(t, json.Unmarshal(ours, &a))
		theirs, err := json.Marshal(jsonView(s))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(theirs, &b))
		assert.Equal(t, b, a)
		if !hasSurrogate(s) {
			theirs, err := json.Marshal(s)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(theirs, &b))
			assert.Equal(t, b, a)
		}
		back, _, err := unquote(ours)
		require.NoError(t, err)
		assert.Equal(t, decodedView(s), back, "the SDK's decoder reads what the encoder wrote")
		again := appendString(nil, back)
		_, canonical, err := unquote(again)
		require.NoError(t, err)
		assert.True(t, canonical, "a decoded string is written back as the same text: %q", again)
	})
}

// FuzzDecodeList checks the in-place list decoder: it accepts only valid
// JSON arrays of documents, and each element decodes as it would alone.
func FuzzDecodeList(f *testing.F) {
	f.Add([]byte(`[{"_id":"a","x":[1,{"y":null}]},{"_id":"b","name":"n"}]`))
	f.Add([]byte(` [ ] `))
	f.Add([]byte(`[{"_id":"a"},]`))
	f.Add([]byte(`[{"_id":"a"}] x`))
	f.Fuzz(func(t *testing.T, body []byte) {
		b := trimJSONSpace(body)
		if len(b) == 0 || b[0] != '[' {
			return
		}
		page, err := decodeList[Integration](&response{body: b, display: "/integrations", status: 200})
		if err != nil {
			return
		}
		require.True(t, json.Valid(b), "accepted invalid JSON %q", b)
		var elems []json.RawMessage
		require.NoError(t, json.Unmarshal(b, &elems))
		require.Len(t, page, len(elems))
		for i, e := range elems {
			var alone Integration
			require.NoError(t, alone.UnmarshalJSON(e))
			got, err := json.Marshal(page[i])
			require.NoError(t, err)
			want, err := json.Marshal(&alone)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		}
	})
}
