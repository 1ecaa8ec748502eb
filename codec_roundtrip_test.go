package integratorio

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compactJSON removes the white space between tokens, leaving every token
// (every string, escapes included) as it is.
func compactJSON(t testing.TB, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, json.Compact(&buf, b), "%q", b)
	return buf.String()
}

// hasRepeatedNames reports whether an object anywhere in the JSON value v
// repeats a member name (as the SDK decodes names: "a" and "\u0061" are
// the same name, "\ud83d" and "\ud83e" are not).
func hasRepeatedNames(v []byte) bool {
	i := skipSpace(v, 0)
	if i == len(v) {
		return false
	}
	repeated := false
	switch v[i] {
	case '{':
		seen := map[string]bool{}
		_, _ = scanObject(v, i, 0, func(ks, ke int, _ bool, vs, ve int) error {
			name, _, _ := unquote(v[ks-1 : ke+1])
			repeated = repeated || seen[name] || hasRepeatedNames(v[vs:ve])
			seen[name] = true
			return nil
		})
	case '[':
		_, _ = eachElement(v, i, func(e []byte) error {
			repeated = repeated || hasRepeatedNames(e)
			return nil
		})
	}
	return repeated
}

// requireNoRepeatedNames fails if an object the SDK writes itself (the
// document, and the install steps in its step lists) repeats a member name,
// as the SDK decodes names (requireNoDuplicateKeys decodes them with
// encoding/json, for which two lone surrogates are the same name).
func requireNoRepeatedNames(t testing.TB, b []byte) {
	t.Helper()
	check := func(obj []byte) {
		seen := map[string]bool{}
		require.NoError(t, eachMember(obj, func(name string, _ member) {
			require.False(t, seen[name], "member %q repeated in %s", name, b)
			seen[name] = true
		}))
	}
	if bytes.Equal(b, jsonNull) {
		return
	}
	check(b)
	require.NoError(t, eachMember(b, func(name string, m member) {
		if name != "install" && name != "installSteps" && name != "uninstallSteps" || m.raw[0] != '[' {
			return
		}
		_, err := eachElement(m.raw, 0, func(e []byte) error {
			if e[0] == '{' {
				check(e)
			}
			return nil
		})
		require.NoError(t, err)
	}))
}

// FuzzRoundTripIsByteIdentical checks that a document decoded and encoded
// again, unchanged, is the document received, byte for byte but for the
// white space between tokens: members in the order received, names,
// strings (escapes, lone surrogates, invalid UTF-8), times and numbers as
// received. A document repeating a name cannot come back whole (the last
// member of a name wins, as in encoding/json), and is left out. Changing
// one typed member changes that member only.
func FuzzRoundTripIsByteIdentical(f *testing.F) {
	for _, name := range []string{"integration_simple.json", "integration_smartconnector.json", "integration_rich.json"} {
		f.Add(fixture(f, name))
	}
	for _, doc := range []string{
		`{"lastModified":"2024-01-02T03:04:05.000Z","_id":"a","z":1,"name":"a<b","install":[{"completed":false,"n\u0061me":"s","x":1}]}`,
		`{"\ud83d":1,"\ud83e":{"\udc00":2},"name":"cut \ud83d","_registeredConnectionIds":["\u0061", "b"],"createdAt":"2024-01-02T03:04:05+00:00"}`,
		"{\"name\":\"\xff\",\"\xfe\":null,\"sandbox\":\"yes\",\"settings\":{\"b\":1, \"a\":[ 2 ]},\"mode\":\"caf\\u00e9\"}",
		` { "_id" : "a" , "tag" : "\/" , "installSteps" : [ { "type" : "\u0075rl" } , null ] } `,
		`null`,
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		var in Integration
		if in.UnmarshalJSON(doc) != nil || hasRepeatedNames(doc) {
			return
		}
		out, err := in.MarshalJSON()
		require.NoError(t, err)
		require.Equal(t, compactJSON(t, doc), compactJSON(t, out))
		requireNoRepeatedNames(t, out)

		// Decoding and encoding the result again gives the same bytes.
		var again Integration
		require.NoError(t, again.UnmarshalJSON(out))
		out2, err := again.MarshalJSON()
		require.NoError(t, err)
		require.Equal(t, string(out), string(out2))

		// Changing the name changes that member only, where it was (or
		// adds it, last).
		if bytes.Equal(bytes.TrimSpace(doc), jsonNull) {
			return
		}
		before, err := parseMembers(out)
		require.NoError(t, err)
		in.Name = "changed \U0001F600 <name> \xed\xa0\xbd"
		changed, err := in.MarshalJSON()
		require.NoError(t, err)
		after, err := parseMembers(changed)
		require.NoError(t, err)
		want := slices.Clone(before)
		found := false
		for i := range want {
			if want[i].name() == "name" {
				want[i].raw, found = appendString(nil, in.Name), true
			}
		}
		if !found {
			want = append(want, member{"name", appendString(nil, in.Name)})
		}
		require.Equal(t, want, after)
	})
}

// TestUpdateSendsAnUnchangedDocumentAsReceived follows a document from a
// GET to the PUT body of Update.
func TestUpdateSendsAnUnchangedDocumentAsReceived(t *testing.T) {
	t.Parallel()
	doc := `{"_id":"5f0c1a2b3c4d5e6f7a8b9c0d","lastModified":"2024-01-02T03:04:05.000Z","name":"caf\u00e9 <&> \ud83d","x\ud83d":{"keep":"\u00e9"},"install":[{"completed":false,"name":"s\/t"}],"settings":{"z":1,"\ud83e":2},"updateInProgress":false}`
	c, mt := newMockClient(t)
	var rec recorder
	path := testRoot + "/integrations/5f0c1a2b3c4d5e6f7a8b9c0d"
	mt.RegisterResponder(http.MethodGet, path, jsonResponder(200, []byte(doc)))
	mt.RegisterResponder(http.MethodPut, path, rec.wrap(jsonResponder(200, []byte(doc))))
	ctx := context.Background()
	in, err := c.Integrations.Get(ctx, "5f0c1a2b3c4d5e6f7a8b9c0d")
	require.NoError(t, err)
	_, err = c.Integrations.Update(ctx, in.ID, in)
	require.NoError(t, err)
	require.Len(t, rec.reqs, 1)
	assert.Equal(t, doc, string(rec.reqs[0].Body))

	// After a settings write, every other member of the settings keeps its
	// name and place.
	require.NoError(t, in.Settings.Set("added", true))
	_, err = c.Integrations.Update(ctx, in.ID, in)
	require.NoError(t, err)
	require.Len(t, rec.reqs, 2)
	assert.Contains(t, string(rec.reqs[1].Body), `"settings":{"z":1,"\ud83e":2,"added":true}`)
}
