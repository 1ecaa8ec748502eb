package integratorio

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func roundTrip(t testing.TB, doc []byte) []byte {
	t.Helper()
	var in Integration
	require.NoError(t, json.Unmarshal(doc, &in))
	out, err := json.Marshal(&in)
	require.NoError(t, err)
	return out
}

func TestIntegrationRoundTripKeepsEveryMember(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"integration_simple.json", "integration_smartconnector.json", "integration_rich.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			doc := fixture(t, name)
			requireSameJSON(t, doc, roundTrip(t, doc))
		})
	}
}

func TestIntegrationDecodesTypedFields(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal(fixture(t, "integration_rich.json"), &in))
	assert.Equal(t, "5f0c1a2b3c4d5e6f7a8b9c0d", in.ID)
	assert.Equal(t, ModeSettings, in.Mode)
	assert.Equal(t, "2.3.4", in.Version)
	assert.Equal(t, "5f0c00000000000000000002", in.ConnectorID)
	assert.Equal(t, "5f0c00000000000000000003", in.TemplateID)
	assert.Equal(t, []string{"5f0c0000000000000000000a", "5f0c0000000000000000000b"}, in.RegisteredConnectionIDs)
	assert.Equal(t, time.Date(2024, 3, 1, 10, 0, 0, 123e6, time.UTC), in.LastModified)
	require.Len(t, in.Install, 1)
	assert.True(t, in.Install[0].Completed)
	assert.Equal(t, "Connection", in.Install[0].Type)
	assert.NotNil(t, in.InstallSteps, "an empty array decodes to an empty, non-nil slice")
	assert.Empty(t, in.InstallSteps)
	var edition string
	ok, err := in.Settings.Get("connectorEdition", &edition)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "premium", edition)
	assert.Equal(t, []string{"_parentId", "_registeredLookupCacheIds", "apiGroupings", "bigNumber", "changeEditionSteps",
		"emptyObj", "float", "flowGroupings", "initChild", "lastErrorAt", "lastModifiedBy", "numError", "numFlows"},
		in.ExtraKeys())
}

func TestRoundTripKeepsZeroValuesThatWerePresent(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"_id":"a","name":"","sandbox":false,"updateInProgress":false,"install":[{"name":"s","completed":false,"installURL":""}],"installSteps":[],"settings":{}}`)
	requireSameJSON(t, doc, roundTrip(t, doc))
}

func TestRoundTripLeavesAbsentMembersAbsent(t *testing.T) {
	t.Parallel()
	out := roundTrip(t, []byte(`{"_id":"a","install":[{"name":"s"}]}`))
	assert.JSONEq(t, `{"_id":"a","install":[{"name":"s"}]}`, string(out))
}

func TestRoundTripKeepsNullAndMistypedMembers(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"_id":"a","name":null,"sandbox":"yes","lastModified":"","version":3,"settings":null,"install":[{"completed":"no","name":null}]}`)
	requireSameJSON(t, doc, roundTrip(t, doc))

	// Setting a typed field replaces the value that did not fit.
	var in Integration
	require.NoError(t, json.Unmarshal(doc, &in))
	in.Name = "fixed"
	in.Sandbox = true
	out, err := json.Marshal(&in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"_id":"a","name":"fixed","sandbox":true,"lastModified":"","version":3,"settings":null,"install":[{"completed":"no","name":null}]}`, string(out))
}

func TestUpdateInProgressFalseIsAlwaysSentWhenChanged(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"a","updateInProgress":true}`), &in))
	in.UpdateInProgress = false
	out, err := json.Marshal(in) // by value too
	require.NoError(t, err)
	assert.JSONEq(t, `{"_id":"a","updateInProgress":false}`, string(out))

	built, err := json.Marshal(&Integration{Name: "new"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"new","updateInProgress":false}`, string(built), "a document built in code sends updateInProgress")
}

func TestSettingFieldOnDecodedDocumentAddsMember(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"a","zz":{"keep":[1]}}`), &in))
	in.Version = "1.0.2"
	in.Install = append(in.Install, InstallStep{Name: "new step"})
	out, err := json.Marshal(&in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"_id":"a","version":"1.0.2","install":[{"name":"new step"}],"zz":{"keep":[1]}}`, string(out))
}

func TestDecodingResetsPreviousContent(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"a","name":"x","extra":1}`), &in))
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"b"}`), &in))
	out, err := json.Marshal(&in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"_id":"b"}`, string(out))
}

