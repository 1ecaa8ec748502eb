package integratorio

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The guarantees every resource on the shared layer gives, proven once
// for each: unknown members survive a read-modify-write, partial records
// are refused by Update, writes are never repeated, ids are validated,
// Update refuses another document's id, and Modify is serialised per id.

// conformance describes one resource to the suite.
type conformance[T any, P modifiable[T]] struct {
	// path is the collection's path, such as "/flows".
	path string
	// res reaches the resource layer behind the client's service.
	res func(*Client) *resource[T, P]
	// list lists with the given options, nil when the resource has none.
	list func(*Client, *ListOptions) iter.Seq2[*T, error]
	// clone clones id, nil when the resource has none.
	clone func(*Client, string) error
	// sample is a document with _id sampleID, a lastModified, and members
	// the model does not type, nested ones too.
	sample string
	// readOnly: the resource is only read (jobs).
	readOnly bool
	// trimmed: its list records always lack members (scripts).
	trimmed bool
}

const sampleID = "6b0e92c4a791ac036628c9a1"

func (k conformance[T, P]) run(t *testing.T) {
	t.Run("UnknownMembersSurviveAReadModifyWrite", k.unknownMembers)
	t.Run("IDsAreValidatedBeforeSending", k.ids)
	if k.readOnly {
		return
	}
	t.Run("PartialRecordsAreRefusedByUpdate", k.partial)
	t.Run("UpdateRefusesAnotherDocumentsID", k.mismatchedID)
	t.Run("WritesThatMayHaveArrivedAreNotRepeated", k.writesOnce)
	t.Run("IdempotentWritesAreRetried", k.idempotentRetried)
	t.Run("ModifyIsSerialisedPerID", k.modifySerialised)
	t.Run("MaskedSecretsAreRefusedOnEveryWrite", k.maskedRefused)
}

func (k conformance[T, P]) docURL() string { return testRoot + k.path + "/" + sampleID }

// unknownMembers: a document read with Get and written with Update sends
// every member the model does not type, as received.
func (k conformance[T, P]) unknownMembers(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, k.docURL(), jsonResponder(200, []byte(k.sample)))
	mt.RegisterResponder(http.MethodPut, k.docURL(), rec.wrap(jsonResponder(200, []byte(k.sample))))
	doc, err := k.res(c).Get(context.Background(), sampleID)
	require.NoError(t, err)
	out, err := json.Marshal(doc)
	require.NoError(t, err)
	requireSameJSON(t, []byte(k.sample), out)
	var generic map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(k.sample), &generic))
	require.NotEmpty(t, P(doc).codec().extraKeys(P(doc).doc()), "the sample has untyped members")
	for _, key := range P(doc).codec().extraKeys(P(doc).doc()) {
		assert.Contains(t, string(out), string(generic[key]), "member %q is written back as received", key)
	}
	if k.readOnly {
		return
	}
	_, err = k.res(c).Update(context.Background(), sampleID, doc)
	require.NoError(t, err)
	require.Len(t, rec.reqs, 1)
	requireSameJSON(t, []byte(k.sample), rec.reqs[0].Body)
}

// ids: an empty or malformed id is refused by every call, before sending.
func (k conformance[T, P]) ids(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	r := k.res(c)
	ctx := context.Background()
	for _, id := range []string{"", "a/b", "..", "a?b", "a#b", "a b", "%2e%2e", strings.Repeat("a", maxIDLength+1)} {
		_, err := r.Get(ctx, id)
		assert.ErrorIs(t, err, ErrInvalidArgument, "Get %q", id)
		if k.readOnly {
			continue
		}
		var zero T
		_, err = r.Update(ctx, id, &zero)
		assert.ErrorIs(t, err, ErrInvalidArgument, "Update %q", id)
		assert.ErrorIs(t, r.Patch(ctx, id, PatchOp{Op: "replace", Path: "/name", Value: "x"}), ErrInvalidArgument, "Patch %q", id)
		assert.ErrorIs(t, r.Delete(ctx, id), ErrInvalidArgument, "Delete %q", id)
		_, err = r.Modify(ctx, id, func(*T) error { return nil })
		assert.ErrorIs(t, err, ErrInvalidArgument, "Modify %q", id)
		if k.clone != nil {
			assert.ErrorIs(t, k.clone(c, id), ErrInvalidArgument, "Clone %q", id)
		}
	}
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
}

