package integratorio

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"
	"unsafe"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDoReachesUntypedEndpointsOnTheSamePath(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var rec recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/iClients/ic1",
		rec.wrap(jsonResponder(503, nil).Then(rec.wrap(jsonResponder(200, []byte(`{"_id":"ic1","provider":"x"}`))))))
	mt.RegisterResponder(http.MethodPost, testRoot+"/flows/f1/audit", rec.wrap(jsonResponder(502, []byte(`{"errors":[{"code":"bad_gateway"}]}`))))
	mt.RegisterResponder(http.MethodPut, testRoot+"/state/k", rec.wrap(httpmock.NewStringResponder(200, "OK")))
	ctx := context.Background()

	var out struct {
		ID       string `json:"_id"`
		Provider string `json:"provider"`
	}
	require.NoError(t, c.Do(ctx, http.MethodGet, "/iClients/ic1", nil, &out))
	assert.Equal(t, "x", out.Provider)
	assert.Equal(t, 2, mt.GetCallCountInfo()["GET "+testRoot+"/iClients/ic1"], "a GET is retried")
	assert.Equal(t, "Bearer "+testToken, rec.reqs[0].Header.Get("Authorization"))

	var raw json.RawMessage
	require.NoError(t, c.Do(ctx, http.MethodGet, "/iClients/ic1?include=provider", nil, &raw))
	assert.JSONEq(t, `{"_id":"ic1","provider":"x"}`, string(raw))
	assert.Equal(t, "include=provider", rec.reqs[len(rec.reqs)-1].RawQuery)

	err := c.Do(ctx, http.MethodPost, "/flows/f1/audit", map[string]int{"limit": 1}, nil)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "bad_gateway", apiErr.Code())
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+testRoot+"/flows/f1/audit"], "a POST answered 5xx is not repeated")
	assert.JSONEq(t, `{"limit":1}`, string(rec.reqs[len(rec.reqs)-1].Body))

	// A pre-encoded body goes as it is; a plain-text answer with out nil is fine.
	require.NoError(t, c.Do(ctx, http.MethodPut, "/state/k", []byte(`{"a": 1}`), nil))
	assert.Equal(t, `{"a": 1}`, string(rec.reqs[len(rec.reqs)-1].Body))
	// Decoding a plain-text answer into a value is an unexpected response.
	var v map[string]any
	err = c.Do(ctx, http.MethodPut, "/state/k", json.RawMessage(`1`), &v)
	assert.ErrorIs(t, err, ErrUnexpectedResponse)

	mt.RegisterResponder(http.MethodPost, testRoot+"/exports/e1/invoke", httpmock.NewErrorResponder(errors.New("connection reset by peer")))
	err = c.Do(ctx, http.MethodPost, "/exports/e1/invoke", nil, nil)
	assert.ErrorIs(t, err, ErrUnknownOutcome)
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+testRoot+"/exports/e1/invoke"])
}

func TestDoRefusesBadInput(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	for _, k := range []struct{ method, path string }{
		{"get", "/x"}, {"", "/x"}, {"G T", "/x"},
		{"GET", "x"}, {"GET", ""}, {"GET", "/a/../b"}, {"GET", "/a b"}, {"GET", "/a#b"}, {"GET", "/a?%zz"}, {"GET", "/a\n"},
	} {
		assert.ErrorIs(t, c.Do(ctx, k.method, k.path, nil, nil), ErrInvalidArgument, "%q %q", k.method, k.path)
	}
	assert.ErrorIs(t, c.Do(ctx, http.MethodPost, "/x", make(chan int), nil), ErrInvalidArgument, "a body that cannot be encoded")
	assert.Zero(t, mt.GetTotalCallCount())
}

// Do refuses "." and ".." segments, percent-encoded too.
func TestDoRefusesEncodedDotSegments(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var got string
	mt.RegisterResponder("GET", "=~.*", func(r *http.Request) (*http.Response, error) {
		got = r.URL.EscapedPath() + " (Path " + r.URL.Path + ")"
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	err := c.Do(context.Background(), "GET", "/%2e%2e/%2E%2E/admin", nil, nil)
	if !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Do(\"/%%2e%%2e/%%2E%%2E/admin\"): err = %v, sent %s; want ErrInvalidArgument", err, got)
	}
	assert.Zero(t, mt.GetTotalCallCount())
}

// An out that encoding/json cannot decode into is refused before the
// request is sent: a POST sent first would act on the server and then
// fail as an unknown outcome. What it can decode into is accepted.
func TestDoRefusesAnOutItCannotDecodeIntoBeforeSending(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testRoot+"/iClients", jsonResponder(201, []byte(`{"_id":"x","at":"2024-01-02T03:04:05Z"}`)))
	ctx := context.Background()
	var typedNil *map[string]any
	for _, out := range []any{
		new(chan int), new(func()), new(complex128), new(unsafe.Pointer), new(error),
		new([]chan int), new([2]func()), new(map[string]chan int), new(map[[2]int]string), new(*chan int),
		map[string]any{}, struct{}{}, typedNil,
	} {
		err := c.Do(ctx, http.MethodPost, "/iClients", map[string]any{"name": "n"}, out)
		assert.ErrorIs(t, err, ErrInvalidArgument, "%T", out)
		assert.NotErrorIs(t, err, ErrUnknownOutcome, "%T", out)
	}
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")

	for _, out := range []any{
		new(any), new(map[string]any), new(map[string]string), new(struct {
			ID string    `json:"_id"`
			At time.Time `json:"at"`
		}), new(json.RawMessage), new(*map[string]json.RawMessage), new(Integration),
	} {
		require.NoError(t, c.Do(ctx, http.MethodPost, "/iClients", map[string]any{"name": "n"}, out), "%T", out)
	}
	assert.Equal(t, 7, mt.GetTotalCallCount())
}

// A nil *json.RawMessage as out is refused before the request is sent,
// instead of a panic after it.
func TestDoRefusesANilRawMessageOutBeforeSending(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testRoot+"/iClients", httpmock.NewStringResponder(http.StatusCreated, `{"_id":"x"}`))
	var out *json.RawMessage
	var err error
	require.NotPanics(t, func() { err = c.Do(context.Background(), http.MethodPost, "/iClients", map[string]any{}, out) })
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
}

// Do refuses a non-pointer out before sending the POST.
func TestDoChecksOutBeforeSending(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, testRoot+"/iClients", httpmock.NewStringResponder(http.StatusCreated, `{"_id":"x"}`))
	var out struct {
		ID string `json:"_id"`
	}
	err := c.Do(context.Background(), http.MethodPost, "/iClients", map[string]string{"name": "n"}, out) // not &out
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.NotErrorIs(t, err, ErrUnknownOutcome)
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
}

// Do refuses spaces and control characters in the query as in the path.
func TestDoRefusesSpacesInTheQuery(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, `=~.*`, httpmock.NewStringResponder(http.StatusOK, `{}`))
	for _, path := range []string{"/flows/f/audit?user=a b", "/flows/f/audit?user=a\tc", "/flows/f/audit?user=a\x7f"} {
		assert.ErrorIs(t, c.Do(context.Background(), http.MethodGet, path, nil, nil), ErrInvalidArgument, "%q", path)
	}
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
}
