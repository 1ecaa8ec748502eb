package integratorio

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A JavaScript service that cuts a string between the two halves of a
// surrogate pair writes a lone surrogate escape ("\ud83d"). encoding/json
// decodes every lone surrogate to U+FFFD, so writing the value back would
// change it, and two members named by different lone surrogates would
// become one. The models keep them.

func TestLoneSurrogatesInTypedStringsSurviveARoundTrip(t *testing.T) {
	t.Parallel()
	doc := `{"_id":"a","name":"cut \ud83d","description":"\ude00 and \udbff\ud83d\ude00","install":[{"name":"\ud800","type":"x\udfffy"}]}`
	assert.Equal(t, doc, string(wireRoundTrip(t, []byte(doc))))

	var a, b Integration
	require.NoError(t, json.Unmarshal([]byte(`{"name":"\ud83d"}`), &a))
	require.NoError(t, json.Unmarshal([]byte(`{"name":"\ud83e"}`), &b))
	assert.NotEqual(t, "\uFFFD", a.Name, "a lone surrogate is not U+FFFD")
	assert.NotEqual(t, a.Name, b.Name, "different lone surrogates stay different")

	// A pair split over two members joins again when the halves are
	// concatenated, as in JavaScript.
	var hi, lo Integration
	require.NoError(t, json.Unmarshal([]byte(`{"name":"\ud83d"}`), &hi))
	require.NoError(t, json.Unmarshal([]byte(`{"name":"\ude00"}`), &lo))
	joined := Integration{Name: hi.Name + lo.Name}
	out, err := joined.MarshalJSON()
	require.NoError(t, err)
	var back struct{ Name string }
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, "\U0001F600", back.Name)
}

func TestLoneSurrogatesInMemberNamesSurviveARoundTrip(t *testing.T) {
	t.Parallel()
	doc := `{"_id":"a","\ud83d":1,"\ud83e":2,"x\udc00":{"\ud83d":3},"install":[{"\udbff":true,"name":"s"}]}`
	assert.Equal(t, doc, string(wireRoundTrip(t, []byte(doc))))

	var in Integration
	require.NoError(t, json.Unmarshal([]byte(doc), &in))
	keys := in.ExtraKeys()
	require.Len(t, keys, 3, "two different lone surrogates name two members")
	// A lone surrogate decodes to its generalized UTF-8 form.
	assert.Contains(t, keys, "\xed\xa0\xbd")
	assert.Contains(t, keys, "\xed\xa0\xbe")
	var n int
	ok, err := in.Extra("\xed\xa0\xbe", &n)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 2, n)

	// The same surrogate spelled twice names one member; the last wins.
	dup := `{"\ud83d":1,"\uD83D":2}`
	require.NoError(t, json.Unmarshal([]byte(dup), &in))
	out, err := in.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"\uD83D":2}`, string(out))
}

func TestSettingsSetKeepsMemberNamesAndOrder(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"a","settings":{"z":1,"\ud83d":2,"a\u0041":3,"b<c":4,"\ud83e":5,"m":6}}`), &in))
	require.Len(t, in.Settings.Keys(), 6)

	require.NoError(t, in.Settings.Set("new", true))
	require.NoError(t, in.Settings.Set("m", 7))
	out, err := in.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"_id":"a","settings":{"z":1,"\ud83d":2,"a\u0041":3,"b<c":4,"\ud83e":5,"m":7,"new":true}}`, string(out),
		"names byte for byte, the order received, new members appended")

	var v int
	ok, err := in.Settings.Get("aA", &v)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, 3, v)
	in.Settings.Delete("aA")
	assert.Len(t, in.Settings.Keys(), 6)
	out, err = in.Settings.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"z":1,"\ud83d":2,"b<c":4,"\ud83e":5,"m":7,"new":true}`, string(out))
}

func TestSettingsSetOnDuplicateMembersKeepsTheLast(t *testing.T) {
	t.Parallel()
	var s Settings
	require.NoError(t, s.UnmarshalJSON([]byte(`{"a":1,"b":2,"a":3}`)))
	var a int
	_, err := s.Get("a", &a)
	require.NoError(t, err)
	assert.Equal(t, 3, a)
	require.NoError(t, s.Set("c", 4))
	out, err := s.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"b":2,"a":3,"c":4}`, string(out))
}
