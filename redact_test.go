package integratorio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokenPieces are the parts of the test token that must not appear
// anywhere either: its halves, in case a copy was cut.
var tokenPieces = []string{testToken, testToken[:len(testToken)/2], testToken[len(testToken)/2:]}

// requireNoToken fails if s holds the token or half of it.
func requireNoToken(t *testing.T, what, s string) {
	t.Helper()
	for _, p := range tokenPieces {
		require.NotContains(t, s, p, "%s holds (part of) the token", what)
	}
}

// escapedForms are ways a server may write the token inside JSON or a URL.
func escapedForms(tok string) map[string]string {
	uEsc := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		return b.String()
	}
	pct := func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, "%%%02X", s[i])
		}
		return b.String()
	}
	return map[string]string{
		"raw":                tok,
		"all \\u escapes":    uEsc(tok),
		"upper-case hex":     strings.ReplaceAll(strings.ToUpper(uEsc(tok[:3])), `\U`, `\u`) + tok[3:],
		"one \\u escape":     tok[:4] + uEsc(tok[4:5]) + tok[5:],
		"percent-encoded":    pct(tok),
		"mixed":              uEsc(tok[:2]) + pct(tok[2:6]) + tok[6:],
		"escaped solidus":    strings.ReplaceAll(tok, "-", `\u002d`),
		"surrounded by text": "Bearer " + tok + " was refused",
	}
}

func TestEscapedTokenInAnErrorEnvelopeIsRedacted(t *testing.T) {
	t.Parallel()
	for name, form := range escapedForms(testToken) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			body := `{"errors":[{"code":"c-` + form + `","message":"token ` + form + ` is bad","field":"` + form + `"}],"message":"` + form + `"}`
			mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/x", jsonResponder(400, []byte(body)))
			_, err := c.Integrations.Get(context.Background(), "x")
			require.Error(t, err)
			requireNoToken(t, "err.Error()", err.Error())
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			requireNoToken(t, "APIError.Body", string(apiErr.Body))
			var decoded any
			require.NoError(t, json.Unmarshal(apiErr.Body, &decoded), "the redacted body is still JSON")
			requireNoToken(t, "APIError.Body decoded", fmt.Sprint(decoded))
			require.Len(t, apiErr.Errors, 1)
			d := apiErr.Errors[0]
			for what, s := range map[string]string{"Code": d.Code, "Message": d.Message, "Field": d.Field} {
				requireNoToken(t, what, s)
				assert.Contains(t, s, "REDACTED", what)
			}
		})
	}
}

// The bare {"message"} shape (a 401) carries the token just as well.
func TestEscapedTokenInABareMessageIsRedacted(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	esc := escapedForms(testToken)["all \\u escapes"]
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/x", jsonResponder(401, []byte(`{"message":"Bearer `+esc+` failed"}`)))
	_, err := c.Integrations.Get(context.Background(), "x")
	require.ErrorIs(t, err, ErrUnauthorized)
	requireNoToken(t, "err.Error()", err.Error())
	assert.Contains(t, err.Error(), "Bearer REDACTED failed")
}

// The body is cut to 64 KiB after redaction: a token straddling the cut
// leaves no half behind, nor does a token the server itself cut short.
func TestATokenStraddlingTheErrorBodyCapIsRedacted(t *testing.T) {
	t.Parallel()
	for _, offset := range []int{1, 5, len(testToken) / 2, len(testToken) - 1} {
		for name, form := range map[string]string{"raw": testToken, "escaped": escapedForms(testToken)["all \\u escapes"]} {
			t.Run(fmt.Sprintf("%s at cap-%d", name, offset), func(t *testing.T) {
				t.Parallel()
				c, mt := newMockClient(t)
				pad := strings.Repeat("x", maxErrorBody-offset)
				mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/x", jsonResponder(500, []byte(pad+form+strings.Repeat("y", 100))))
				_, err := c.Integrations.Get(context.Background(), "x")
				var apiErr *APIError
				require.ErrorAs(t, err, &apiErr)
				assert.LessOrEqual(t, len(apiErr.Body), maxErrorBody)
				tail := string(apiErr.Body[maxErrorBody-offset-10:])
				requireNoToken(t, "APIError.Body", tail)
				for n := 3; n < len(testToken); n++ {
					require.False(t, strings.HasSuffix(tail, testToken[:n]), "the body ends with the token's first %d bytes", n)
				}
				requireNoToken(t, "err.Error()", err.Error())
			})
		}
	}
	t.Run("server cut the token short", func(t *testing.T) {
		t.Parallel()
		c, mt := newMockClient(t)
		body := strings.Repeat("x", maxErrorBody-8) + testToken[:20]
		mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/x", jsonResponder(500, []byte(body)))
		_, err := c.Integrations.Get(context.Background(), "x")
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		assert.NotContains(t, string(apiErr.Body), testToken[:8])
	})
}