// partial: records from a projected list are refused by Update.
func (k conformance[T, P]) partial(t *testing.T) {
	t.Parallel()
	if k.list == nil {
		t.Skip("no list")
	}
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testRoot+k.path, jsonResponder(200, []byte("["+k.sample+"]")))
	docs, err := collect(k.list(c, &ListOptions{Include: []string{"name"}}))
	require.NoError(t, err)
	require.Len(t, docs, 1)
	assert.True(t, P(docs[0]).doc().partial)
	_, err = k.res(c).Update(context.Background(), sampleID, docs[0])
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Zero(t, mt.GetCallCountInfo()["PUT "+k.docURL()], "nothing is written")

	whole, err := collect(k.list(c, nil))
	require.NoError(t, err)
	if k.trimmed {
		assert.True(t, P(whole[0]).doc().partial, "the API's list records lack members: always partial")
		_, err = k.res(c).Update(context.Background(), sampleID, whole[0])
		require.ErrorIs(t, err, ErrInvalidArgument)
		assert.Zero(t, mt.GetCallCountInfo()["PUT "+k.docURL()], "nothing is written")
	} else {
		assert.False(t, P(whole[0]).doc().partial, "a list without Include or Exclude is whole")
	}
}

func (k conformance[T, P]) mismatchedID(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var doc T
	require.NoError(t, P(&doc).UnmarshalJSON([]byte(k.sample)))
	_, err := k.res(c).Update(context.Background(), "6b0e92c4a791ac036628c9ff", &doc)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), sampleID)
	assert.Zero(t, mt.GetTotalCallCount())
}

// writesOnce: a create, patch or clone whose connection failed after it
// was sent happens once and reports an unknown outcome.
func (k conformance[T, P]) writesOnce(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	dropped := httpmock.NewErrorResponder(errors.New("connection reset by peer"))
	mt.RegisterResponder(http.MethodPost, testRoot+k.path, dropped)
	mt.RegisterResponder(http.MethodPatch, k.docURL(), dropped)
	mt.RegisterResponder(http.MethodPost, k.docURL()+"/clone", dropped)
	ctx := context.Background()
	var doc T
	require.NoError(t, P(&doc).UnmarshalJSON([]byte(k.sample)))
	_, err := k.res(c).Create(ctx, &doc)
	assert.ErrorIs(t, err, ErrUnknownOutcome, "Create")
	assert.ErrorIs(t, k.res(c).Patch(ctx, sampleID, PatchOp{Op: "replace", Path: "/name", Value: "x"}), ErrUnknownOutcome, "Patch")
	if k.clone != nil {
		assert.ErrorIs(t, k.clone(c, sampleID), ErrUnknownOutcome, "Clone")
		assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+k.docURL()+"/clone"])
	}
	info := mt.GetCallCountInfo()
	assert.Equal(t, 1, info["POST "+testRoot+k.path], "Create is sent once")
	assert.Equal(t, 1, info["PATCH "+k.docURL()], "Patch is sent once")

	// A create sent but not written (the body lacks the read-only members).
	var rec recorder
	mt.RegisterResponder(http.MethodPost, testRoot+k.path, rec.wrap(jsonResponder(201, []byte(k.sample))))
	_, err = k.res(c).Create(ctx, &doc)
	require.NoError(t, err)
	require.Len(t, rec.reqs, 1)
	var sent map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(rec.reqs[0].Body, &sent))
	assert.NotContains(t, sent, "_id")
	assert.NotContains(t, sent, "lastModified")
}