func TestDecodingRejectsNonObjects(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{`[]`, `"x"`, `1`, `{"_id":`, `{"name":"a"}x`} {
		var in Integration
		assert.Error(t, json.Unmarshal([]byte(doc), &in), doc)
	}
}

func TestExtraMembers(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"a","flowGroupings":[{"_id":"g","name":"Orders"}]}`), &in))

	var groups []struct{ ID, Name string }
	ok, err := in.Extra("flowGroupings", &groups)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "Orders", groups[0].Name)

	ok, err = in.Extra("missing", &groups)
	require.NoError(t, err)
	assert.False(t, ok)

	_, err = in.Extra("name", new(string))
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.ErrorIs(t, in.SetExtra("name", "x"), ErrInvalidArgument)
	assert.ErrorIs(t, in.SetExtra("", "x"), ErrInvalidArgument)
	assert.ErrorIs(t, in.SetExtra("bad", math.NaN()), ErrInvalidArgument)

	require.NoError(t, in.SetExtra("_templateIdx", "t1"))
	in.DeleteExtra("flowGroupings")
	assert.Equal(t, []string{"_templateIdx"}, in.ExtraKeys())
	out, err := json.Marshal(&in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"_id":"a","_templateIdx":"t1"}`, string(out))

	var step InstallStep
	require.NoError(t, json.Unmarshal([]byte(`{"name":"s","isTriggered":true}`), &step))
	var trig bool
	ok, err = step.Extra("isTriggered", &trig)
	require.NoError(t, err)
	assert.True(t, ok && trig)
	require.NoError(t, step.SetExtra("verifying", false))
	out, err = json.Marshal(step)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"s","isTriggered":true,"verifying":false}`, string(out))
}

func TestSettingsAccess(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal(fixture(t, "integration_smartconnector.json"), &in))
	s := in.Settings
	require.NotNil(t, s)

	var common map[string]string
	ok, err := s.Get("commonresources", &common)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "56fd5ad09a67g56412gh23a5", common["netsuiteConnectionId"])

	require.NoError(t, s.Set("syncEnabled", true))
	s.Delete("sections")
	assert.Equal(t, []string{"commonresources", "syncEnabled"}, s.Keys())

	var whole struct {
		SyncEnabled     bool              `json:"syncEnabled"`
		CommonResources map[string]string `json:"commonresources"`
	}
	require.NoError(t, s.Decode(&whole))
	assert.True(t, whole.SyncEnabled)
	assert.Len(t, whole.CommonResources, 3)

	out, err := json.Marshal(&in)
	require.NoError(t, err)
	var back map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &back))
	assert.JSONEq(t, `{"commonresources":{"genericExportApiIdentifier":"e7654358b7","bigcommerceConnectionId":"56fd5ad09a67g564e678aca76","netsuiteConnectionId":"56fd5ad09a67g56412gh23a5"},"syncEnabled":true}`, string(back["settings"]))
}

func TestSettingsRejectsUnencodableValues(t *testing.T) {
	t.Parallel()
	s := &Settings{}
	require.NoError(t, s.Set("a", 1))
	assert.ErrorIs(t, s.Set("nan", math.NaN()), ErrInvalidArgument)
	assert.ErrorIs(t, s.Set("ch", make(chan int)), ErrInvalidArgument)
	assert.ErrorIs(t, s.Set("fn", func() {}), ErrInvalidArgument)
	assert.Equal(t, []string{"a"}, s.Keys(), "a failed Set changes nothing")
	out, err := json.Marshal(s)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":1}`, string(out))
}

func TestSettingsZeroValueAndNonObject(t *testing.T) {
	t.Parallel()
	out, err := json.Marshal(&Settings{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(out))

	var s Settings
	require.NoError(t, json.Unmarshal([]byte(`[1,2]`), &s))
	_, err = s.Get("a", new(int))
	assert.Error(t, err)
	assert.Error(t, s.Set("a", 1))
	out, err = json.Marshal(&s)
	require.NoError(t, err)
	assert.Equal(t, `[1,2]`, string(out), "a non-object is kept as received")

	ns, err := NewSettings(map[string]any{"x": 1})
	require.NoError(t, err)
	assert.Equal(t, []string{"x"}, ns.Keys())
	_, err = NewSettings([]int{1})
	assert.ErrorIs(t, err, ErrInvalidArgument)
}

func FuzzIntegrationRoundTrip(f *testing.F) {
	for _, name := range []string{"integration_simple.json", "integration_smartconnector.json", "integration_rich.json"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"_id":"a","name":null,"sandbox":"yes","install":[{"completed":1}],"settings":[1]}`))
	f.Add([]byte(`{"lastModified":"2017-08-07T18:34:07.786+02:00","createdAt":"2017-08-07T18:34:07Z"}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var in Integration
		if json.Unmarshal(doc, &in) != nil {
			return
		}
		var generic any
		if json.Unmarshal(doc, &generic) != nil || generic == nil {
			return
		}
		out, err := json.Marshal(&in)
		require.NoError(t, err)
		requireSameJSON(t, doc, out)
		requireNoRepeatedNames(t, out)
		// A second round trip is stable.
		requireSameJSON(t, out, roundTrip(t, out))
	})
}