// Members of documents the server sends end up in error messages: a
// version string, an id from a clone's answer, a body excerpt.
func TestTokenInServerDocumentsNeverReachesAnError(t *testing.T) {
	t.Parallel()
	id := "6b0e92c4a791ac036628c9a1"
	esc := escapedForms(testToken)["all \\u escapes"]

	t.Run("current version not newer", func(t *testing.T) {
		t.Parallel()
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/"+id,
			jsonResponder(200, []byte(`{"_id":"`+id+`","version":"9.9.9-`+testToken+`"}`)))
		_, err := c.Integrations.ManagedUpdate(context.Background(), id, "1.0.0", func(*Integration) error { return nil })
		require.ErrorIs(t, err, ErrVersionNotNewer)
		requireNoToken(t, "err.Error()", err.Error())
		var vn *VersionNotNewerError
		require.ErrorAs(t, err, &vn)
		requireNoToken(t, "CurrentVersion", vn.CurrentVersion)
		assert.Equal(t, "9.9.9-REDACTED", vn.CurrentVersion)
	})
	t.Run("current version not semver", func(t *testing.T) {
		t.Parallel()
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/"+id,
			jsonResponder(200, []byte(`{"_id":"`+id+`","version":"v`+esc+`"}`)))
		_, err := c.Integrations.ManagedUpdate(context.Background(), id, "1.0.0", func(*Integration) error { return nil })
		require.ErrorIs(t, err, ErrInvalidArgument)
		requireNoToken(t, "err.Error()", err.Error())
	})
	t.Run("clone answer naming an unreadable integration", func(t *testing.T) {
		t.Parallel()
		c, mt := newMockClient(t)
		mt.RegisterResponder(http.MethodPost, testRoot+"/integrations/"+id+"/clone",
			jsonResponder(201, []byte(`[{"model":"Integration","_id":"`+esc+`"}]`)))
		mt.RegisterNoResponder(jsonResponder(404, []byte(`{"errors":[{"code":"not_found","message":"no"}]}`)))
		_, err := c.Integrations.Clone(context.Background(), id, nil)
		require.ErrorIs(t, err, ErrUnknownOutcome)
		requireNoToken(t, "err.Error()", err.Error())
	})
	t.Run("excerpt of an unexpected body", func(t *testing.T) {
		t.Parallel()
		c, mt := newMockClient(t)
		// The token begins within the 40-byte excerpt and runs past it.
		mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/"+id,
			jsonResponder(200, []byte(`"abcdefghijklmnopqrstuvwxyz0123`+testToken+`"`)))
		_, err := c.Integrations.Get(context.Background(), id)
		require.ErrorIs(t, err, ErrUnexpectedResponse)
		requireNoToken(t, "err.Error()", err.Error())
		for n := 3; n < len(testToken); n++ {
			require.NotContains(t, err.Error(), "0123"+testToken[:n]+`"`)
		}
	})
	t.Run("Update of a document with another id", func(t *testing.T) {
		t.Parallel()
		c, mt := newMockClient(t)
		_, err := c.Integrations.Update(context.Background(), id, &Integration{ID: testToken})
		require.ErrorIs(t, err, ErrInvalidArgument)
		requireNoToken(t, "err.Error()", err.Error())
		assert.Zero(t, mt.GetTotalCallCount())
	})
}

// The log lines of a client with a logger carry no token either.
func TestEscapedTokenNeverReachesALogLine(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mt := newMockClient(t, WithLogger(logger))
	esc := escapedForms(testToken)["percent-encoded"]
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/x",
		httpmock.NewErrorResponder(fmt.Errorf("dial tcp: lookup %s: connection refused", esc)))
	_, err := c.Integrations.Get(context.Background(), "x")
	require.Error(t, err)
	requireNoToken(t, "err.Error()", err.Error())
	require.NotEmpty(t, logs.String())
	requireNoToken(t, "the log", logs.String())
	assert.NotContains(t, logs.String(), esc)
}