// idempotentRetried: PUT, DELETE and GET are retried on a 503.
func (k conformance[T, P]) idempotentRetried(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	flaky := func(ok httpmock.Responder) httpmock.Responder {
		return jsonResponder(503, []byte(`{"errors":[{"code":"unavailable"}]}`)).Then(ok)
	}
	mt.RegisterResponder(http.MethodGet, k.docURL(), flaky(jsonResponder(200, []byte(k.sample))))
	mt.RegisterResponder(http.MethodPut, k.docURL(), flaky(jsonResponder(200, []byte(k.sample))))
	mt.RegisterResponder(http.MethodDelete, k.docURL(), flaky(httpmock.NewStringResponder(204, "")))
	ctx := context.Background()
	doc, err := k.res(c).Get(ctx, sampleID)
	require.NoError(t, err)
	_, err = k.res(c).Update(ctx, sampleID, doc)
	require.NoError(t, err)
	require.NoError(t, k.res(c).Delete(ctx, sampleID))
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		assert.Equal(t, 2, mt.GetCallCountInfo()[m+" "+k.docURL()], m)
	}
}

// modifySerialised: concurrent Modify calls of one client on one document
// lose no change, against a server that keeps the document.
func (k conformance[T, P]) modifySerialised(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var mu sync.Mutex
	stored := []byte(k.sample)
	version := 0
	mt.RegisterResponder(http.MethodGet, k.docURL(), func(*http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		return jsonResponder(200, stored)(nil)
	})
	mt.RegisterResponder(http.MethodPut, k.docURL(), func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		var doc map[string]any
		if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
			return nil, err
		}
		version++
		doc["lastModified"] = time.Date(2030, 1, 1, 0, 0, version, 0, time.UTC).Format(time.RFC3339)
		stored, _ = json.Marshal(doc)
		return jsonResponder(200, stored)(nil)
	})
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := k.res(c).Modify(context.Background(), sampleID, func(doc *T) error {
				var count int
				if _, err := P(doc).codec().getExtra(P(doc).doc(), "counter", &count); err != nil {
					return err
				}
				return P(doc).codec().setExtra(P(doc).doc(), "counter", count+1)
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var final map[string]any
	require.NoError(t, json.Unmarshal(stored, &final))
	assert.EqualValues(t, n, final["counter"])
	assert.Equal(t, n, mt.GetCallCountInfo()["PUT "+k.docURL()], "no Modify had to start over")
}

// maskedRefused: a document holding the API's mask for a secret is
// refused by Create, Update and Modify before sending, naming each path,
// and so is a Patch whose add or replace values hold it (a sub-object read
// back, say); AllowMaskedSecrets sends them.
func (k conformance[T, P]) maskedRefused(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, k.docURL(), jsonResponder(200, []byte(k.sample)))
	mt.RegisterResponder(http.MethodPut, k.docURL(), rec.wrap(jsonResponder(200, []byte(k.sample))))
	mt.RegisterResponder(http.MethodPost, testRoot+k.path, rec.wrap(jsonResponder(201, []byte(k.sample))))
	mt.RegisterResponder(http.MethodPatch, k.docURL(), rec.wrap(httpmock.NewStringResponder(204, "")))
	ctx := context.Background()
	var doc T
	require.NoError(t, P(&doc).UnmarshalJSON([]byte(k.sample)))
	require.NoError(t, P(&doc).codec().setExtra(P(&doc).doc(), "password", "******"))
	require.NoError(t, P(&doc).codec().setExtra(P(&doc).doc(), "http", map[string]any{
		"auth": map[string]any{"token": map[string]any{"token": "***"}, "not": "a*b", "two": "**"},
		"list": []any{"x", map[string]any{"a/b~c": "********"}},
	}))
	// An escaped mask is a mask too, whatever the case of its escapes.
	require.NoError(t, P(&doc).codec().setExtra(P(&doc).doc(), "escaped", json.RawMessage(`"\u002A\u002a\u002A"`)))
	want := []string{"/password", "/http/auth/token/token", "/http/list/1/a~1b~0c", "/escaped"}
	check := func(op string, err error) {
		t.Helper()
		require.ErrorIs(t, err, ErrMaskedSecret, op)
		require.ErrorIs(t, err, ErrInvalidArgument, op)
		var mse *MaskedSecretError
		require.ErrorAs(t, err, &mse, op)
		assert.ElementsMatch(t, want, mse.Paths, op)
		assert.Equal(t, op, mse.Op)
		for _, p := range want {
			assert.Contains(t, err.Error(), p, op)
		}
		assert.Contains(t, err.Error(), "Patch", "%s points to Patch", op)
	}
	_, err := k.res(c).Create(ctx, &doc)
	check("Create", err)
	_, err = k.res(c).Update(ctx, sampleID, &doc)
	check("Update", err)
	_, err = k.res(c).Modify(ctx, sampleID, func(d *T) error {
		return P(d).codec().setExtra(P(d).doc(), "password", "***")
	})
	require.ErrorIs(t, err, ErrMaskedSecret)
	ops := []PatchOp{
		{Op: "replace", Path: "/http", Value: map[string]any{"auth": map[string]any{"token": map[string]any{"token": "***"}, "not": "a*b"}}},
		{Op: "add", Path: "/password", Value: "******"},
		{Op: "test", Path: "/apiKey", Value: "******"}, // compares, writes nothing
		{Op: "remove", Path: "/old"},
		{Op: "replace", Path: "/list", Value: []any{"x", map[string]any{"a/b~c": json.RawMessage(`"\u002A\u002a\u002A"`)}}},
	}
	err = k.res(c).Patch(ctx, sampleID, ops...)
	require.ErrorIs(t, err, ErrMaskedSecret, "Patch")
	var mse *MaskedSecretError
	require.ErrorAs(t, err, &mse)
	assert.Equal(t, "Patch", mse.Op)
	assert.Equal(t, []string{"/http/auth/token/token", "/password", "/list/1/a~1b~0c"}, mse.Paths, "pointers into the document patched")
	assert.Empty(t, rec.reqs, "nothing is written")

	_, err = k.res(c).Update(AllowMaskedSecrets(ctx), sampleID, &doc)
	require.NoError(t, err)
	_, err = k.res(c).Create(AllowMaskedSecrets(ctx), &doc)
	require.NoError(t, err)
	require.NoError(t, k.res(c).Patch(AllowMaskedSecrets(ctx), sampleID, ops...))
	require.NoError(t, k.res(c).Patch(ctx, sampleID, PatchOp{Op: "replace", Path: "/name", Value: "a*b"}), "no mask, no refusal")
	require.Len(t, rec.reqs, 4)
	assert.Contains(t, string(rec.reqs[0].Body), `"password":"******"`, "sent as it is when allowed")
	assert.Contains(t, string(rec.reqs[2].Body), `{"op":"add","path":"/password","value":"******"}`, "sent as it is when allowed")
}

