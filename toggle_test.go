package integratorio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// toggleCase is one call that sets a state the API only toggles.
type toggleCase struct {
	name   string
	doc    string // the document's URL
	member string // the member holding the state; true is the state asked by want=true
	action string // the toggle's URL
	set    func(c *Client, id string, want bool) error
}

func toggleCases() []toggleCase {
	ctx := context.Background()
	return []toggleCase{
		{
			name: "Users.Disable", doc: testRoot + "/ashares/u1", member: "disabled", action: testRoot + "/ashares/u1/disable",
			set: func(c *Client, id string, want bool) error { return c.Users.Disable(ctx, id, want) },
		},
		{
			name: "Environments.SetEnabled", doc: testRoot + "/environments/u1", member: "enabled", action: testRoot + "/environments/u1/enable",
			set: func(c *Client, id string, want bool) error { return c.Environments.SetEnabled(ctx, id, want) },
		},
	}
}

// docWith is a document holding member set to v, and other members.
func docWith(member string, v bool) []byte {
	return fmt.Appendf(nil, `{"_id":"u1","name":"n","%s":%t,"lastModified":"2024-01-02T03:04:05.000Z","x":{"y":1}}`, member, v)
}

// The toggle is sent only when the state read differs from the one asked
// for, once, as PUT with an empty object.
func TestTogglesAreSentOnlyWhenTheStateDiffers(t *testing.T) {
	t.Parallel()
	for _, k := range toggleCases() {
		for _, stored := range []bool{false, true} {
			for _, want := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%t->%t", k.name, stored, want), func(t *testing.T) {
					t.Parallel()
					c, mt := newMockClient(t)
					var rec recorder
					mt.RegisterResponder(http.MethodGet, k.doc, jsonResponder(200, docWith(k.member, stored)))
					mt.RegisterResponder(http.MethodPut, k.action, rec.wrap(httpmock.NewStringResponder(204, "")))
					require.NoError(t, k.set(c, "u1", want))
					info := mt.GetCallCountInfo()
					assert.Equal(t, 1, info["GET "+k.doc], "the state is read first")
					if stored == want {
						assert.Empty(t, rec.reqs, "already in the asked state: nothing is sent")
						return
					}
					require.Len(t, rec.reqs, 1, "sent once")
					assert.Equal(t, "{}", string(rec.reqs[0].Body))
					assert.Empty(t, rec.reqs[0].RawQuery)
					assert.Zero(t, info["PUT "+k.doc], "the document itself is not written")
				})
			}
		}
	}
}

// A toggle that may have reached the server is never repeated: a lost
// answer, a 500, 502 or 504 match ErrUnknownOutcome after exactly one
// PUT; a 503 fails after one; a 429 (the server did not act) is retried.
func TestTogglesAreNeverRepeated(t *testing.T) {
	t.Parallel()
	failures := []struct {
		name    string
		answer  httpmock.Responder
		unknown bool
	}{
		{"lost answer", httpmock.NewErrorResponder(errors.New("connection reset by peer")), true},
		{"500", jsonResponder(500, []byte(`{"errors":[{"code":"internal"}]}`)), true},
		{"502", httpmock.NewStringResponder(502, "<html>bad gateway</html>"), true},
		{"504", httpmock.NewStringResponder(504, ""), true},
		{"503", jsonResponder(503, []byte(`{"errors":[{"code":"unavailable"}]}`)), false},
	}
	for _, k := range toggleCases() {
		for _, f := range failures {
			t.Run(k.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				c, mt := newMockClient(t)
				mt.RegisterResponder(http.MethodGet, k.doc, jsonResponder(200, docWith(k.member, false)))
				mt.RegisterResponder(http.MethodPut, k.action, f.answer)
				err := k.set(c, "u1", true)
				require.Error(t, err)
				assert.Equal(t, f.unknown, errors.Is(err, ErrUnknownOutcome), "%v", err)
				assert.Equal(t, 1, mt.GetCallCountInfo()["PUT "+k.action], "exactly one toggle")
				assert.NotContains(t, err.Error(), testToken)
			})
		}
		t.Run(k.name+"/429 is retried", func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, k.doc, jsonResponder(200, docWith(k.member, false)))
			mt.RegisterResponder(http.MethodPut, k.action,
				jsonResponder(429, []byte(`{"errors":[{"code":"rate_limited"}]}`)).Then(httpmock.NewStringResponder(204, "")))
			require.NoError(t, k.set(c, "u1", true))
			assert.Equal(t, 2, mt.GetCallCountInfo()["PUT "+k.action], "refused by the rate limit, then sent")
			assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+k.doc], "read once")
		})
	}
}

// Concurrent calls of one client asking for the same state toggle once:
// each reads the state after the one before it has written.
func TestConcurrentTogglesOfOneClientFlipOnce(t *testing.T) {
	t.Parallel()
	for _, k := range toggleCases() {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			var mu sync.Mutex
			state, reading := false, 0
			overlap := make(chan struct{}) // closed when two reads overlap
			var once sync.Once
			mt.RegisterResponder(http.MethodGet, k.doc, func(*http.Request) (*http.Response, error) {
				// Hold each read open a moment for another to overlap it:
				// without the per-document lock two calls would both read
				// the old state and both toggle. The lock makes the reads
				// one at a time, so the wait then simply ends.
				mu.Lock()
				if reading++; reading == 2 {
					once.Do(func() { close(overlap) })
				}
				doc := docWith(k.member, state)
				mu.Unlock()
				select {
				case <-overlap:
				case <-time.After(20 * time.Millisecond):
				}
				mu.Lock()
				reading--
				mu.Unlock()
				return jsonResponder(200, doc)(nil)
			})
			mt.RegisterResponder(http.MethodPut, k.action, func(*http.Request) (*http.Response, error) {
				mu.Lock()
				defer mu.Unlock()
				state = !state
				return httpmock.NewStringResponse(204, ""), nil
			})
			const n = 8
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- k.set(c, "u1", true)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			assert.True(t, state)
			assert.Equal(t, 1, mt.GetCallCountInfo()["PUT "+k.action])
			assert.Equal(t, n, mt.GetCallCountInfo()["GET "+k.doc])
		})
	}
}

// Nothing is toggled when the id is invalid or the read fails, nor when
// an environment does not say whether it is enabled.
func TestTogglesSendNothingWithoutAKnownState(t *testing.T) {
	t.Parallel()
	for _, k := range toggleCases() {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			for _, id := range []string{"", "a/b", ".."} {
				assert.ErrorIs(t, k.set(c, id, true), ErrInvalidArgument, "%q", id)
			}
			assert.Zero(t, mt.GetTotalCallCount())
			mt.RegisterResponder(http.MethodGet, k.doc, jsonResponder(404, []byte(`{"errors":[{"code":"not_found"}]}`)))
			assert.ErrorIs(t, k.set(c, "u1", true), ErrNotFound)
			assert.Zero(t, mt.GetCallCountInfo()["PUT "+k.action])
		})
	}
	c, mt := newMockClient(t)
	url := testRoot + "/environments/e1"
	for _, doc := range []string{`{"_id":"e1","name":"n"}`, `{"_id":"e1","enabled":"yes"}`, `{"_id":"e1","enabled":null}`} {
		mt.RegisterResponder(http.MethodGet, url, jsonResponder(200, []byte(doc)))
		err := c.Environments.SetEnabled(context.Background(), "e1", true)
		require.ErrorIs(t, err, ErrUnexpectedResponse, doc)
		assert.Contains(t, err.Error(), "enabled")
	}
	assert.Zero(t, mt.GetCallCountInfo()["PUT "+url+"/enable"])
}
