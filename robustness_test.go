package integratorio

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateAnsweredWithAnUnreadableBodyIsAnUnknownOutcome(t *testing.T) {
	t.Parallel()
	for name, handler := range map[string]http.HandlerFunc{
		"cut-off body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"_id":"6a0000000000000000000001","name":`)
		},
		"not a document": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"message":"created"}`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var posts atomic.Int32
			c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
				posts.Add(1)
				handler(w, r)
			})
			_, err := c.Integrations.Create(context.Background(), &Integration{Name: "x"})
			require.ErrorIs(t, err, ErrUnknownOutcome)
			assert.Equal(t, int32(1), posts.Load(), "not retried")
		})
	}
}

func TestGetWithACutOffBodyIsRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Length", "1000")
			_, _ = io.WriteString(w, `{"_id":"abc","na`)
			return
		}
		_, _ = io.WriteString(w, `{"_id":"abc","name":"whole"}`)
	})
	in, err := c.Integrations.Get(context.Background(), "abc")
	require.NoError(t, err)
	assert.Equal(t, "whole", in.Name)
	assert.Equal(t, int32(2), calls.Load())
}

func TestContentLengthAloneCannotMakeTheClientAllocate(t *testing.T) {
	t.Parallel()
	c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(maxResponseBody))
		_, _ = io.WriteString(w, "{")
	}, WithRetryPolicy(RetryPolicy{}))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.Integrations.Get(context.Background(), "abc")
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(32<<20))
}

func TestTokenInServerControlledURLsIsRedacted(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cases := map[string]string{
		"in a path":       `</v1/page/%s>; rel="next"`,
		"in another host": `<https://%s.collector.example.test/x>; rel="next"`,
		"in a query":      `</v1/drop?after=%s>; rel="next"`,
	}
	for name, link := range cases {
		c := hostile(t, func(w http.ResponseWriter, r *http.Request) {
			token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			switch {
			case r.URL.Path == "/v1/integrations":
				w.Header().Set("Link", fmt.Sprintf(link, token))
				_, _ = io.WriteString(w, `[{"_id":"a"}]`)
			case strings.HasPrefix(r.URL.Path, "/v1/drop"):
				conn, _, _ := w.(http.Hijacker).Hijack()
				_ = conn.Close()
			default:
				w.WriteHeader(http.StatusNotFound)
			}
		}, WithLogger(logger), WithRetryPolicy(RetryPolicy{MaxRetries: 1}))
		_, err := c.Integrations.List(context.Background(), nil)
		require.Error(t, err, name)
		assert.NotContains(t, err.Error(), testToken, name)
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			assert.NotContains(t, apiErr.Path, testToken, name)
		}
	}
	assert.NotContains(t, logs.String(), testToken)
	assert.Contains(t, logs.String(), "REDACTED", "the log did see the server's URLs")
}

func TestDelete404AfterA429IsNotFound(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodDelete, testRoot+"/integrations/ghost", sequence("", 429, 404))
	require.ErrorIs(t, c.Integrations.Delete(context.Background(), "ghost"), ErrNotFound, "a 429 proves nothing was deleted")
	assert.Equal(t, 2, mt.GetTotalCallCount())

	mt.RegisterResponder(http.MethodDelete, testRoot+"/integrations/gone", sequence("", 502, 404))
	require.NoError(t, c.Integrations.Delete(context.Background(), "gone"), "a 502 may hide a delete that happened")

	mt.RegisterResponder(http.MethodDelete, testRoot+"/integrations/busy", sequence("", 503, 404))
	before := mt.GetTotalCallCount()
	require.ErrorIs(t, c.Integrations.Delete(context.Background(), "busy"), ErrNotFound, "a 503 says the server did not take the request")
	assert.Equal(t, before+2, mt.GetTotalCallCount())
}

