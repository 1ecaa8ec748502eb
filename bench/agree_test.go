package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/integratorio-go/integratorio"
)

// view is the typed content of an integration, in a form both the SDK's
// and the baseline's values convert to, so the two can be compared.
type view struct {
	ID, Name, Description, Readme string
	Mode                          integratorio.Mode
	Version                       string
	UpdateInProgress              bool
	ConnectorID, TemplateID       string
	Sandbox                       bool
	Tag                           string
	Install, InstallSteps         []baseInstallStep
	UninstallSteps                []baseInstallStep
	Settings                      string // compact JSON; "" when absent
	RegisteredConnectionIDs       []string
	LastModified, CreatedAt       string // RFC 3339; "" when zero
}

func compactJSON(t *testing.T, raw []byte) string {
	t.Helper()
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatalf("settings are not JSON: %v", err)
	}
	return buf.String()
}

func timeString(tm time.Time) string {
	if tm.IsZero() {
		return ""
	}
	return tm.UTC().Format(time.RFC3339Nano)
}

func stepsOf(steps []integratorio.InstallStep) []baseInstallStep {
	var out []baseInstallStep
	for _, s := range steps {
		out = append(out, baseInstallStep{
			Name: s.Name, Description: s.Description, ImageURL: s.ImageURL, Completed: s.Completed,
			InstallerFunction: s.InstallerFunction, UninstallerFunction: s.UninstallerFunction,
			ConnectionID: s.ConnectionID, InstallURL: s.InstallURL, Type: s.Type,
		})
	}
	return out
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

func sdkView(t *testing.T, in *integratorio.Integration) view {
	t.Helper()
	v := view{
		ID: in.ID, Name: in.Name, Description: in.Description, Readme: in.Readme, Mode: in.Mode,
		Version: in.Version, UpdateInProgress: in.UpdateInProgress, ConnectorID: in.ConnectorID,
		TemplateID: in.TemplateID, Sandbox: in.Sandbox, Tag: in.Tag,
		Install: stepsOf(in.Install), InstallSteps: stepsOf(in.InstallSteps), UninstallSteps: stepsOf(in.UninstallSteps),
		RegisteredConnectionIDs: nilIfEmpty(in.RegisteredConnectionIDs),
		LastModified:            timeString(in.LastModified), CreatedAt: timeString(in.CreatedAt),
	}
	if in.Settings != nil {
		raw, err := in.Settings.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		v.Settings = compactJSON(t, raw)
	}
	return v
}

func baseView(t *testing.T, in *baseIntegration) view {
	t.Helper()
	return view{
		ID: in.ID, Name: in.Name, Description: in.Description, Readme: in.Readme, Mode: in.Mode,
		Version: in.Version, UpdateInProgress: in.UpdateInProgress, ConnectorID: in.ConnectorID,
		TemplateID: in.TemplateID, Sandbox: in.Sandbox, Tag: in.Tag,
		Install: nilIfEmpty(in.Install), InstallSteps: nilIfEmpty(in.InstallSteps), UninstallSteps: nilIfEmpty(in.UninstallSteps),
		Settings:                compactJSON(t, in.Settings),
		RegisteredConnectionIDs: nilIfEmpty(in.RegisteredConnectionIDs),
		LastModified:            timeString(in.LastModified), CreatedAt: timeString(in.CreatedAt),
	}
}

func topLevelKeys(t *testing.T, doc []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestListDocuments checks that the listing's documents are what the list
// benchmarks claim: about 2 KB each, distinct, with members the SDK keeps
// without typing them.
func TestListDocuments(t *testing.T) {
	seen := map[string]bool{}
	for i := range 50 {
		doc := listDoc(i)
		if len(doc) < 1500 || len(doc) > 2600 {
			t.Errorf("document %d is %d bytes, want about 2 KB", i, len(doc))
		}
		var in integratorio.Integration
		if err := json.Unmarshal(doc, &in); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		if seen[in.ID] {
			t.Errorf("document %d repeats id %s", i, in.ID)
		}
		seen[in.ID] = true
		for _, k := range []string{"flowGroupings", "preSave", "installedBy", "_sourceId"} {
			if !slices.Contains(in.ExtraKeys(), k) {
				t.Errorf("document %d: %q is not kept as an unknown member (have %v)", i, k, in.ExtraKeys())
			}
		}
	}
}

// TestSDKAndBaselineAgree checks that both sides of every benchmark do the
// same work: they read the same typed values from the same answers, and
// the PUT bodies carry the same typed values (the SDK's with every member
// of the document, the baseline's with the typed ones only).
func TestSDKAndBaselineAgree(t *testing.T) {
	f := newFixture(3, 4)
	defer f.Close()
	f.record = true
	sdk, base := f.clients(t)
	ctx := context.Background()

	t.Run("Get", func(t *testing.T) {
		got, err := sdk.Integrations.Get(ctx, seedID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := base.get(ctx, seedID)
		if err != nil {
			t.Fatal(err)
		}
		gv, wv := sdkView(t, got), baseView(t, want)
		if !reflect.DeepEqual(gv, wv) {
			t.Errorf("SDK read\n%+v\nbaseline read\n%+v", gv, wv)
		}
		if len(gv.Install) != 4 || gv.Settings == "" || gv.ConnectorID == "" {
			t.Errorf("the sample's install steps, settings or connector id were not read: %+v", gv)
		}
	})

	t.Run("GetMinimal", func(t *testing.T) {
		got, err := sdk.Integrations.Get(ctx, minimalID)
		if err != nil {
			t.Fatal(err)
		}
		want, err := base.get(ctx, minimalID)
		if err != nil {
			t.Fatal(err)
		}
		if gv, wv := sdkView(t, got), baseView(t, want); !reflect.DeepEqual(gv, wv) || gv.Name != "Minimal" {
			t.Errorf("SDK read\n%+v\nbaseline read\n%+v", gv, wv)
		}
	})

	t.Run("Update", func(t *testing.T) {
		var sin integratorio.Integration
		var bin baseIntegration
		if err := json.Unmarshal(f.rich, &sin); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(f.rich, &bin); err != nil {
			t.Fatal(err)
		}
		got, err := sdk.Integrations.Update(ctx, richID, &sin)
		if err != nil {
			t.Fatal(err)
		}
		sdkPut := f.lastPutBody()
		want, err := base.update(ctx, richID, &bin)
		if err != nil {
			t.Fatal(err)
		}
		basePut := f.lastPutBody()
		if gv, wv := sdkView(t, got), baseView(t, want); !reflect.DeepEqual(gv, wv) {
			t.Errorf("SDK read\n%+v\nbaseline read\n%+v", gv, wv)
		}

		var sentSDK, sentBase baseIntegration
		if err := json.Unmarshal(sdkPut, &sentSDK); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(basePut, &sentBase); err != nil {
			t.Fatal(err)
		}
		if gv, wv := baseView(t, &sentSDK), baseView(t, &sentBase); !reflect.DeepEqual(gv, wv) {
			t.Errorf("SDK sent\n%+v\nbaseline sent\n%+v", gv, wv)
		}
		all := topLevelKeys(t, f.rich)
		if got := topLevelKeys(t, sdkPut); !reflect.DeepEqual(got, all) {
			t.Errorf("SDK sent members %v, want every member of the document %v", got, all)
		}
		if got := topLevelKeys(t, basePut); len(got) >= len(all) {
			t.Errorf("baseline sent %d members, want fewer than the document's %d", len(got), len(all))
		}
	})

	t.Run("List", func(t *testing.T) {
		var want []view
		pages := 0
		err := base.eachPage(ctx, func(page []baseIntegration) bool {
			pages++
			for i := range page {
				want = append(want, baseView(t, &page[i]))
			}
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if pages != 3 || len(want) != f.totalDocs() {
			t.Fatalf("baseline read %d documents in %d pages, want %d in 3", len(want), pages, f.totalDocs())
		}
		var got []view
		for in, err := range sdk.Integrations.All(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, sdkView(t, in))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("All and the baseline read different documents:\n%+v\n%+v", got, want)
		}
		list, err := sdk.Integrations.List(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		all, err := base.list(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != len(want) || len(all) != len(want) {
			t.Fatalf("List read %d and the baseline %d documents, want %d", len(list), len(all), len(want))
		}
		for i := range list {
			if gv, wv := sdkView(t, list[i]), baseView(t, &all[i]); !reflect.DeepEqual(gv, wv) {
				t.Errorf("document %d: List read\n%+v\nthe baseline\n%+v", i, gv, wv)
			}
		}
	})
}
