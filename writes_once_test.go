package integratorio

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// h2ResetServer is a minimal HTTP/2 peer that reads each request whole and
// then resets its stream with PROTOCOL_ERROR, as some load balancers do.
// net/http's HTTP/2 transport treats such a reset as safe to replay on its
// own; the server counts the requests it received.
type h2ResetServer struct {
	ln      net.Listener
	resets  int // streams to reset before answering 200 with answer
	answer  string
	mu      sync.Mutex
	methods []string // one entry per request received whole
	wg      sync.WaitGroup
}

// HTTP/2 frame types and flags (RFC 9113).
const (
	h2Data         = 0x0
	h2Headers      = 0x1
	h2RSTStream    = 0x3
	h2Settings     = 0x4
	h2Ping         = 0x6
	h2GoAway       = 0x7
	h2EndStream    = 0x1
	h2Ack          = 0x1
	h2ProtocolErr  = 0x1
	h2ClientPrefix = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
)

// newH2ResetServer starts the peer and returns it with a client of the SDK
// whose HTTP client speaks HTTP/2 to it. The peer resets the first resets
// streams and answers the others 200 with answer.
func newH2ResetServer(t *testing.T, resets int, answer string) (*h2ResetServer, *Client) {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.EnableHTTP2 = true
	ts.StartTLS()
	hc := ts.Client() // trusts the test certificate, speaks HTTP/2
	certs := ts.TLS.Certificates
	ts.Close()

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: certs, NextProtos: []string{"h2"}})
	require.NoError(t, err)
	s := &h2ResetServer{ln: ln, resets: resets, answer: answer}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })

	c, err := NewClient(testToken, WithBaseURL("https://"+ln.Addr().String()+"/v1"), WithHTTPClient(hc), WithRetryPolicy(fastRetries))
	require.NoError(t, err)
	t.Cleanup(c.CloseIdleConnections)
	return s, c
}

func (s *h2ResetServer) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.serve(conn)
		}()
	}
}

func writeFrame(w io.Writer, typ, flags byte, stream uint32, payload []byte) error {
	var h [9]byte
	h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
	h[3], h[4] = typ, flags
	binary.BigEndian.PutUint32(h[5:], stream)
	_, err := w.Write(append(h[:], payload...))
	return err
}

func (s *h2ResetServer) serve(conn net.Conn) {
	preface := make([]byte, len(h2ClientPrefix))
	if _, err := io.ReadFull(conn, preface); err != nil || string(preface) != h2ClientPrefix {
		return
	}
	if writeFrame(conn, h2Settings, 0, 0, nil) != nil {
		return
	}
	method := map[uint32]string{}
	for {
		var h [9]byte
		if _, err := io.ReadFull(conn, h[:]); err != nil {
			return
		}
		n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
		typ, flags := h[3], h[4]
		stream := binary.BigEndian.Uint32(h[5:]) & 0x7fffffff
		payload := make([]byte, n)
		if _, err := io.ReadFull(conn, payload); err != nil {
			return
		}
		switch typ {
		case h2Settings:
			if flags&h2Ack == 0 && writeFrame(conn, h2Settings, h2Ack, 0, nil) != nil {
				return
			}
			continue
		case h2Ping:
			if flags&h2Ack == 0 && writeFrame(conn, h2Ping, h2Ack, 0, payload) != nil {
				return
			}
			continue
		case h2GoAway:
			return
		case h2Headers:
			// The method is HPACK-encoded; the client's first HEADERS
			// frame of a stream always starts with an indexed :method
			// for GET (0x82) and POST (0x83), a literal otherwise.
			method[stream] = hpackMethod(payload)
		case h2Data:
		default:
			continue
		}
		if flags&h2EndStream == 0 {
			continue
		}
		s.mu.Lock()
		s.methods = append(s.methods, method[stream])
		reset := len(s.methods) <= s.resets
		s.mu.Unlock()
		if !reset {
			// :status 200 is entry 8 of HPACK's static table.
			const endHeaders = 0x4
			if writeFrame(conn, h2Headers, endHeaders, stream, []byte{0x88}) != nil ||
				writeFrame(conn, h2Data, h2EndStream, stream, []byte(s.answer)) != nil {
				return
			}
			continue
		}
		code := make([]byte, 4)
		binary.BigEndian.PutUint32(code, h2ProtocolErr)
		if writeFrame(conn, h2RSTStream, 0, stream, code) != nil {
			return
		}
	}
}

// hpackMethod guesses the :method of a request's header block from its
// encoding: an indexed GET or POST, or a literal value.
func hpackMethod(block []byte) string {
	for i, b := range block {
		switch b {
		case 0x82:
			return http.MethodGet
		case 0x83:
			return http.MethodPost
		}
		for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if strings.HasPrefix(string(block[i:]), m) {
				return m
			}
		}
	}
	return "?"
}

func (s *h2ResetServer) received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.methods)
}

