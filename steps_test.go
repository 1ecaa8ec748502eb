package integratorio

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInstallStepHelpers(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal(fixture(t, "integration_smartconnector.json"), &in))
	require.False(t, in.InstallComplete())
	require.Equal(t, "NetSuite Connection", in.NextInstallStep().Name)

	require.NoError(t, in.CompleteInstallStep("NetSuite Connection"))
	assert.Equal(t, "BigCommerce Connection", in.NextInstallStep().Name)
	assert.ErrorIs(t, in.CompleteInstallStep("No Such Step"), ErrInvalidArgument)

	for _, name := range []string{"BigCommerce Connection", "Integrator Bundle"} {
		require.NoError(t, in.CompleteInstallStep(name))
	}
	assert.Equal(t, ModeInstall, in.Mode, "mode moves only when the last step is done")
	// Changing the step through the pointer changes the document.
	in.NextInstallStep().Completed = true
	assert.True(t, in.InstallComplete())
	require.NoError(t, in.CompleteInstallStep("BigCommerce Bundle"))
	assert.Equal(t, ModeSettings, in.Mode)
	assert.Nil(t, in.NextInstallStep())

	out, err := json.Marshal(&in)
	require.NoError(t, err)
	var back struct {
		Mode    string
		Install []map[string]any
	}
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, "settings", back.Mode)
	for _, s := range back.Install {
		assert.Equal(t, true, s["completed"])
		assert.Contains(t, s, "uninstallerFunction", "untouched members stay")
	}
}

func TestNewerInstallStepsTakePrecedenceAndTypesIgnoreCase(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"a","mode":"install",
		"install":[{"name":"legacy","completed":false}],
		"installSteps":[{"name":"conn","type":"Connection","completed":true},{"name":"pkg","type":"installPackage","completed":false}]}`), &in))
	next := in.NextInstallStep()
	require.NotNil(t, next)
	assert.Equal(t, "pkg", next.Name)
	assert.True(t, next.IsType("INSTALLPACKAGE"))
	assert.True(t, in.InstallSteps[0].IsType(StepTypeConnection))
	assert.False(t, in.InstallSteps[0].IsType(StepTypeForm))
	require.NoError(t, in.CompleteInstallStep("pkg"))
	assert.Equal(t, ModeSettings, in.Mode)
	assert.False(t, in.Install[0].Completed, "the legacy list is not touched")

	var empty Integration
	assert.True(t, empty.InstallComplete())
	assert.Nil(t, empty.NextInstallStep())
}

func TestSettingsSectionsAndCommonResources(t *testing.T) {
	t.Parallel()
	var s Settings
	require.NoError(t, json.Unmarshal([]byte(`{"sections":[{"title":"Orders","id":"o","fields":[{"name":"x"}]},{"temp":"remove_me"}],
		"commonresources":{"nsConnectionId":"c1","nested":{"a":1}},"other":[1]}`), &s))

	sections, err := s.Sections()
	require.NoError(t, err)
	require.Len(t, sections, 2)
	assert.Equal(t, "Orders", sections[0].Title)
	var temp string
	ok, err := sections[1].Extra("temp", &temp)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "remove_me", temp)

	sections[0].Title = "Sales orders"
	require.NoError(t, sections[0].SetExtra("collapsed", true))
	require.NoError(t, s.SetSections(sections[:1]))

	common, err := s.CommonResources()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"nsConnectionId": "c1"}, common, "non-string members are left out of the view")
	require.NoError(t, s.SetCommonResource("shopConnectionId", "c2"))
	assert.ErrorIs(t, s.SetCommonResource("", "c2"), ErrInvalidArgument)

	out, err := json.Marshal(&s)
	require.NoError(t, err)
	assert.JSONEq(t, `{"sections":[{"title":"Sales orders","id":"o","fields":[{"name":"x"}],"collapsed":true}],
		"commonresources":{"nsConnectionId":"c1","nested":{"a":1},"shopConnectionId":"c2"},"other":[1]}`, string(out))

	var fresh Settings
	require.NoError(t, fresh.SetCommonResource("k", "v"))
	got, err := fresh.Sections()
	require.NoError(t, err)
	assert.Nil(t, got)
	out, err = json.Marshal(&fresh)
	require.NoError(t, err)
	assert.JSONEq(t, `{"commonresources":{"k":"v"}}`, string(out))
}
