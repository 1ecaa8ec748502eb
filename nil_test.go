package integratorio

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestModelMethodsAcceptNilReceivers calls every accessor of the models on
// a nil pointer (a document a failed call did not return, say): none
// panics; UnmarshalJSON returns an error. MarshalJSON, String and
// GoString (value receivers) and Client methods are left out:
// encoding/json never calls MarshalJSON on nil, fmt prints a nil pointer
// as <nil> (TestPrintingAModelShowsItsMembers), and a nil *Client is a
// programming error.
func TestModelMethodsAcceptNilReceivers(t *testing.T) {
	called := 0
	for _, v := range append([]any{(*Settings)(nil)}, allModels...) {
		rv := reflect.ValueOf(v)
		for i := range rv.NumMethod() {
			m := rv.Type().Method(i)
			if m.Name == "MarshalJSON" || m.Name == "String" || m.Name == "GoString" || m.Name == "UnmarshalJSON" && v == (*Settings)(nil) {
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
	assert.GreaterOrEqual(t, called, 6*len(allModels), "the six generated accessors of every model were called")

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
