package integratorio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
)

// The token percent-encoded inside a JSON string whose '%' are \u-escaped
// is redacted: decoding APIError.Body's JSON, then the URL, never gives it
// back.
func TestATokenPercentEncodedInsideJSONIsRedacted(t *testing.T) {
	c, mt := regressionClient(t)
	var pct strings.Builder
	for _, b := range []byte(testToken) {
		fmt.Fprintf(&pct, `\u0025%02x`, b)
	}
	body := `{"errors":[{"code":"x","message":"see https://h/?t=` + pct.String() + `"}]}`
	mt.RegisterResponder("GET", "=~.*", httpmock.NewStringResponder(400, body))
	_, err := c.Integrations.Get(context.Background(), "abc")
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatal(err)
	}
	var env struct{ Errors []struct{ Message string } }
	_ = json.Unmarshal(apiErr.Body, &env)
	dec, _ := url.QueryUnescape(env.Errors[0].Message)
	if strings.Contains(dec, testToken) {
		t.Errorf("APIError.Body decodes (JSON, then percent) to the token: %s", apiErr.Body)
	}
}
