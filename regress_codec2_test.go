package integratorio

import (
	"testing"
)

func TestChangedDocumentsKeepTheRest(t *testing.T) {
	var f Flow
	in := `{"_id":"a","name":"x","description":"a\/b \u00e9 \ud83d","lastModified":"2024-01-02T03:04:05.000Z","pageGenerators":[{"_exportId":"e","schedule":"? * * * * *","skipRetries":false,"z":"\ud83d","_keep":{"a":1}}],"pageProcessors":[{"type":"import","_importId":"i","responseMapping":{"fields":[]}}],"routers":[]}`
	if err := f.UnmarshalJSON([]byte(in)); err != nil {
		t.Fatal(err)
	}
	f.Name = "y"
	f.PageGenerators[0].Schedule = "? */5 * * * *"
	f.PageGenerators = append(f.PageGenerators, PageGenerator{ExportID: "e2"})
	f.PageProcessors[0].ProceedOnFailure = true
	out, _ := f.MarshalJSON()
	t.Logf("%s", out)
	want := `{"_id":"a","name":"y","description":"a\/b \u00e9 \ud83d","lastModified":"2024-01-02T03:04:05.000Z","pageGenerators":[{"_exportId":"e","schedule":"? */5 * * * *","skipRetries":false,"z":"\ud83d","_keep":{"a":1}},{"_exportId":"e2"}],"pageProcessors":[{"type":"import","_importId":"i","responseMapping":{"fields":[]},"proceedOnFailure":true}],"routers":[]}`
	if string(out) != want {
		t.Errorf("\n got %s\nwant %s", out, want)
	}

	var in2 Integration
	if err := in2.UnmarshalJSON([]byte(`{"_id":"i","settings":{"\ud83d":1,"n\u0061me":2,"a":{"b":"\ud83d"}},"installSteps":[{"name":"s","completed":false,"form":{"x":1}}],"lastModified":"2024-01-02T03:04:05.000Z"}`)); err != nil {
		t.Fatal(err)
	}
	_ = in2.Settings.Set("new", 1)
	_ = in2.Settings.Set("name", 3)
	in2.InstallSteps[0].Completed = true
	in2.UpdateInProgress = false
	in2.Version = "1.1.0"
	out, _ = in2.MarshalJSON()
	t.Logf("%s", out)
}
