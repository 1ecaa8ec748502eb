package integratorio

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
)

func regressionClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{WithBaseURL("https://api.example.test/v1"), WithHTTPClient(&http.Client{Transport: mt}),
		WithRetryPolicy(RetryPolicy{MaxRetries: 0}), WithRateLimit(0, 0)}, opts...)
	c, err := NewClient(testToken, all...)
	if err != nil {
		t.Fatal(err)
	}
	return c, mt
}

// APIError.Body: when redaction shrinks a body cut by the read limit below
// the 64 KiB cap, the token cut off at its end is still dropped.
func TestAnErrorBodyCutByTheReadLimitKeepsNoHalfToken(t *testing.T) {
	c, mt := regressionClient(t)
	var b strings.Builder
	for range 40 { // 40 whole tokens: redaction saves 40*22 bytes
		b.WriteString(testToken)
	}
	readLimit := maxErrorBody + 12*len(testToken)
	for b.Len() < readLimit-16 {
		b.WriteByte('x')
	}
	b.WriteString(testToken) // only its first 16 bytes fall inside what is read
	b.WriteString(strings.Repeat("y", 1000))
	mt.RegisterResponder("GET", "=~.*", httpmock.NewStringResponder(400, b.String()))
	_, err := c.Integrations.Get(context.Background(), "abc")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatal(err)
	}
	if strings.HasSuffix(string(apiErr.Body), testToken[:16]) {
		t.Errorf("APIError.Body (%d bytes) ends with the token's first 16 bytes %q", len(apiErr.Body), testToken[:16])
	}
}

// PingError.Errors holds the decoded reasons of a 2xx answer redacted.
func TestPingErrorFieldsAreRedacted(t *testing.T) {
	c, mt := regressionClient(t)
	esc := ""
	for _, r := range testToken {
		esc += `\u00` + strings.ToLower(strings.TrimPrefix(http.StatusText(0)+string("0123456789abcdef"[r>>4])+string("0123456789abcdef"[r&15]), ""))
	}
	mt.RegisterResponder("POST", "=~/ping$", httpmock.NewStringResponder(200, `{"code":401,"errors":[{"code":"auth","message":"bad token `+esc+`"}]}`))
	err := c.Connections.Ping(context.Background(), "c1")
	var pe *PingError
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("err.Error() holds the token")
	}
	for _, d := range pe.Errors {
		if strings.Contains(d.Message, testToken) {
			t.Errorf("PingError.Errors[].Message holds the token: %q", d.Message)
		}
	}
}

// PingError.Error redacts each reason before cutting it at 300 bytes, so a
// token straddling the cut leaves no half in err.Error().
func TestPingErrorMessageIsRedactedBeforeItIsCut(t *testing.T) {
	c, mt := regressionClient(t)
	msg := strings.Repeat("a", 285) + testToken
	mt.RegisterResponder("POST", "=~/ping$", httpmock.NewStringResponder(200, `{"errors":[{"code":"x","message":"`+msg+`"}]}`))
	err := c.Connections.Ping(context.Background(), "c1")
	if err == nil {
		t.Fatal("nil error")
	}
	if strings.Contains(err.Error(), testToken[:15]) {
		t.Errorf("err.Error() holds the token's first 15 bytes: ...%s", err.Error()[len(err.Error())-40:])
	}
}

// MaskedSecretError.Paths never carries a member name that is the token.
func TestMaskedSecretPathsAreRedacted(t *testing.T) {
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

// A refused push's install-base ids reach the rollout's errors redacted.
func TestRolloutErrorsAreRedacted(t *testing.T) {
	c, mt := regressionClient(t)
	mt.RegisterResponder("GET", "=~/installBase$", httpmock.NewStringResponder(200,
		`[{"_id":"i1","_integrationId":"`+testToken+`","version":"1.0.0"}]`))
	mt.RegisterResponder("PUT", "=~/connectors/c1/update$", httpmock.NewStringResponder(400, `{"errors":[{"code":"invalid_ref","message":"no such integration"}]}`))
	rep, err := c.Connectors.Rollout(context.Background(), "c1", "1.1.0", func(*Integration) error { return nil }, nil)
	if err == nil {
		t.Fatal("nil error")
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("Rollout's error holds the token: %s", err)
	}
	for _, r := range rep.Results {
		if r.Err != nil && strings.Contains(r.Err.Error(), testToken) {
			t.Errorf("RolloutResult.Err holds the token: %s", r.Err)
		}
	}
}