func TestConformanceIntegrations(t *testing.T) {
	t.Parallel()
	conformance[Integration, *Integration]{
		path: "/integrations",
		res:  func(c *Client) *resource[Integration, *Integration] { return c.Integrations.(*integrations).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*Integration, error] {
			return c.Integrations.All(context.Background(), o)
		},
		clone: func(c *Client, id string) error {
			_, err := c.Integrations.Clone(context.Background(), id, nil)
			return err
		},
		sample: `{"_id":"` + sampleID + `","name":"Shop","lastModified":"2024-01-02T03:04:05.000Z","flowGroupings":[{"_id":"g","name":"Orders","x":{"y":[1,2]}}],"settings":{"a":{"b":1}},"install":[{"name":"s","future":{"k":true}}]}`,
	}.run(t)
}

func TestConformanceFlows(t *testing.T) {
	t.Parallel()
	conformance[Flow, *Flow]{
		path: "/flows",
		res:  func(c *Client) *resource[Flow, *Flow] { return c.Flows.(*flows).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*Flow, error] {
			var fo *ResourceListOptions
			if o != nil {
				fo = &ResourceListOptions{ListOptions: *o}
			}
			return c.Flows.All(context.Background(), fo)
		},
		clone: func(c *Client, id string) error {
			_, err := c.Flows.Clone(context.Background(), id, &FlowCloneOptions{IntegrationID: "6b0e92c4a791ac036628c9a9"})
			return err
		},
		sample: `{"_id":"` + sampleID + `","name":"Orders","_integrationId":"i1","disabled":true,"schedule":"? */5 * * * *","lastModified":"2024-01-02T03:04:05.000Z",` +
			`"pageGenerators":[{"_exportId":"e1","_keepDeltaBehindFlowId":"f0","skipRetries":false}],` +
			`"pageProcessors":[{"type":"import","_importId":"i2","responseMapping":{"fields":[],"lists":[]},"hooks":{"postResponseMap":{"_scriptId":"s1","function":"f"}}}],` +
			`"routers":[{"id":"r1","branches":[{"name":"b","pageProcessors":[]}]}],"overrides":{"x":null},"_flowGroupingId":"g"}`,
	}.run(t)
}