func TestDecodedDocumentsCanBeReadConcurrently(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal(fixture(t, "integration_rich.json"), &in))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var edition string
			ok, err := in.Settings.Get("connectorEdition", &edition)
			assert.NoError(t, err)
			assert.True(t, ok)
			assert.Len(t, in.Settings.Keys(), 4)
			_, err = in.Settings.Sections()
			assert.NoError(t, err)
			_, err = json.Marshal(&in)
			assert.NoError(t, err)
			_, err = in.Extra("flowGroupings", new(any))
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
}

func TestAFailedRequestKeepsOtherIdleConnections(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	arrived := make(chan struct{}, 2)
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/integrations/warm":
			arrived <- struct{}{}
			<-release
		case "/v1/integrations/stall":
			<-r.Context().Done()
			return
		}
		_, _ = io.WriteString(w, `{"_id":"x"}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := NewClient(testToken, WithBaseURL(srv.URL+"/v1"), WithRetryPolicy(RetryPolicy{}))
	require.NoError(t, err)
	ctx := context.Background()

	// Two requests at once leave two idle connections.
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Integrations.Get(ctx, "warm")
			assert.NoError(t, err)
		}()
	}
	<-arrived
	<-arrived
	close(release)
	wg.Wait()
	require.Equal(t, int32(2), conns.Load())

	// One request fails on its own connection...
	sctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = c.Integrations.Get(sctx, "stall")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	// ...and the other idle connection is still there to reuse.
	_, err = c.Integrations.Get(ctx, "after")
	require.NoError(t, err)
	assert.Equal(t, int32(2), conns.Load(), "no new connection was needed")
	c.CloseIdleConnections()
}

func TestCertificateErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		&url.Error{Op: "Get", URL: "https://x", Err: &tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}},
		&url.Error{Op: "Get", URL: "https://x", Err: x509.CertificateInvalidError{Reason: x509.Expired}},
		&url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}},
		errBodyTooLarge,
	} {
		assert.False(t, retryableTransportError(err), "%v", err)
	}
	assert.True(t, retryableTransportError(&url.Error{Op: "Get", URL: "https://x", Err: io.ErrUnexpectedEOF}))
}

func TestCreateRetriedAfterA429ThenARefusedConnection(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err == nil {
			_, _ = io.Copy(io.Discard, req.Body)
		}
		_, _ = io.WriteString(conn, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
	}()
	// The first dial reaches the listener; every later one is refused.
	tr, dials := refusingTransport(1)
	ct := &countingTransport{next: tr}
	c, err := NewClient(testToken, WithBaseURL("http://"+ln.Addr().String()+"/v1"),
		WithHTTPClient(&http.Client{Transport: ct}), WithRetryPolicy(fastRetries))
	require.NoError(t, err)
	_, err = c.Integrations.Create(context.Background(), &Integration{Name: "x"})
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnknownOutcome, "the 429 was an answer, the refusals sent nothing")
	assert.Equal(t, int32(fastRetries.MaxRetries+1), ct.n.Load())
	assert.Equal(t, int32(fastRetries.MaxRetries+1), dials.Load(), "one connection a try")
}

func TestNilContextIsAnError(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var ctx context.Context // nil: the point of the test
	_, err := c.Integrations.Get(ctx, "abc")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Zero(t, mt.GetTotalCallCount())
}

func requireNoPanic(t *testing.T, name string, f func() error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", name, r)
		}
	}()
	if err := f(); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("%s: err = %v, want ErrInvalidArgument", name, err)
	}
}

func TestNilContextIsAnErrorEverywhere(t *testing.T) {
	t.Parallel()
	c, mt := regressionClient(t)
	var ctx context.Context
	fn := func(*Integration) error { return nil }
	requireNoPanic(t, "Integrations.Modify", func() error { _, err := c.Integrations.Modify(ctx, "i1", fn); return err })
	requireNoPanic(t, "Flows.Modify", func() error { _, err := c.Flows.Modify(ctx, "f1", func(*Flow) error { return nil }); return err })
	requireNoPanic(t, "ManagedUpdate", func() error { _, err := c.Integrations.ManagedUpdate(ctx, "i1", "1.1.0", fn); return err })
	requireNoPanic(t, "Rollout", func() error {
		_, err := c.Connectors.Rollout(ctx, "c1", "1.1.0", fn, &RolloutOptions{IntegrationIDs: []string{"i1"}, NoPush: true})
		return err
	})
	requireNoPanic(t, "Jobs.Wait", func() error { _, err := c.Jobs.Wait(ctx, "j1", nil); return err })
	requireNoPanic(t, "State.Get", func() error { _, err := c.State.Get(ctx, "k", nil); return err })
	if n := mt.GetTotalCallCount(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestPrintingAClientHidesTheToken(t *testing.T) {
	t.Parallel()
	c, _ := newMockClient(t)
	var logs syncBuffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("client", "c", c)
	holder := struct{ C *Client }{c}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%v", holder), fmt.Sprintf("%+v", *c), logs.String()} {
		assert.NotContains(t, s, testToken)
		assert.Contains(t, s, "api.example.test")
	}
}

func TestCopiesDoNotShareUntypedMembers(t *testing.T) {
	t.Parallel()
	var in Integration
	require.NoError(t, json.Unmarshal([]byte(`{"_id":"a","x":1,"y":2}`), &in))
	cp := in
	require.NoError(t, cp.SetExtra("x", 99))
	cp.DeleteExtra("y")
	var x int
	_, err := in.Extra("x", &x)
	require.NoError(t, err)
	assert.Equal(t, 1, x)
	assert.Equal(t, []string{"x", "y"}, in.ExtraKeys())
}

func TestOnlyJSONWhiteSpaceAroundBodies(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/a", httpmock.NewStringResponder(200, "\f{\"_id\":\"a\"}\v"))
	_, err := c.Integrations.Get(context.Background(), "a")
	assert.ErrorIs(t, err, ErrUnexpectedResponse)
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/b", httpmock.NewStringResponder(200, " \r\n\t{\"_id\":\"b\"}\n"))
	_, err = c.Integrations.Get(context.Background(), "b")
	assert.NoError(t, err)
}

func TestInstallRoundTripAndExtra(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"_id":"i1","_integrationId":"a1","name":"Acme","email":"ops@acme.example","version":"1.0.1","updateInProgress":false,"_connectorId":"c1","license":{"expires":"2030-01-01"}}`)
	var in Install
	require.NoError(t, json.Unmarshal(doc, &in))
	assert.Equal(t, "a1", in.IntegrationID)
	assert.Equal(t, "ops@acme.example", in.Email)
	var conn string
	ok, err := in.Extra("_connectorId", &conn)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "c1", conn)
	out, err := json.Marshal(in)
	require.NoError(t, err)
	requireSameJSON(t, doc, out)
	assert.Equal(t, "i1", in.docID())
	assert.Equal(t, "a1", (&Install{IntegrationID: "a1"}).docID(), "an install without its own id is known by its integration")
}

func TestOversizedSuccessBodyIsRefused(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
		}
		_, _ = w.Write(bytes.Repeat([]byte(" "), 2<<20))
	}))
	defer srv.Close()
	c, err := NewClient("tok-fake-oversized", WithBaseURL(srv.URL+"/v1"))
	require.NoError(t, err)
	assert.Equal(t, int64(256<<20), c.maxBody, "the documented bound")
	c.maxBody = 1 << 20 // the same check, without sending 256 MiB

	_, err = c.Integrations.Get(context.Background(), "big")
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.NotErrorIs(t, err, ErrUnknownOutcome, "a read")
	assert.Equal(t, "integratorio: unexpected response: GET /integrations/big: 2xx body larger than 1 MiB", err.Error())
	assert.Equal(t, int32(1), requests.Load(), "not retried")

	_, err = c.Integrations.Create(context.Background(), &Integration{Name: "x"})
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.ErrorIs(t, err, ErrUnknownOutcome, "the server answered 201: it made something")
	assert.Equal(t, int32(2), requests.Load(), "not retried")
}