func TestNilSettingsDoNotPanic(t *testing.T) {
	t.Parallel()
	in := &Integration{Name: "no settings"}
	var v map[string]any
	ok, err := in.Settings.Get("a", &v)
	assert.False(t, ok)
	assert.NoError(t, err)
	assert.Nil(t, in.Settings.Keys())
	assert.NoError(t, in.Settings.Decode(&v))
	in.Settings.Delete("a")
	assert.ErrorIs(t, in.Settings.Set("a", 1), ErrInvalidArgument)
	assert.ErrorIs(t, in.Settings.SetCommonResource("k", "v"), ErrInvalidArgument)
	sections, err := in.Settings.Sections()
	assert.NoError(t, err)
	assert.Nil(t, sections)
	common, err := in.Settings.CommonResources()
	assert.NoError(t, err)
	assert.Empty(t, common)

	require.NoError(t, in.EnsureSettings().Set("a", 1))
	assert.Same(t, in.Settings, in.EnsureSettings())
	out, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"no settings","updateInProgress":false,"settings":{"a":1}}`, string(out))
}

func TestUnknownMembersAreWrittenBackInTheOrderReceived(t *testing.T) {
	t.Parallel()
	doc := `{"_id":"a","z":1,"a":{"y":2,"b":[3,{"k":4,"c":5}]},"m":"x"}`
	assert.Equal(t, doc, string(roundTrip(t, []byte(doc))), "byte for byte: nested objects are kept as received too")
}

// Printing a model with %v, %+v, %s or %#v, alone, by pointer or in a
// slice, shows its members as JSON (the untyped ones too), never the
// codec's state; a nil pointer prints <nil>.
func TestPrintingAModelShowsItsMembers(t *testing.T) {
	t.Parallel()
	for _, v := range append([]any{(*Settings)(nil)}, allModels...) {
		typ := reflect.TypeOf(v).Elem()
		p := reflect.New(typ)
		require.NoError(t, p.Interface().(json.Unmarshaler).UnmarshalJSON([]byte(`{"_id":"x1","custom":{"kept":[1,"two"]}}`)), typ.Name())
		want, err := json.Marshal(p.Interface())
		require.NoError(t, err)
		require.Contains(t, string(want), `"custom":{"kept":[1,"two"]}`)
		val := p.Elem().Interface()
		slice := reflect.MakeSlice(reflect.SliceOf(typ), 1, 1)
		slice.Index(0).Set(p.Elem())
		for format, got := range map[string]string{
			"%v":          fmt.Sprintf("%v", val),
			"%+v":         fmt.Sprintf("%+v", val),
			"%s":          fmt.Sprintf("%s", val),
			"%v pointer":  fmt.Sprintf("%v", p.Interface()),
			"%+v pointer": fmt.Sprintf("%+v", p.Interface()),
			"Println":     strings.TrimSuffix(fmt.Sprintln(p.Interface()), "\n"),
			"%v slice":    strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%v", slice.Interface()), "["), "]"),
		} {
			assert.Equal(t, string(want), got, "%s of a %s", format, typ.Name())
		}
		assert.Equal(t, "integratorio."+typ.Name()+string(want), fmt.Sprintf("%#v", val), "%%#v of a %s", typ.Name())
		for _, internal := range []string{"state", "extra", "layout", "present", "members", "raw:"} {
			assert.NotContains(t, fmt.Sprintf("%+v %#v", val, p.Interface()), internal, typ.Name())
		}
		assert.Equal(t, "<nil>", fmt.Sprintf("%v", reflect.Zero(reflect.PointerTo(typ)).Interface()), "a nil *%s", typ.Name())
	}
}
