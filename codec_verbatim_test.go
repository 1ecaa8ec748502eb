package integratorio

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Typed members the caller did not change are written back as received,
// byte for byte, even where the SDK's own encoding would differ; a member
// the caller changed is encoded as usual.

func TestUnchangedTypedMembersAreWrittenBackAsReceived(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"_id":"a","lastModified":"2024-01-02T03:04:05.000Z","createdAt":"2024-01-02T03:04:05+00:00"}`,
		`{"_id":"a","lastModified":"2024-01-02T03:04:05.120+05:30","createdAt":"2024-01-02T03:04:05+24:00"}`,
		`{"_id":"a","name":"a<b & c>d","description":"caf\u00e9","readme":"line\u000aline \/ \b\f \u2028 \uFFFD \ud83d\ude00"}`,
		`{"_id":"a","name":"\u0041\u00e9","tag":"\"quoted\"\t","version":"1.0\u002e1"}`,
		`{"_id":"a","_registeredConnectionIds":["x\/y","<z>"],"mode":"\u0073ettings"}`,
		`{"_id":"a","install":[{"name":"\u0053tep","imageURL":"/a?b=1&c=2","completed":true}],"uninstallSteps":[{"type":"\u0075rl"}]}`,
		"{\"_id\":\"a\",\"name\":\"raw \xe2\x80\xa8 separator\"}",
	} {
		assert.Equal(t, doc, string(wireRoundTrip(t, []byte(doc))))
	}
}

func TestTypedMembersAreWrittenBackInTheOrderReceived(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"lastModified":"2024-01-02T03:04:05.000Z","_id":"a","z":1,"name":"n","install":[{"completed":false,"name":"s","x":1}]}`,
		`{"name":"n","_id":"a"}`,
		`{"z":1,"_id":"a","name":null,"sandbox":true}`,
		`{"n\u0061me":"n","_id":"a"}`,
	} {
		assert.Equal(t, doc, string(wireRoundTrip(t, []byte(doc))))
	}
}

func TestChangedTypedMembersAreEncodedAnew(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"_id":"a","name":"caf\u00e9","tag":"a<b","lastModified":"2024-01-02T03:04:05.000Z","createdAt":"2024-01-02T03:04:05.000Z","_registeredConnectionIds":["\u0061"],"install":[{"name":"\u0053","description":"\u0064"}]}`)
	var in Integration
	require.NoError(t, json.Unmarshal(doc, &in))
	in.Name = "café!"
	in.LastModified = in.LastModified.Add(time.Second)
	in.CreatedAt = in.CreatedAt.In(time.FixedZone("", 0)) // the same value: kept as received
	in.RegisteredConnectionIDs = append(in.RegisteredConnectionIDs, "b")
	in.Install[0].Name = "T"
	out, err := in.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"_id":"a","name":"café!","tag":"a<b","lastModified":"2024-01-02T03:04:06Z","createdAt":"2024-01-02T03:04:05.000Z","_registeredConnectionIds":["a","b"],"install":[{"name":"T","description":"\u0064"}]}`, string(out))

	// Changing a value back writes the bytes received again.
	in.Name = "café"
	out, err = in.MarshalJSON()
	require.NoError(t, err)
	assert.Contains(t, string(out), `"name":"caf\u00e9"`)
}

func TestNewMembersOfADecodedDocumentFollowTheReceivedOnes(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal([]byte(`{"z":1,"_id":"a","name":null}`), &in))
	in.Version = "2"
	in.Name = "set"
	require.NoError(t, in.SetExtra("added", true))
	out, err := in.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"z":1,"_id":"a","name":"set","added":true,"version":"2"}`, string(out))
}

func TestSkippedMembersAreLeftOutInEveryOrder(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal([]byte(`{"lastModified":"2024-01-02T03:04:05.000Z","z":1,"_id":"a","name":"caf\u00e9"}`), &in))
	out, err := integrationCodec.encode(&in, &in.state, "_id", "lastModified")
	require.NoError(t, err)
	assert.Equal(t, `{"z":1,"name":"caf\u00e9"}`, string(out))
}

// wireRoundTrip decodes doc and encodes it as the client does for a PUT
// body. (json.Marshal would also HTML-escape the result: encoding/json
// escapes <, > and & in the output of every MarshalJSON method.)
func wireRoundTrip(t testing.TB, doc []byte) []byte {
	t.Helper()
	var in Integration
	require.NoError(t, json.Unmarshal(doc, &in))
	out, err := in.MarshalJSON()
	require.NoError(t, err)
	return out
}

// A decoded flow and integration changed in code (typed members, nested
// models, an appended element, settings) are written back with every
// other member as received: escapes, a lone surrogate, order.
func TestChangedDocumentsKeepTheRest(t *testing.T) {
	t.Parallel()
	var f Flow
	in := `{"_id":"a","name":"x","description":"a\/b \u00e9 \ud83d","lastModified":"2024-01-02T03:04:05.000Z","pageGenerators":[{"_exportId":"e","schedule":"? * * * * *","skipRetries":false,"z":"\ud83d","_keep":{"a":1}}],"pageProcessors":[{"type":"import","_importId":"i","responseMapping":{"fields":[]}}],"routers":[]}`
	require.NoError(t, f.UnmarshalJSON([]byte(in)))
	f.Name = "y"
	f.PageGenerators[0].Schedule = "? */5 * * * *"
	f.PageGenerators = append(f.PageGenerators, PageGenerator{ExportID: "e2"})
	f.PageProcessors[0].ProceedOnFailure = true
	out, err := f.MarshalJSON()
	require.NoError(t, err)
	want := `{"_id":"a","name":"y","description":"a\/b \u00e9 \ud83d","lastModified":"2024-01-02T03:04:05.000Z","pageGenerators":[{"_exportId":"e","schedule":"? */5 * * * *","skipRetries":false,"z":"\ud83d","_keep":{"a":1}},{"_exportId":"e2"}],"pageProcessors":[{"type":"import","_importId":"i","responseMapping":{"fields":[]},"proceedOnFailure":true}],"routers":[]}`
	assert.Equal(t, want, string(out))

	var in2 Integration
	require.NoError(t, in2.UnmarshalJSON([]byte(`{"_id":"i","settings":{"\ud83d":1,"n\u0061me":2,"a":{"b":"\ud83d"}},"installSteps":[{"name":"s","completed":false,"form":{"x":1}}],"lastModified":"2024-01-02T03:04:05.000Z"}`)))
	require.NoError(t, in2.Settings.Set("new", 1))
	require.NoError(t, in2.Settings.Set("name", 3))
	in2.InstallSteps[0].Completed = true
	in2.UpdateInProgress = false
	in2.Version = "1.1.0"
	out, err = in2.MarshalJSON()
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Equal(t, map[string]any{"\ufffd": 1.0, "name": 3.0, "a": map[string]any{"b": "\ufffd"}, "new": 1.0}, got["settings"], "the other settings kept, name changed")
	assert.Equal(t, []any{map[string]any{"name": "s", "completed": true, "form": map[string]any{"x": 1.0}}}, got["installSteps"])
	assert.Equal(t, "1.1.0", got["version"])
	assert.Equal(t, "2024-01-02T03:04:05.000Z", got["lastModified"])
}
