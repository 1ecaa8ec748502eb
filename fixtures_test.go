package integratorio

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListOverFixturePages(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	rec := &recorder{}
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations", rec.wrap(func(r *http.Request) (*http.Response, error) {
		page := "list_page1.json"
		if r.URL.Query().Get("after") != "" {
			page = "list_page2.json"
		}
		resp := httpmock.NewBytesResponse(200, fixture(t, page))
		if page == "list_page1.json" {
			resp.Header.Set("Link", `<`+testRoot+`/integrations?after=5f0c00000000000000000102>; rel="next"`)
		}
		return resp, nil
	}))
	list, err := c.Integrations.List(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, list, 3)
	assert.Equal(t, []string{"Orders to NetSuite", "Licensing and Usage", "BigCommerce - NetSuite Connector"},
		[]string{list[0].Name, list[1].Name, list[2].Name})
	require.Len(t, rec.reqs, 2)
	assert.Equal(t, "after=5f0c00000000000000000102", rec.reqs[1].RawQuery)

	// Every record keeps what the SDK does not type.
	var all []json.RawMessage
	for _, page := range []string{"list_page1.json", "list_page2.json"} {
		var docs []json.RawMessage
		require.NoError(t, json.Unmarshal(fixture(t, page), &docs))
		all = append(all, docs...)
	}
	for i, in := range list {
		out, err := json.Marshal(in)
		require.NoError(t, err)
		requireSameJSON(t, all[i], out)
	}
}

func TestErrorFixtures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file       string
		status     int
		retryAfter string
		sentinel   error
		msg        string
	}{
		{"error_404.json", 404, "", ErrNotFound, "integratorio: GET /integrations/abc: 404 not_found: Integration not found"},
		{"error_422.json", 422, "", ErrBadRequest, "integratorio: GET /integrations/abc: 422 invalid_field (mode): Invalid mode; invalid_ref (_connectorId): Connector does not exist"},
		{"error_401.json", 401, "", ErrUnauthorized, "integratorio: GET /integrations/abc: 401 Bearer Authentication Failed"},
		{"error_429.json", 429, "3600", ErrRateLimited, "integratorio: GET /integrations/abc: 429 rate_limited: Too many requests, retry after 3600 seconds (retry after 1h0m0s)"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			body := fixture(t, tc.file)
			mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/abc", func(*http.Request) (*http.Response, error) {
				resp := httpmock.NewBytesResponse(tc.status, body)
				if tc.retryAfter != "" {
					resp.Header.Set("Retry-After", tc.retryAfter)
				}
				return resp, nil
			})
			_, err := c.Integrations.Get(context.Background(), "abc")
			require.ErrorIs(t, err, tc.sentinel)
			assert.Equal(t, tc.msg, err.Error())
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, body, apiErr.Body)
			if tc.retryAfter != "" {
				assert.Equal(t, time.Hour, apiErr.RetryAfter)
			}
			assert.Equal(t, 1, mt.GetTotalCallCount())
		})
	}
}
