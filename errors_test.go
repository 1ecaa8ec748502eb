package integratorio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAPIErrorMatchesSentinelByStatus(t *testing.T) {
	t.Parallel()
	sentinels := []error{ErrBadRequest, ErrUnauthorized, ErrForbidden, ErrNotFound, ErrConflict, ErrRateLimited, ErrServerError}
	want := map[int]error{
		400: ErrBadRequest, 422: ErrBadRequest, 401: ErrUnauthorized, 403: ErrForbidden, 404: ErrNotFound,
		409: ErrConflict, 429: ErrRateLimited, 500: ErrServerError, 502: ErrServerError, 503: ErrServerError, 599: ErrServerError,
		415: nil, 418: nil,
	}
	for status, match := range want {
		err := fmt.Errorf("wrapped: %w", &APIError{StatusCode: status})
		for _, s := range sentinels {
			assert.Equal(t, s == match, errors.Is(err, s), "status %d vs %v", status, s)
		}
		assert.False(t, errors.Is(err, ErrInvalidArgument))
	}
}

func TestAPIErrorFromResponses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		status  int
		body    string
		msg     string
		details []ErrorDetail
	}{
		{"envelope", 404, `{"errors":[{"code":"not_found","message":"Integration not found"}]}`,
			"integratorio: GET /integrations/abc: 404 not_found: Integration not found",
			[]ErrorDetail{{Code: "not_found", Message: "Integration not found"}}},
		{"two errors with field", 422, `{"errors":[{"code":"invalid_field","message":"bad","field":"adaptorType"},{"code":"invalid_ref","message":"gone"}]}`,
			"integratorio: GET /integrations/abc: 422 invalid_field (adaptorType): bad; invalid_ref: gone",
			[]ErrorDetail{{"invalid_field", "bad", "adaptorType"}, {"invalid_ref", "gone", ""}}},
		{"bare message 401", 401, `{"message":"Bearer Authentication Failed"}`,
			"integratorio: GET /integrations/abc: 401 Bearer Authentication Failed", nil},
		{"html from a proxy", 403, `<html><body><h1>403 Forbidden</h1></body></html>`,
			"integratorio: GET /integrations/abc: 403 Forbidden", nil},
		{"empty body", 409, ``, "integratorio: GET /integrations/abc: 409 Conflict", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", httpmock.NewStringResponder(tc.status, tc.body))
			_, err := c.Integrations.Get(context.Background(), "abc")
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.msg, err.Error())
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, http.MethodGet, apiErr.Method)
			assert.Equal(t, "/integrations/abc", apiErr.Path)
			assert.Equal(t, tc.details, apiErr.Errors)
			assert.Equal(t, tc.body, string(apiErr.Body))
			assert.NotContains(t, err.Error(), testToken)
		})
	}
}

func TestAPIErrorBodyIsCapped(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	huge := strings.Repeat("x", 3*maxErrorBody)
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", httpmock.NewStringResponder(400, huge))
	_, err := c.Integrations.Get(context.Background(), "abc")
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Len(t, apiErr.Body, maxErrorBody)
}

func TestTokenNeverInErrors(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t, WithRetryPolicy(RetryPolicy{MaxRetries: 1}))
	// Servers that echo what they got must not make the SDK repeat it.
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", func(r *http.Request) (*http.Response, error) {
		return httpmock.NewStringResponse(401, `{"message":"Unauthorized"}`), nil
	})
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/boom", httpmock.NewErrorResponder(errors.New("dial tcp: connection refused")))
	_, err1 := c.Integrations.Get(context.Background(), "abc")
	_, err2 := c.Integrations.Get(context.Background(), "boom")
	_, err3 := NewClient(testToken+"\n", WithBaseURL(testRoot))
	for _, err := range []error{err1, err2, err3} {
		require.Error(t, err)
		assert.NotContains(t, err.Error(), testToken)
		assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), testToken)
	}
}
