package fakecli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/integratorio-go/integratorio"
)

// With -tls the fake serves HTTPS with a certificate it writes to
// -tls-cert-out, valid for the -tls-hosts names: a client that trusts the
// file reaches it by a host name that is not loopback (here fake.ci.test,
// resolved to 127.0.0.1 by the dialer, as a CI service name would be), and
// the SDK, which refuses plain http to such a host, works.
func TestTLSServesAHostNameClientsCanTrust(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	certFile := filepath.Join(t.TempDir(), "fake.pem")
	var stdout, stderr syncBuffer
	const tok = "tok-for-tls"
	url, done := start(t, ctx, []string{"-addr", "127.0.0.1:0", "-token", tok, "-quiet", "-tls", "-tls-hosts", "fake.ci.test", "-tls-cert-out", certFile}, &stdout, &stderr)
	u, err := neturl.Parse(url)
	require.NoError(t, err)
	assert.Equal(t, "https", u.Scheme)
	assert.Contains(t, stdout.String(), "TLS: a self-signed certificate for localhost, 127.0.0.1, ::1")
	assert.Contains(t, stdout.String(), "fake.ci.test, written to "+certFile)

	pemBytes, err := os.ReadFile(certFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemBytes))
	port := u.Port()
	hc := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != "fake.ci.test:"+port {
				return nil, fmt.Errorf("dialed %s, not the fake", addr)
			}
			return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+port)
		},
	}}
	defer hc.CloseIdleConnections()
	c, err := integratorio.NewClient(tok, integratorio.WithBaseURL("https://fake.ci.test:"+port+"/v1"), integratorio.WithHTTPClient(hc))
	require.NoError(t, err)
	created, err := c.Integrations.Create(ctx, &integratorio.Integration{Name: "over TLS"})
	require.NoError(t, err)
	got, err := c.Integrations.Get(ctx, created.ID)
	require.NoError(t, err)
	assert.Equal(t, "over TLS", got.Name)

	_, err = integratorio.NewClient(tok, integratorio.WithBaseURL("http://fake.ci.test:"+port+"/v1"))
	assert.ErrorIs(t, err, integratorio.ErrInvalidArgument, "plain http to a host that is not loopback stays refused")

	// A client that does not trust the file is refused.
	_, err = http.Get(url + "/integrations")
	assert.Error(t, err)

	cancel()
	assert.Equal(t, 0, <-done)
}

// -tls-hosts and -tls-cert-out without -tls are mistakes.
func TestTLSFlagsNeedTLS(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-tls-hosts", "a"}, {"-tls-cert-out", "x.pem"}} {
		var stdout, stderr syncBuffer
		code := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, args...), &stdout, &stderr, func(string) { t.Error("served") })
		assert.Equal(t, 2, code)
		assert.Contains(t, stderr.String(), "need -tls")
	}
}
