package integratorio

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
)

// 2xx answers holding an errors array whose entries are not the envelope's
// objects, or a numeric code member in an entry.
func TestPingIsTolerantOfOtherErrorShapes(t *testing.T) {
	for _, body := range []string{
		`{"errors":["Connection refused"]}`,
		`{"code":200,"errors":[{"code":401,"message":"bad credentials"}]}`,
		`{"code":"500","message":"boom"}`,
	} {
		c, mt := regressionClient(t)
		mt.RegisterResponder("GET", "=~/ping$", httpmock.NewStringResponder(http.StatusOK, body))
		err := c.Connections.Ping(context.Background(), "c1")
		if !errors.Is(err, ErrConnectionFailed) {
			t.Errorf("Ping answered 200 %s: err = %v; want ErrConnectionFailed", body, err)
		}
	}
}

// Do refuses "." and ".." segments, percent-encoded too.
func TestDoRefusesEncodedDotSegments(t *testing.T) {
	c, mt := regressionClient(t)
	var got string
	mt.RegisterResponder("GET", "=~.*", func(r *http.Request) (*http.Response, error) {
		got = r.URL.EscapedPath() + " (Path " + r.URL.Path + ")"
		return httpmock.NewStringResponse(200, `{}`), nil
	})
	err := c.Do(context.Background(), "GET", "/%2e%2e/%2E%2E/admin", nil, nil)
	if !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Do(\"/%%2e%%2e/%%2E%%2E/admin\"): err = %v, sent %s; want ErrInvalidArgument", err, got)
	}
}
