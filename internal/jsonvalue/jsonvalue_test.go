package jsonvalue

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEqual(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		want, got string
		equal     bool
	}{
		{`1`, `1.0`, true},
		{`100e-2`, `1`, true},
		{`12345678901234567890`, `12345678901234567891`, false},
		{`{"a":[1,{"b":"x"}],"c":null}`, `{"c":null,"a":[1.0,{"b":"x"}]}`, true},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`{"a":1,"b":2}`, `{"a":1}`, false},
		{`{"a":1}`, `{"b":1}`, false},
		{`[1,2]`, `[1,2,3]`, false},
		{`[1,2]`, `[2,1]`, false},
		{`"1"`, `1`, false},
		{`1`, `"1"`, false},
		{`true`, `true`, true},
		{`null`, `false`, false},
		{`{}`, `[]`, false},
	} {
		var w, g any
		require.NoError(t, Decode([]byte(tc.want), &w))
		require.NoError(t, Decode([]byte(tc.got), &g))
		assert.Equal(t, tc.equal, Equal(w, g, nil), "%s vs %s", tc.want, tc.got)
	}
}

func TestEqualStringHook(t *testing.T) {
	t.Parallel()
	var w, g any
	require.NoError(t, Decode([]byte(`{"a":"*","b":["*"]}`), &w))
	require.NoError(t, Decode([]byte(`{"a":"x","b":[2]}`), &g))
	anything := func(string, any) bool { return true }
	assert.True(t, Equal(w, g, anything))
	assert.False(t, Equal(w, g, nil))
}
