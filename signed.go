package integratorio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Signed URLs: the API hands out URLs of a file store (template zips to
// download, an upload slot for a zip to install) that carry their own
// signature. They are fetched without the bearer token, which must never
// reach another host, and only over https, or on the client's own API
// origin (the fake, in tests).

// maxTemplateZip bounds a zip uploaded by PreviewTemplate and
// InstallTemplate.
const maxTemplateZip = 256 << 20

// newFilesClient returns the HTTP client for signed URLs: hc's transport
// and timeout, no cookie jar, and redirects followed only for a GET, to a
// URL that is itself allowed.
func newFilesClient(hc *http.Client, base *url.URL) *http.Client {
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &http.Client{
		Transport: rt,
		Timeout:   hc.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if via[0].Method != http.MethodGet {
				return http.ErrUseLastResponse
			}
			if !signedURLAllowed(req.URL, base) {
				return fmt.Errorf("redirect to %s refused: not https", describeURL(req.URL))
			}
			if len(via) >= 10 {
				return errTooManyRedirects
			}
			return nil
		},
	}
}

// signedURLAllowed reports whether a signed URL may be fetched: over
// https, or on the API's own origin.
func signedURLAllowed(u, base *url.URL) bool {
	return u.User == nil && u.Host != "" && (strings.EqualFold(u.Scheme, "https") || sameOrigin(u, base))
}

// describeURL names a signed URL in messages without its query, which
// holds the signature.
func describeURL(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// signedRequest sends method to the signed URL raw, without the bearer
// token, and returns the 2xx answer (whose body the caller closes).
func (c *Client) signedRequest(ctx context.Context, method, raw string, body []byte, contentType string) (*http.Response, error) {
	if ctx == nil {
		return nil, invalidArgf("%s signed URL: nil context", method)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: the API's signed URL cannot be parsed", ErrUnexpectedResponse)
	}
	name := c.redactString(describeURL(u))
	if !signedURLAllowed(u, c.base) {
		return nil, fmt.Errorf("%w: the API's signed URL %s is neither https nor on the API's host %s; refused, nothing was sent to it", ErrUnexpectedResponse, name, c.base.Host)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, raw, rd)
	if err != nil {
		return nil, fmt.Errorf("integratorio: %s %s: %w", method, name, err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.files.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message holds the whole URL, signature included
		}
		return nil, c.redactError(fmt.Errorf("integratorio: %s %s (signed URL): %w", method, name, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, c.redactError(fmt.Errorf("%w: %s %s (signed URL): status %d: %q", ErrUnexpectedResponse, method, name, resp.StatusCode, oneLine(string(b))))
	}
	return resp, nil
}

// signedGet fetches a signed URL and returns its body, which the caller
// closes.
func (c *Client) signedGet(ctx context.Context, raw string) (io.ReadCloser, error) {
	resp, err := c.signedRequest(ctx, http.MethodGet, raw, nil, "")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// uploadZip uploads a zip for a template preview or install: it asks for
// an upload slot (GET /s3SignedURL?file_type=application/zip, answered
// {"signedURL", "runKey"}), PUTs the zip to the signed URL without the
// bearer token, and returns the runKey that names the upload.
func (c *Client) uploadZip(ctx context.Context, op string, zip io.Reader) (string, error) {
	if zip == nil {
		return "", invalidArgf("%s: nil zip", op)
	}
	data, err := io.ReadAll(io.LimitReader(zip, maxTemplateZip+1))
	if err != nil {
		return "", fmt.Errorf("integratorio: %s: reading the zip: %w", op, err)
	}
	if len(data) > maxTemplateZip {
		return "", invalidArgf("%s: the zip is larger than %d MiB", op, maxTemplateZip>>20)
	}
	var slot struct {
		SignedURL string `json:"signedURL"`
		RunKey    string `json:"runKey"`
	}
	err = c.send(request{ctx: ctx, method: http.MethodGet, path: "/s3SignedURL", query: "file_type=application/zip"}, func(resp *response) error {
		if resp.body == nil || json.Unmarshal(resp.body, &slot) != nil || slot.SignedURL == "" || slot.RunKey == "" {
			return resp.unexpected(http.MethodGet, "want {\"signedURL\": ..., \"runKey\": ...}, got %s", resp.excerpt())
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	resp, err := c.signedRequest(ctx, http.MethodPut, slot.SignedURL, data, "application/zip")
	if err != nil {
		return "", fmt.Errorf("integratorio: %s: uploading the zip: %w", op, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return slot.RunKey, nil
}
