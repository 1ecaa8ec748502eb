package integratorio

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secretish is document content that must not appear in an error message:
// the model cannot tell a token from any other string.
const secretish = "tok-DOC-4242424242"

func TestModelErrorsQuoteNoDocumentContent(t *testing.T) {
	t.Parallel()
	var errs []error
	collect := func(err error) {
		t.Helper()
		require.Error(t, err)
		errs = append(errs, err)
	}

	for _, doc := range []string{`["` + secretish + `"]`, `"` + secretish + `"`, `4242424242`, `{"a":"` + secretish + `"`, `{"a":1} ` + secretish} {
		var s Settings
		require.NoError(t, s.UnmarshalJSON([]byte(doc)))
		collect(s.Set("k", 1))
		_, err := s.Get("a", new(any))
		collect(err)
		collect(s.SetCommonResource("k", "v"))
	}
	_, err := NewSettings([]string{secretish})
	collect(err)

	var in Integration
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"`+secretish+`","n":4242424242.5,"when":"`+secretish+`","install":[{"name":"s"}],"settings":{"n":4242424242.5,"when":"`+secretish+`"}}`), &in))
	_, err = in.Extra("n", new(int))
	collect(err)
	_, err = in.Extra("when", new(time.Time))
	collect(err)
	_, err = in.Settings.Get("n", new(int))
	collect(err)
	_, err = in.Settings.Get("when", new(time.Time))
	collect(err)
	collect(in.Settings.Decode(&struct{ When time.Time }{}))
	collect(in.Settings.Decode(&struct{ N int }{}))
	collect(in.CompleteInstallStep("missing"))

	for _, err := range errs {
		msg := err.Error()
		assert.NotContains(t, msg, secretish)
		assert.NotContains(t, msg, "4242", "no number from the document")
		assert.NotContains(t, msg, "DOC")
	}

	// The messages still say what went wrong, and the decoding errors
	// still wrap encoding/json's for errors.As.
	_, err = in.Extra("n", new(int))
	var typeErr *json.UnmarshalTypeError
	assert.True(t, errors.As(err, &typeErr), "%v", err)
	assert.Contains(t, err.Error(), "number")
	assert.Contains(t, err.Error(), "int")
	var s Settings
	require.NoError(t, s.UnmarshalJSON([]byte(`[1]`)))
	assert.ErrorContains(t, s.Set("k", 1), "array")
}