func TestConformanceJobs(t *testing.T) {
	t.Parallel()
	conformance[Job, *Job]{
		path:     "/jobs",
		res:      func(c *Client) *resource[Job, *Job] { return c.Jobs.(*jobs).resource },
		readOnly: true,
		sample: `{"_id":"` + sampleID + `","type":"flow","status":"completed","_flowId":"f1","numError":2,"numSuccess":10,` +
			`"createdAt":"2024-01-02T03:04:05.123Z","lastModified":"2024-01-02T03:04:09.000Z","oIndex":3,"doneExporting":true,"errorFile":{"id":"x"}}`,
	}.run(t)
}

func TestConformanceConnections(t *testing.T) {
	t.Parallel()
	conformance[Connection, *Connection]{
		path: "/connections",
		res:  func(c *Client) *resource[Connection, *Connection] { return c.Connections.(*connections).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*Connection, error] {
			return c.Connections.All(context.Background(), scopedOpts(o))
		},
		sample: `{"_id":"` + sampleID + `","name":"Shopify","type":"http","offline":false,"lastModified":"2024-01-02T03:04:05.000Z",` +
			`"http":{"baseURI":"https://x.example","auth":{"type":"token","token":{"location":"header"}},"encrypted":{"k":1}},"queues":[{"name":"q","size":0}]}`,
	}.run(t)
}

func TestConformanceExports(t *testing.T) {
	t.Parallel()
	conformance[Export, *Export]{
		path: "/exports",
		res:  func(c *Client) *resource[Export, *Export] { return c.Exports.(*exports).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*Export, error] {
			return c.Exports.All(context.Background(), scopedOpts(o))
		},
		clone: func(c *Client, id string) error {
			_, err := c.Exports.Clone(context.Background(), id, nil)
			return err
		},
		sample: `{"_id":"` + sampleID + `","name":"Orders","adaptorType":"HTTPExport","_connectionId":"c1","lastModified":"2024-01-02T03:04:05.000Z",` +
			`"http":{"relativeURI":"/orders","method":"GET"},"hooks":{"preSavePage":{"_scriptId":"s"}},"type":"delta"}`,
	}.run(t)
}

func TestConformanceImports(t *testing.T) {
	t.Parallel()
	conformance[Import, *Import]{
		path: "/imports",
		res:  func(c *Client) *resource[Import, *Import] { return c.Imports.(*imports).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*Import, error] {
			return c.Imports.All(context.Background(), scopedOpts(o))
		},
		clone: func(c *Client, id string) error {
			_, err := c.Imports.Clone(context.Background(), id, nil)
			return err
		},
		sample: `{"_id":"` + sampleID + `","name":"Orders to NS","adaptorType":"NetSuiteDistributedImport","_connectionId":"c2","lastModified":"2024-01-02T03:04:05.000Z",` +
			`"mapping":{"fields":[{"extract":"a","generate":"b"}]},"netsuite_da":{"recordType":"salesorder"}}`,
	}.run(t)
}

func TestConformanceScripts(t *testing.T) {
	t.Parallel()
	conformance[Script, *Script]{
		path: "/scripts",
		res:  func(c *Client) *resource[Script, *Script] { return c.Scripts.(*scripts).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*Script, error] {
			return c.Scripts.All(context.Background(), o)
		},
		trimmed: true,
		sample:  `{"_id":"` + sampleID + `","name":"hooks","content":"function f(o) { return o }","lastModified":"2024-01-02T03:04:05.000Z","debugUntil":null,"_sourceId":"x"}`,
	}.run(t)
}

