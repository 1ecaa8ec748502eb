package integratorio

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jarcoal/httpmock"
)

// A mask written with upper-case \u escapes is refused like any other.
func TestMaskedSecretWithUpperCaseEscapesIsRefused(t *testing.T) {
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

// Do refuses a non-pointer out before sending the POST.
func TestDoChecksOutBeforeSending(t *testing.T) {
	c, mt := regressionClient(t)
	var posts atomic.Int32
	mt.RegisterResponder("POST", "=~/iClients$", func(*http.Request) (*http.Response, error) {
		posts.Add(1)
		return httpmock.NewStringResponse(201, `{"_id":"x"}`), nil
	})
	var out struct {
		ID string `json:"_id"`
	}
	err := c.Do(context.Background(), "POST", "/iClients", map[string]string{"name": "n"}, out) // not &out
	if !errors.Is(err, ErrInvalidArgument) || posts.Load() != 0 {
		t.Errorf("err = %v (unknown outcome: %v), POSTs sent: %d; want ErrInvalidArgument before sending", err, errors.Is(err, ErrUnknownOutcome), posts.Load())
	}
}

// Do refuses spaces and control characters in the query as in the path.
func TestDoRefusesSpacesInTheQuery(t *testing.T) {
	c, mt := regressionClient(t)
	var sent atomic.Int32
	mt.RegisterResponder("GET", "=~.*", func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		t.Logf("sent RawQuery %q", r.URL.RawQuery)
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	err := c.Do(context.Background(), "GET", "/flows/f/audit?user=a b\tc", nil, nil)
	if !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("err = %v, sent %d; want ErrInvalidArgument", err, sent.Load())
	}
}

// A create answered 502/504 (a proxy timed out waiting for the origin) may
// have been applied: it matches ErrUnknownOutcome.
func TestACreateAnswered5xxIsAnUnknownOutcome(t *testing.T) {
	c, mt := regressionClient(t)
	mt.RegisterResponder("POST", "=~/flows$", httpmock.NewStringResponder(504, `<html>Gateway Timeout</html>`))
	_, err := c.Flows.Create(context.Background(), &Flow{Name: "n", Disabled: true})
	if !errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("Create answered 504: err = %v; want it to match ErrUnknownOutcome", err)
	}
	_ = strings.Contains
}