// A stream reset after the whole request arrived must not make net/http
// replay a create, clone or patch: the server received it once, and the
// caller learns that the outcome is unknown.
func TestAResetHTTP2StreamIsNotReplayedForAWrite(t *testing.T) {
	t.Parallel()
	writes := map[string]func(ctx context.Context, c *Client) error{
		"Create": func(ctx context.Context, c *Client) error {
			_, err := c.Integrations.Create(ctx, &Integration{Name: "x"})
			return err
		},
		"Clone": func(ctx context.Context, c *Client) error {
			_, err := c.Integrations.Clone(ctx, "6b0e92c4a791ac036628c9a1", nil)
			return err
		},
		"Patch": func(ctx context.Context, c *Client) error {
			return c.Integrations.Patch(ctx, "6b0e92c4a791ac036628c9a1", PatchOp{Op: "replace", Path: "/name", Value: "y"})
		},
		"body-less POST": func(ctx context.Context, c *Client) error {
			return c.send(request{ctx: ctx, method: http.MethodPost, path: "/flows/6b0e92c4a791ac036628c9a1/run"}, nil)
		},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, c := newH2ResetServer(t, 1, `{"_id":"6b0e92c4a791ac036628c9a2"}`)
			err := write(context.Background(), c)
			require.ErrorIs(t, err, ErrUnknownOutcome)
			assert.Equal(t, 1, srv.received(), "the write reached the server exactly once")
			assert.NotContains(t, err.Error(), testToken)
		})
	}
}

// Reads and PUTs may still be tried again after such a reset (by net/http
// or by the SDK): they are idempotent.
func TestAResetHTTP2StreamIsRetriedForAnIdempotentRequest(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodPut} {
		srv, c := newH2ResetServer(t, 1, `{"_id":"6b0e92c4a791ac036628c9a1","name":"x"}`)
		ctx := context.Background()
		var in *Integration
		var err error
		if method == http.MethodGet {
			in, err = c.Integrations.Get(ctx, "6b0e92c4a791ac036628c9a1")
		} else {
			in, err = c.Integrations.Update(ctx, "6b0e92c4a791ac036628c9a1", &Integration{Name: "x"})
		}
		require.NoError(t, err, method)
		assert.Equal(t, "x", in.Name)
		assert.Equal(t, 2, srv.received(), "%s: the reset attempt, then the one answered", method)
	}
}

// A redirect must never turn a write into a GET, nor send it again
// elsewhere: every redirect status ends a write with an error that says
// so, and the target is never asked.
func TestARedirectedWriteIsNeitherConvertedNorResent(t *testing.T) {
	t.Parallel()
	for _, status := range []int{301, 302, 303, 307, 308} {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			t.Run(http.StatusText(status)+" "+method, func(t *testing.T) {
				t.Parallel()
				var mu sync.Mutex
				var seen []string
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					seen = append(seen, r.Method+" "+r.URL.Path)
					mu.Unlock()
					if strings.HasSuffix(r.URL.Path, "/elsewhere") {
						w.Header().Set("Content-Type", "application/json")
						_, _ = w.Write([]byte(`{"_id":"6b0e92c4a791ac036628c9a1","name":"some other document"}`))
						return
					}
					http.Redirect(w, r, "/v1/elsewhere", status)
				}))
				defer srv.Close()
				c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"), WithRetryPolicy(fastRetries))
				require.NoError(t, err)
				ctx := context.Background()
				id := "6b0e92c4a791ac036628c9a1"
				switch method {
				case http.MethodPost:
					var out *Integration
					out, err = c.Integrations.Create(ctx, &Integration{Name: "new"})
					assert.Nil(t, out)
				case http.MethodPut:
					var out *Integration
					out, err = c.Integrations.Update(ctx, id, &Integration{ID: id, Name: "changed"})
					assert.Nil(t, out)
				case http.MethodPatch:
					err = c.Integrations.Patch(ctx, id, PatchOp{Op: "replace", Path: "/name", Value: "x"})
				case http.MethodDelete:
					err = c.Integrations.Delete(ctx, id)
				}
				require.Error(t, err, "a redirected write is not done")
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, status, apiErr.StatusCode)
				assert.Contains(t, err.Error(), "redirect")
				assert.Contains(t, err.Error(), "/v1/elsewhere")
				mu.Lock()
				defer mu.Unlock()
				require.Len(t, seen, 1, "the target of the redirect is never asked: %v", seen)
				assert.Equal(t, method, strings.Fields(seen[0])[0])
			})
		}
	}
}

// Reads still follow a redirect within the API's origin.
func TestARedirectedReadIsFollowed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/integrations/old" {
			http.Redirect(w, r, "/v1/integrations/new", http.StatusMovedPermanently)
			return
		}
		_, _ = w.Write([]byte(`{"_id":"new","name":"moved"}`))
	}))
	defer srv.Close()
	c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"))
	require.NoError(t, err)
	in, err := c.Integrations.Get(context.Background(), "old")
	require.NoError(t, err)
	assert.Equal(t, "moved", in.Name)
}

// A create answered 502/504 (a proxy timed out waiting for the origin) may
// have been applied: it matches ErrUnknownOutcome.
func TestACreateAnswered5xxIsAnUnknownOutcome(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout} {
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodPost, testRoot+"/flows", httpmock.NewStringResponder(status, `<html>Gateway Timeout</html>`))
		_, err := c.Flows.Create(context.Background(), &Flow{Name: "n", Disabled: true})
		assert.ErrorIs(t, err, ErrUnknownOutcome, "Create answered %d", status)
		assert.Equal(t, 1, mt.GetTotalCallCount(), "Create answered %d is not repeated", status)
	}
}
