package recording_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
	"github.com/integratorio-go/integratorio/integratoriotest"
	"github.com/integratorio-go/integratorio/integratoriotest/recording"
)

// Celigo's own members whose names merely hold key, auth, session or token
// are kept as the service sent them, in bodies and in query parameters: a
// replay test must see the retry keys a bot sends. An "auth" object is
// settings, redacted member by member.
func TestRecorderKeepsCeligosOwnMembers(t *testing.T) {
	t.Parallel()
	const body = `{"retryDataKey":"rdk-1","reqAndResKey":"rr-1","traceKey":"tk-1","author":"ann","sessionNumber":3,` +
		`"tokenCount":"seven","retryDataKeys":["rdk-2","rdk-3"],"keyColumns":["id"],"sortKey":"name","monkey":"george",` +
		`"unencrypted":{"user":"u1"},"http":{"auth":{"type":"basic","basic":{"username":"u2","password":"p-secret-1"}}}}`
	_, cas := recordRaw(t, answer(body, "Content-Type", "application/json"), "GET", "/v1/x?retryDataKey=rdk-4&author=ann&sessionNumber=3", "")
	ex := cas.Exchanges[0]
	assert.Equal(t, "/v1/x?author=ann&retryDataKey=rdk-4&sessionNumber=3", ex.Request.URL)
	assert.JSONEq(t, `{"retryDataKey":"rdk-1","reqAndResKey":"rr-1","traceKey":"tk-1","author":"ann","sessionNumber":3,`+
		`"tokenCount":"seven","retryDataKeys":["rdk-2","rdk-3"],"keyColumns":["id"],"sortKey":"name","monkey":"george",`+
		`"unencrypted":{"user":"u1"},"http":{"auth":{"type":"basic","basic":{"username":"u2","password":"REDACTED"}}}}`, string(ex.Response.Body))
}

// Each name of a secret is redacted, in a JSON body, whatever its case and
// separators.
func TestRecorderRedactsEachSecretName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"password", "Password2", "passwd", "passphrase", "pwd", "pass",
		"secret", "clientSecret", "client_secret", "consumerSecret", "tokenSecret",
		"token", "accessToken", "access_token", "refreshToken", "bearerToken", "X-Auth-Token", "id_token",
		"credential", "cookie", "sessionCookie", "signature", "X-Hub-Signature", "sig",
		"authorization", "authCode", "auth", "session", "sessionId", "sessionKey",
		"apiKey", "api_key", "x-api-key", "accessKey", "accessKeyId", "secretAccessKey",
		"privateKey", "private-key", "signingKey", "encryptionKey", "hmacKey", "key", "X-Key",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(map[string]any{name: "v-" + name, "n": 1})
			require.NoError(t, err)
			_, cas := recordRaw(t, answer(string(b), "Content-Type", "application/json"), "GET", "/v1/x", "")
			want, err := json.Marshal(map[string]any{name: recording.Redacted, "n": 1})
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(cas.Exchanges[0].Response.Body))
		})
	}
	// Whole objects under credentials and encrypted are secrets.
	_, cas := recordRaw(t, answer(`{"credentials":{"user":"u","n":4},"encrypted":{"apiPin":"1234"}}`), "GET", "/v1/x", "")
	assert.JSONEq(t, `{"credentials":{"user":"REDACTED","n":0},"encrypted":{"apiPin":"REDACTED"}}`, string(cas.Exchanges[0].Response.Body))
}

