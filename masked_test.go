package integratorio

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every write that takes a value, not only a document, refuses one holding
// the mask before sending, naming each path, and sends it under
// AllowMaskedSecrets: State.Put, Exports.Invoke, Flows.Run and Client.Do
// (Create, Update, Modify and Patch: the conformance suite).
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
