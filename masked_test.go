package integratorio

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every write that takes a value, not only a document, refuses one holding
// the mask before sending, naming each path, and sends it under
// AllowMaskedSecrets: State.Put, LookupCaches.PutData (paths start with
// each entry's key), Exports.Invoke, Flows.Run and Client.Do (Create,
// Update, Modify and Patch: the conformance suite).
func TestEveryWriteOfAValueRefusesMaskedSecrets(t *testing.T) {
	t.Parallel()
	value := map[string]any{"auth": map[string]any{"token": "******"}, "list": []any{"x", json.RawMessage(`"\u002a\u002a\u002a"`)}}
	want := []string{"/auth/token", "/list/1"}
	for name, call := range map[string]struct {
		method, url string
		op          string
		do          func(context.Context, *Client) error
	}{
		"State.Put": {http.MethodPut, testRoot + "/state/k", "Put", func(ctx context.Context, c *Client) error {
			return c.State.Put(ctx, "k", value)
		}},
		"State.Of.Put": {http.MethodPut, testRoot + "/imports/m1/state/k", "Put", func(ctx context.Context, c *Client) error {
			return c.State.Of("imports", "m1").Put(ctx, "k", value)
		}},
		"LookupCaches.PutData": {http.MethodPost, testRoot + "/lookupcaches/l1/data", "PutData", func(ctx context.Context, c *Client) error {
			b, err := json.Marshal(value["auth"])
			if err != nil {
				return err
			}
			return c.LookupCaches.PutData(ctx, "l1", []LookupCacheEntry{{Key: "a", Value: json.RawMessage(`1`)}, {Key: "auth", Value: b}, {Key: "list", Value: json.RawMessage(`["x","\u002a\u002a\u002a"]`)}})
		}},
		"Exports.Invoke": {http.MethodPost, testRoot + "/exports/e1/invoke", "Invoke", func(ctx context.Context, c *Client) error {
			_, err := c.Exports.Invoke(ctx, "e1", value)
			return err
		}},
		"Flows.Run": {http.MethodPost, testRoot + "/flows/f1/run", "Run", func(ctx context.Context, c *Client) error {
			_, err := c.Flows.Run(ctx, "f1", &RunOptions{Body: value})
			return err
		}},
		"Do": {http.MethodPost, testRoot + "/iClients", "Do", func(ctx context.Context, c *Client) error {
			return c.Do(ctx, http.MethodPost, "/iClients", value, nil)
		}},
		"Do with a raw body": {http.MethodPut, testRoot + "/iClients/i1", "Do", func(ctx context.Context, c *Client) error {
			b, err := json.Marshal(value)
			if err != nil {
				return err
			}
			return c.Do(ctx, http.MethodPut, "/iClients/i1", json.RawMessage(b), nil)
		}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(call.method, call.url, httpmock.NewStringResponder(200, `{"_jobId":"j1"}`))
			err := call.do(context.Background(), c)
			require.ErrorIs(t, err, ErrMaskedSecret)
			require.ErrorIs(t, err, ErrInvalidArgument)
			var mse *MaskedSecretError
			require.ErrorAs(t, err, &mse)
			assert.Equal(t, call.op, mse.Op)
			assert.Equal(t, want, mse.Paths)
			assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")

			require.NoError(t, call.do(AllowMaskedSecrets(context.Background()), c))
			assert.Equal(t, 1, mt.GetCallCountInfo()[call.method+" "+call.url], "sent once when allowed")
		})
	}
}

// MaskedSecretError.Paths never carries a member name that is the token.
func TestMaskedSecretPathsAreRedacted(t *testing.T) {
	t.Parallel()
	c, mt := regressionClient(t)
	mt.RegisterResponder("GET", "=~/connections/c1$", httpmock.NewStringResponder(200, `{"_id":"c1","name":"n","http":{"`+testToken+`":"******"}}`))
	conn, err := c.Connections.Get(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Connections.Update(context.Background(), "c1", conn)
	var mse *MaskedSecretError
	if !errors.As(err, &mse) {
		t.Fatal(err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("Error() holds the token")
	}
	for _, p := range mse.Paths {
		if strings.Contains(p, testToken) {
			t.Errorf("MaskedSecretError.Paths holds the token: %q", p)
		}
	}
}

// A mask written with upper-case \u escapes is refused like any other.
func TestMaskedSecretWithUpperCaseEscapesIsRefused(t *testing.T) {
	t.Parallel()
	c, mt := regressionClient(t)
	mt.RegisterResponder("GET", "=~/connections/c1$", httpmock.NewStringResponder(200,
		`{"_id":"c1","name":"n","rest":{"bearerToken":"\u002A\u002A\u002A\u002A\u002A\u002A"}}`))
	var puts atomic.Int32
	mt.RegisterResponder("PUT", "=~/connections/c1$", func(r *http.Request) (*http.Response, error) {
		puts.Add(1)
		b, _ := io.ReadAll(r.Body)
		t.Logf("PUT body: %s", b)
		return httpmock.NewStringResponse(200, `{"_id":"c1"}`), nil
	})
	conn, err := c.Connections.Get(context.Background(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Connections.Update(context.Background(), "c1", conn)
	if !errors.Is(err, ErrMaskedSecret) || puts.Load() != 0 {
		t.Errorf("Update: err %v, %d PUTs sent; want ErrMaskedSecret and nothing sent", err, puts.Load())
	}
}