// A redacted value keeps its JSON type: a string stays a string, an
// integer an integer, another number a number with a fraction; booleans and
// null are kept. A recorded answer therefore decodes into the same Go
// types as the real one.
func TestRecorderRedactionKeepsJSONTypes(t *testing.T) {
	t.Parallel()
	const body = `{"password":42,"token":1.5,"secret":-3e2,"apiKey":true,"privateKey":null,"clientSecret":"",` +
		`"credentials":{"n":7,"f":2.5,"b":false,"s":"x","a":[1,"y",{"z":2}]}}`
	_, cas := recordRaw(t, answer(body, "Content-Type", "application/json"), "GET", "/v1/x", "")
	got := cas.Exchanges[0].Response.Body
	assert.JSONEq(t, `{"password":0,"token":0.0,"secret":0.0,"apiKey":true,"privateKey":null,"clientSecret":"",`+
		`"credentials":{"n":0,"f":0.0,"b":false,"s":"REDACTED","a":[0,"REDACTED",{"z":0}]}}`, string(got))
	assert.Contains(t, string(got), `"token":0.0`, "a number with a fraction stays one")
	var typed struct {
		Password int     `json:"password"`
		Token    float64 `json:"token"`
		APIKey   bool    `json:"apiKey"`
	}
	require.NoError(t, json.Unmarshal(got, &typed), "the recording decodes into the types of the answer")

	// In text that is not one JSON value (newline-delimited JSON), too.
	_, cas = recordRaw(t, answer("{\"a\":1}\n{\"password\": 12345, \"pin\": 7}\n"), "GET", "/v1/x", "")
	assert.Equal(t, "{\"a\":1}\n{\"password\": 0, \"pin\": 7}\n", cas.Exchanges[0].Response.BodyText)

	// A RedactValues secret held as a number.
	_, cas = recordRaw(t, answer(`{"accountPin":987654321}`), "GET", "/v1/x", "", recording.RedactValues("987654321"))
	assert.JSONEq(t, `{"accountPin":0}`, string(cas.Exchanges[0].Response.Body))
}

// ExemptNames keeps the values of names that would be secrets' (case and
// separators aside), in bodies, query parameters and kept headers; a value
// that looks like a token is still redacted under them.
func TestRecorderExemptNames(t *testing.T) {
	t.Parallel()
	const hexTok = "0123456789abcdef0123456789abcdef"
	h := answer(`{"sessionKey":"level-3","gameToken":7,"password":"p-1","apiKey":"`+hexTok+`"}`,
		"Content-Type", "application/json", "X-Session-Key", "hdr-1")
	_, cas := recordRaw(t, h, "GET", "/v1/x?session_key=q-1&password=q-2", "",
		recording.ExemptNames("session-key", "GAME_TOKEN", "apikey"), recording.KeepResponseHeaders("Content-Type", "X-Session-Key"))
	ex := cas.Exchanges[0]
	assert.JSONEq(t, `{"sessionKey":"level-3","gameToken":7,"password":"REDACTED","apiKey":"REDACTED"}`, string(ex.Response.Body))
	assert.Equal(t, "/v1/x?password=REDACTED&session_key=q-1", ex.Request.URL)
	assert.Equal(t, []string{"hdr-1"}, ex.Response.Header["X-Session-Key"])

	_, cas = recordRaw(t, h, "GET", "/v1/x", "")
	assert.JSONEq(t, `{"sessionKey":"REDACTED","gameToken":0,"password":"REDACTED","apiKey":"REDACTED"}`, string(cas.Exchanges[0].Response.Body),
		"without ExemptNames, the same names are secrets")
}

// Recording the same calls against two fakes made with the same WithIDSeed
// and a fixed WithClock gives the same file byte for byte, whatever the
// fakes' tokens and ports; see the Recorder's documentation.
func TestReRecordingAgainstTheFakeIsStable(t *testing.T) {
	t.Parallel()
	record := func(token string) []byte {
		srv := integratoriotest.NewServer(integratoriotest.WithToken(token), integratoriotest.WithIDSeed(15),
			integratoriotest.WithClock(func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }))
		defer srv.Close()
		rec := recording.NewRecorder(srv.HTTPClient().Transport)
		client := srv.Client(integratorio.WithHTTPClient(&http.Client{Transport: rec}))
		ctx := context.Background()
		in, err := client.Integrations.Create(ctx, &integratorio.Integration{Name: "Orders", Description: "uses " + token})
		require.NoError(t, err)
		in.Name = "Orders 2"
		_, err = client.Integrations.Update(ctx, in.ID, in)
		require.NoError(t, err)
		flow, err := client.Flows.Create(ctx, &integratorio.Flow{Name: "f", IntegrationID: in.ID})
		require.NoError(t, err)
		require.NoError(t, srv.AddFlowErrors(flow.ID, "exp1", []byte(`{"code":"c","message":"m","source":"application","retryDataKey":"rdk-1","traceKey":"tk-1"}`)))
		for fe, err := range client.Flows.Errors(ctx, flow.ID, "exp1", nil) {
			require.NoError(t, err)
			assert.Equal(t, integratorio.RetryDataKey("rdk-1"), fe.RetryDataKey)
		}
		for _, err := range client.Integrations.All(ctx, nil) {
			require.NoError(t, err)
		}
		b, err := rec.Cassette().Marshal()
		require.NoError(t, err)
		return b
	}
	first, second := record("tok-first-0001"), record("tok-second-0002")
	assert.Equal(t, string(first), string(second))
	assert.Contains(t, string(first), `"retryDataKey": "rdk-1"`)
	assert.Contains(t, string(first), `"traceKey": "tk-1"`)
}

