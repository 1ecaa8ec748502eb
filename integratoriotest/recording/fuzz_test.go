package recording_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/integratorio-go/integratorio/integratoriotest/recording"
)

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzRecorderNeverKeepsTheToken: whatever a server answers around an
// echoed token (JSON or not, UTF-8 or not, in the body or in a kept
// header), the fixture never holds it.
func FuzzRecorderNeverKeepsTheToken(f *testing.F) {
	f.Add([]byte(`{"echo":"`), []byte(`"}`), "https://x/v1/p2?a=")
	f.Add([]byte("\xff\xfe"), []byte("\x00"), "")
	f.Add([]byte(`{"password":`), []byte(`,"n":[1,{"k":"v"}]}`), "<https://x/v1?skip=2&token=>; rel=\"next\"")
	f.Add([]byte("\ufeff{\"a\":\"Bearer "), []byte(`"}`), "Bearer ")
	f.Fuzz(func(t *testing.T, before, after []byte, header string) {
		body := append(append(append([]byte{}, before...), token...), after...)
		rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			h := http.Header{}
			h.Set("Content-Type", "application/json")
			h.Set("Location", header+token)
			return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
		})
		rec := recording.NewRecorder(rt)
		req, err := http.NewRequest(http.MethodPost, "https://api.integrator.io/v1/integrations?q="+token, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := rec.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		if !bytes.Equal(got, body) {
			t.Fatal("the caller did not get the body as sent")
		}
		cas := rec.Cassette()
		file, err := cas.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(file), token) {
			t.Fatalf("the fixture holds the token:\n%s", file)
		}
		for _, ex := range cas.Exchanges {
			for _, b := range [][]byte{ex.Request.BodyBytes, ex.Response.BodyBytes} {
				if bytes.Contains(b, []byte(token)) {
					t.Fatalf("a raw body holds the token: %q", b)
				}
			}
		}
	})
}
