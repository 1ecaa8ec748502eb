package integratorio

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/jarcoal/httpmock"
)

// A nil *json.RawMessage as out is refused before the request is sent,
// instead of a panic after it.
func TestDoRefusesANilRawMessageOutBeforeSending(t *testing.T) {
	c, mt := regressionClient(t)
	mt.RegisterResponder("POST", "=~.*", httpmock.NewStringResponder(http.StatusCreated, `{"_id":"x"}`))
	var out *json.RawMessage
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("Do panicked after %d request(s) were sent: %v", mt.GetTotalCallCount(), r)
			}
		}()
		err = c.Do(context.Background(), "POST", "/iClients", map[string]any{}, out)
	}()
	if err != nil && !errors.Is(err, ErrInvalidArgument) {
		t.Logf("err = %v", err)
	}
}
