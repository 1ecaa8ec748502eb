package integratorio

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestModelMethodsAcceptNilReceivers calls every accessor of the models on
// a nil pointer (a document a failed call did not return, say): none
// panics. Marshalling, unmarshalling and Client methods are left out: as
// with the standard library, encoding/json never calls them on nil, and a
// nil *Client is a programming error.
func TestModelMethodsAcceptNilReceivers(t *testing.T) {
	skip := map[string]bool{"MarshalJSON": true, "UnmarshalJSON": true}
	called := 0
	for _, v := range []any{(*Integration)(nil), (*Settings)(nil), (*InstallStep)(nil), (*Section)(nil), (*Install)(nil)} {
		rv := reflect.ValueOf(v)
		for i := range rv.NumMethod() {
			m := rv.Type().Method(i)
			if skip[m.Name] {
				continue
			}
			args := []reflect.Value{rv}
			for j := 1; j < m.Type.NumIn(); j++ {
				if m.Type.IsVariadic() && j == m.Type.NumIn()-1 {
					continue
				}
				args = append(args, reflect.Zero(m.Type.In(j)))
			}
			assert.NotPanics(t, func() { m.Func.Call(args) }, "(%T).%s", v, m.Name)
			called++
		}
	}
	assert.Greater(t, called, 20, "the accessors were found")

	var in *Integration
	ok, err := in.Extra("x", new(any))
	assert.False(t, ok)
	assert.NoError(t, err)
	assert.ErrorIs(t, in.SetExtra("x", 1), ErrInvalidArgument)
	assert.ErrorIs(t, in.CompleteInstallStep("x"), ErrInvalidArgument)
	assert.Nil(t, in.ExtraKeys())
	assert.False(t, in.Partial())
	assert.Nil(t, in.NextInstallStep())
	require.Nil(t, in.EnsureSettings())
	assert.ErrorIs(t, in.EnsureSettings().Set("k", 1), ErrInvalidArgument)
	var step *InstallStep
	assert.False(t, step.IsType(StepTypeConnection))
	assert.ErrorIs(t, step.SetExtra("x", 1), ErrInvalidArgument)
	var sec *Section
	assert.ErrorIs(t, sec.SetExtra("x", 1), ErrInvalidArgument)
}