func TestConformanceUsers(t *testing.T) {
	t.Parallel()
	conformance[User, *User]{
		path: "/ashares",
		res:  func(c *Client) *resource[User, *User] { return c.Users.(*users).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*User, error] {
			return c.Users.All(context.Background(), scopedOpts(o))
		},
		sample: `{"_id":"` + sampleID + `","_sharedWithUserId":"p1","accessLevel":"monitor","accepted":true,"disabled":false,"dismissed":false,"lastModified":"2024-01-02T03:04:05.000Z",` +
			`"integrationAccessLevel":[{"_integrationId":"i1","accessLevel":"manage","future":{"x":1}}],"sharedWithUser":{"_id":"p1","email":"ann@example.com","name":"Ann","lastSignIn":"2024-01-01T00:00:00.000Z"}}`,
	}.run(t)
}

func TestConformanceIClients(t *testing.T) {
	t.Parallel()
	conformance[IClient, *IClient]{
		path: "/iclients",
		res:  func(c *Client) *resource[IClient, *IClient] { return c.IClients.(*iClients).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*IClient, error] {
			return c.IClients.All(context.Background(), o)
		},
		sample: `{"_id":"` + sampleID + `","name":"Shop OAuth","provider":"custom_oauth2","lastModified":"2024-01-02T03:04:05.000Z",` +
			`"oauth2":{"clientId":"cid","scope":["read"],"auth":{"uri":"https://x.example/auth"}}}`,
	}.run(t)
}

func TestConformanceConnectors(t *testing.T) {
	t.Parallel()
	conformance[Connector, *Connector]{
		path: "/connectors",
		res:  func(c *Client) *resource[Connector, *Connector] { return c.Connectors.(*connectors).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*Connector, error] {
			return c.Connectors.All(context.Background(), o)
		},
		sample: `{"_id":"` + sampleID + `","name":"Shop - ERP","published":true,"managed":true,"_integrationId":"i1","lastModified":"2024-01-02T03:04:05.000Z",` +
			`"installerFunction":"install","applications":["shop","erp"],"_stackId":"s1","twoDotZero":{"editions":[{"_id":"e"}]}}`,
	}.run(t)
}

func TestConformanceLicenses(t *testing.T) {
	t.Parallel()
	conformance[License, *License]{
		path: "/connectors/c1/licenses",
		res: func(c *Client) *resource[License, *License] {
			return c.Connectors.Licenses("c1").(*licenses).resource
		},
		list: func(c *Client, o *ListOptions) iter.Seq2[*License, error] {
			return c.Connectors.Licenses("c1").All(context.Background(), o)
		},
		sample: `{"_id":"` + sampleID + `","email":"ann@example.com","expires":"2030-01-01T00:00:00.000Z","_connectorId":"c1","lastModified":"2024-01-02T03:04:05.000Z",` +
			`"opts":{"edition":"premium","limits":{"flows":10}},"sandbox":false}`,
	}.run(t)
}

func TestConformanceEnvironments(t *testing.T) {
	t.Parallel()
	conformance[Environment, *Environment]{
		path: "/environments",
		res:  func(c *Client) *resource[Environment, *Environment] { return c.Environments.(*environments).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*Environment, error] {
			return c.Environments.All(context.Background(), o)
		},
		sample: `{"_id":"` + sampleID + `","name":"Staging","enabled":true,"lastModified":"2024-01-02T03:04:05.000Z","color":{"hex":"#abc"},"default":false}`,
	}.run(t)
}

func TestConformanceTags(t *testing.T) {
	t.Parallel()
	conformance[Tag, *Tag]{
		path: "/tags",
		res:  func(c *Client) *resource[Tag, *Tag] { return c.Tags.(*tags).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*Tag, error] {
			return c.Tags.All(context.Background(), o)
		},
		sample: `{"_id":"` + sampleID + `","tag":"urgent","tagId":"t-1","lastModified":"2024-01-02T03:04:05.000Z","meta":{"color":"red"}}`,
	}.run(t)
}

func TestConformanceLookupCaches(t *testing.T) {
	t.Parallel()
	conformance[LookupCache, *LookupCache]{
		path: "/lookupcaches",
		res:  func(c *Client) *resource[LookupCache, *LookupCache] { return c.LookupCaches.(*lookupCaches).resource },
		list: func(c *Client, o *ListOptions) iter.Seq2[*LookupCache, error] {
			return c.LookupCaches.All(context.Background(), o)
		},
		sample: `{"_id":"` + sampleID + `","name":"SKUs","description":"d","lastModified":"2024-01-02T03:04:05.000Z","_integrationId":"i1","settings":{"ttl":{"days":3}},"keys":["a"]}`,
	}.run(t)
}