// A request body whose secret number was recorded as 0 still matches
// under MatchBody: the replayed body is redacted the same way first.
func TestReplayMatchesASecretNumberRecordedAsZero(t *testing.T) {
	t.Parallel()
	_, cas := recordRaw(t, answer(`{}`, "Content-Type", "application/json"), "PUT", "/v1/connections/c1", `{"name":"n","http":{"password":1234,"port":443}}`)
	assert.JSONEq(t, `{"name":"n","http":{"password":0,"port":443}}`, string(cas.Exchanges[0].Request.Body))
	for body, matches := range map[string]bool{
		`{"name":"n","http":{"password":5678,"port":443}}`: true,
		`{"name":"n","http":{"password":1234,"port":80}}`:  false,
	} {
		tb := &fakeTB{}
		hc := &http.Client{Transport: recording.NewReplayTransport(tb, cas, recording.MatchBody())}
		req, err := http.NewRequest("PUT", recording.ReplayBaseURL+"/connections/c1", strings.NewReader(body))
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, matches, resp.StatusCode == http.StatusOK, body)
		assert.Equal(t, matches, len(tb.finish()) == 0, body)
	}
}

// Values that look like tokens are redacted under any name, and inside
// text; ordinary words with similar starts are kept.
func TestRecorderRedactsTokenShapedValues(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{
		"sk_live_4eC39HqLyjWDarjtT1zdp7dc",
		"ghp_16C7e42F292c6912E7710c838347Ae178B4a",
		"xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
		"AKIAIOSFODNN7EXAMPLE",
		"0123456789abcdef0123456789abcdef",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl",
	} {
		_, cas := recordRaw(t, answer(`{"note":"use `+secret+` here","settings":{"anything":"`+secret+`"}}`), "GET", "/v1/x", "")
		assert.JSONEq(t, `{"note":"use REDACTED here","settings":{"anything":"REDACTED"}}`, string(cas.Exchanges[0].Response.Body), secret)
	}
	const ordinary = `{"note":"sk_live_ is a prefix; ghp_ too; AKIA alone","id":"5f1a0c2b3d4e5f6071829301"}`
	_, cas := recordRaw(t, answer(ordinary), "GET", "/v1/x", "")
	assert.JSONEq(t, ordinary, string(cas.Exchanges[0].Response.Body))
}

// Celigo's own keys and ids are kept even when they look like tokens (a
// retry data key may be 32 hex digits): a replay must tell a bot that sends
// error ids as retry keys from one that sends the keys. The request's
// credential is still redacted from them.
func TestRecorderKeepsCeligosKeysThatLookLikeTokens(t *testing.T) {
	t.Parallel()
	const rdk, rdk2, trace = "8ac7e4d2f1b34c6a9e0d2f1b34c6a9e0", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f"
	body := `{"retryDataKey":"` + rdk + `","reqAndResKey":"` + rdk2 + `","traceKey":"` + trace + `","errorId":"` + rdk2 + `",` +
		`"retryDataKeys":["` + rdk + `","` + rdk2 + `"],"errorIds":["` + rdk + `"],"_flowJobId":"` + rdk + `",` +
		`"message":"key ` + rdk + `","retryDataKey2":"x ` + token + `"}`
	_, cas := recordRaw(t, answer(body, "Content-Type", "application/json"), "POST", "/v1/flows/f/e/retry?errorId="+rdk2+"&other="+rdk, `{"retryDataKeys":["`+rdk+`"]}`)
	ex := cas.Exchanges[0]
	assert.Equal(t, "/v1/flows/f/e/retry?errorId="+rdk2+"&other=REDACTED", ex.Request.URL)
	assert.JSONEq(t, `{"retryDataKeys":["`+rdk+`"]}`, string(ex.Request.Body))
	assert.JSONEq(t, `{"retryDataKey":"`+rdk+`","reqAndResKey":"`+rdk2+`","traceKey":"`+trace+`","errorId":"`+rdk2+`",`+
		`"retryDataKeys":["`+rdk+`","`+rdk2+`"],"errorIds":["`+rdk+`"],"_flowJobId":"`+rdk+`",`+
		`"message":"key REDACTED","retryDataKey2":"x REDACTED"}`, string(ex.Response.Body))
}