func TestRedactorMatchesEveryEncodingAndOnlyTheToken(t *testing.T) {
	t.Parallel()
	r := newRedactor("ab/é😀")
	for _, in := range []string{"ab/é😀", `a\u0062\/\u00e9\ud83d\ude00`, "%61%62%2F%C3%A9%F0%9F%98%80", `\u0061b\u002f` + "é😀"} {
		assert.Equal(t, "<REDACTED>", string(r.redact([]byte("<"+in+">"))), in)
	}
	for _, in := range []string{"ab/é", `ab\u002fe`, "%61b/e😀", `a\u00`, "xyz"} {
		assert.Equal(t, "<"+in+">", string(r.redact([]byte("<"+in+">"))), in)
	}
	// A cut that ends inside a copy drops that tail.
	assert.Equal(t, "xxREDACTED", string(r.redactCut([]byte("xxab/éyyy"), 5, false)))
	assert.Equal(t, "xxREDACTED", string(r.redactCut([]byte(`xx\u0061b\/zzzzzzzzzzzz`), 6, false)))
	assert.Equal(t, "xxREDACTED", string(r.redactCut([]byte(`xx%61%62zzzzzzzz`), 7, false)), "a cut inside a percent escape")
	// A whole copy is replaced before the cut, so nothing of it is left.
	assert.Equal(t, "xxRED", string(r.redactCut([]byte("xxab/é😀yyy"), 5, false)))
	assert.Equal(t, "xxab/yyy", string(r.redactCut([]byte("xxab/yyy"), 8, false)), "nothing is cut, nothing is dropped")
	assert.Equal(t, "xxREDACTED", string(r.redactCut([]byte("xxab/"), 8, true)), "a source cut short drops a tail that may start the token")
}

// requireNoTokenPiece fails if err's message holds the token or a half of it.
func requireNoTokenPiece(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	for _, p := range tokenPieces {
		assert.NotContains(t, err.Error(), p)
	}
}

// The id check never quotes the id it refuses: ids come from servers that
// may echo the token, and the check has no client to redact with. A job id
// answered by Run, and an install base's integration id, are refused
// without the token.
func TestRefusedIDsDoNotQuoteTheToken(t *testing.T) {
	t.Parallel()
	c, mt := regressionClient(t)
	mt.RegisterResponder("POST", "=~/flows/f1/run$", httpmock.NewStringResponder(201, `{"_jobId":"job `+testToken+`"}`))
	mt.RegisterResponder("GET", "=~/connectors/c1/installBase$", httpmock.NewStringResponder(200,
		`[{"_id":"in1","_integrationId":"x/`+testToken+`","version":"1.0.0","updateInProgress":false}]`))

	run, err := c.Flows.Run(context.Background(), "f1", nil)
	if err == nil {
		_, err = c.Jobs.Wait(context.Background(), run.JobID, nil)
	}
	requireNoTokenPiece(t, err)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), `' '`, "names the character refused")

	_, err = c.Connectors.Rollout(context.Background(), "c1", "1.1.0", func(*Integration) error { return nil }, nil)
	requireNoTokenPiece(t, err)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), `'/'`)
	assert.Equal(t, 2, mt.GetTotalCallCount(), "only the run and the install base: nothing pushed")

	for _, id := range []string{"a " + testToken, testToken + "?", "x\x00" + testToken} {
		requireNoTokenPiece(t, validateID(id))
		_, err := c.Integrations.Get(context.Background(), id)
		requireNoTokenPiece(t, err)
	}
}

// The token percent-encoded inside a JSON string whose '%' are \u-escaped
// is redacted: decoding APIError.Body's JSON, then the URL, never gives it
// back.
func TestATokenPercentEncodedInsideJSONIsRedacted(t *testing.T) {
	t.Parallel()
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

// APIError.Body: when redaction shrinks a body cut by the read limit below
// the 64 KiB cap, the token cut off at its end is still dropped.
func TestAnErrorBodyCutByTheReadLimitKeepsNoHalfToken(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

// A refused push's install-base ids reach the rollout's errors redacted.
func TestRolloutErrorsAreRedacted(t *testing.T) {
	t.Parallel()
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