func scopedOpts(o *ListOptions) *ResourceListOptions {
	if o == nil {
		return nil
	}
	return &ResourceListOptions{ListOptions: *o}
}

// fuzzRoundTrip proves for one model that decoding and encoding keep the
// document: the encoding holds the same JSON as the input, and a second
// round trip is stable.
func fuzzRoundTrip[T any, P model[T]](f *testing.F, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"_id":"a","name":null,"disabled":"yes","numError":"x","pageGenerators":[{"skipRetries":1}],"z":[1,{"q":null}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		var v T
		if P(&v).UnmarshalJSON(doc) != nil {
			return
		}
		var generic any
		if json.Unmarshal(doc, &generic) != nil || generic == nil {
			return
		}
		out, err := json.Marshal(&v)
		require.NoError(t, err)
		requireSameJSON(t, doc, out)
		requireNoDuplicateKeys(t, out)
		var again T
		require.NoError(t, P(&again).UnmarshalJSON(out))
		out2, err := json.Marshal(&again)
		require.NoError(t, err)
		require.Equal(t, string(out), string(out2), "a second round trip is stable")
	})
}

func FuzzFlowRoundTrip(f *testing.F) {
	fuzzRoundTrip[Flow](f, `{"_id":"f","pageGenerators":[{"_exportId":"e"}],"pageProcessors":[{"type":"export","_exportId":"l","x":1}]}`,
		`{"_id":"f","routers":[{"id":"r","branches":[{"name":"b","inputFilter":{},"pageProcessors":[{"type":"import","_importId":"i"}]}],"script":{}}]}`)
}

func FuzzStepErrorsRoundTrip(f *testing.F) {
	fuzzRoundTrip[StepErrors](f, `{"_expOrImpId":"s","numError":3,"lastErrorAt":"2024-01-02T03:04:05.123Z","x":[1]}`)
}

func FuzzJobRoundTrip(f *testing.F) {
	fuzzRoundTrip[Job](f, `{"_id":"j","status":"running","numError":1,"createdAt":"2024-01-02T03:04:05.123Z","x":{}}`)
}

func FuzzFlowErrorRoundTrip(f *testing.F) {
	fuzzRoundTrip[FlowError](f, `{"errorId":"e","occurredAt":"2024-01-02T03:04:05.123Z","oIndex":1,"retryDataKey":"k"}`)
}

func FuzzRunResultRoundTrip(f *testing.F) {
	fuzzRoundTrip[RunResult](f, `{"_jobId":"j","flowExecutionGroupId":"g"}`)
}

func FuzzConnectionRoundTrip(f *testing.F) {
	fuzzRoundTrip[Connection](f, `{"_id":"c","type":"http","http":{"auth":{"token":{"token":"******"}}},"debugDate":"2030-01-01T00:00:00.000Z"}`)
}

func FuzzExportRoundTrip(f *testing.F) {
	fuzzRoundTrip[Export](f, `{"_id":"e","adaptorType":"HTTPExport","isLookup":true,"http":{}}`)
}

func FuzzImportRoundTrip(f *testing.F) {
	fuzzRoundTrip[Import](f, `{"_id":"i","adaptorType":"AiAgentImport","mapping":{"fields":[]}}`)
}

func FuzzScriptRoundTrip(f *testing.F) {
	fuzzRoundTrip[Script](f, `{"_id":"s","content":"a\u2028b <&>"}`)
}

func FuzzInstallRoundTrip(f *testing.F) {
	fuzzRoundTrip[Install](f, `{"_id":"i","_integrationId":"n","version":"1.0.0","x":[1]}`)
}

// Every service names the same thing the same way: each Clone returns a
// *Cloned[T] of the service's model, and no two List option types have
// one shape (flows, connections, exports and imports share
// ResourceListOptions).
func TestServicesNameTheSameThingsTheSameWay(t *testing.T) {
	clientType := reflect.TypeOf(Client{})
	shapes := map[string]reflect.Type{} // the fields of a List option type: the type
	clones, lists := 0, 0
	for i := range clientType.NumField() {
		f := clientType.Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Interface {
			continue
		}
		if m, ok := f.Type.MethodByName("Clone"); ok {
			clones++
			out := m.Type.Out(0)
			assert.True(t, out.Kind() == reflect.Pointer && strings.HasPrefix(out.Elem().Name(), "Cloned["),
				"%s.Clone returns %v, want a *Cloned[T] like every other clone", f.Name, out)
		}
		if m, ok := f.Type.MethodByName("List"); ok {
			lists++
			opts := m.Type.In(1).Elem()
			var shape []string
			for j := range opts.NumField() {
				shape = append(shape, opts.Field(j).Name+" "+opts.Field(j).Type.String()+" "+string(opts.Field(j).Tag))
			}
			key := strings.Join(shape, "; ")
			if other, ok := shapes[key]; ok && other != opts {
				t.Errorf("%s.List takes %v, which has the shape of %v: use one type", f.Name, opts, other)
			}
			shapes[key] = opts
		}
	}
	assert.GreaterOrEqual(t, clones, 4, "services with Clone")
	assert.GreaterOrEqual(t, lists, 7, "services with List")
}

// A user's integration access records are round-tripped through the user.
func FuzzUserRoundTrip(f *testing.F) {
	fuzzRoundTrip[User](f, `{"_id":"u","integrationAccessLevel":[{"_integrationId":"i","accessLevel":"monitor","z":null},null,{"q":[1]}]}`, `{"_id":"u","accessLevel":"monitor","integrationAccessLevel":[{"_integrationId":"i","accessLevel":"manage","x":1}],"sharedWithUser":{"email":"a@b.c","name":"A","y":[]},"disabled":true}`)
}

func FuzzSharedUserRoundTrip(f *testing.F) {
	fuzzRoundTrip[SharedUser](f, `{"_id":"p","email":"a@b.c","name":"A \u00e9","lastSignIn":"2024-01-01T00:00:00.000Z"}`)
}

func FuzzIClientRoundTrip(f *testing.F) {
	fuzzRoundTrip[IClient](f, `{"_id":"c","provider":"custom_oauth2","oauth2":{"clientSecret":"******"}}`)
}

func FuzzConnectorRoundTrip(f *testing.F) {
	fuzzRoundTrip[Connector](f, `{"_id":"c","name":"n","published":true,"managed":"yes","applications":[]}`)
}

func FuzzLicenseRoundTrip(f *testing.F) {
	fuzzRoundTrip[License](f, `{"_id":"l","email":"a@b.c","expires":"2030-01-01T00:00:00Z","opts":{}}`, `{"_id":"l","expires":null}`)
}

func FuzzEnvironmentRoundTrip(f *testing.F) {
	fuzzRoundTrip[Environment](f, `{"_id":"e","name":"Sandbox","enabled":false,"x":{}}`)
}

func FuzzTagRoundTrip(f *testing.F) {
	fuzzRoundTrip[Tag](f, `{"_id":"t","tag":"a","tagId":"1"}`)
}

func FuzzLookupCacheRoundTrip(f *testing.F) {
	fuzzRoundTrip[LookupCache](f, `{"_id":"l","name":"SKUs","x":{"y":[1,null]}}`)
}

func FuzzAuditEntryRoundTrip(f *testing.F) {
	fuzzRoundTrip[AuditEntry](f, `{"_id":"a","resourceType":"flow","_resourceId":"f","action":"update","time":"2024-01-02T03:04:05.123Z","fieldChange":{"oldValue":1}}`)
}

func FuzzRevisionRoundTrip(f *testing.F) {
	fuzzRoundTrip[Revision](f, `{"_id":"r","type":"snapshot","status":"completed","createdAt":"2024-01-02T03:04:05.123Z","_createdByUserId":"u"}`)
}

func FuzzDeletedDocumentRoundTrip(f *testing.F) {
	fuzzRoundTrip[DeletedDocument](f, `{"model":"Import","doc":{"_id":"i","name":"a","http":{"method":"GET"}},"deletedAt":"2024-01-02T03:04:05.123Z"}`)
}
