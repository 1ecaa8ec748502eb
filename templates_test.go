package integratorio

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	filesHost = "https://files.example.test"
	signature = "X-Amz-Signature=sig-SECRET-123"
	zipBytes  = "PK\x03\x04 not really a zip"
)

func TestDownloadTemplateFetchesTheSignedURLWithoutTheToken(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"integrations", "flows"} {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			var api, files recorder
			mt.RegisterResponder(http.MethodGet, testRoot+"/"+typ+"/"+depID+"/template", api.wrap(jsonResponder(200, []byte(`{"signedURL":"`+filesHost+`/t/`+typ+`.zip?`+signature+`"}`))))
			mt.RegisterResponder(http.MethodGet, filesHost+"/t/"+typ+".zip", files.wrap(httpmock.NewStringResponder(200, zipBytes)))
			download := c.Integrations.DownloadTemplate
			if typ == "flows" {
				download = c.Flows.DownloadTemplate
			}
			rc, err := download(context.Background(), depID)
			require.NoError(t, err)
			b, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.NoError(t, rc.Close())
			assert.Equal(t, zipBytes, string(b))

			require.Len(t, api.reqs, 1)
			assert.Equal(t, "Bearer "+testToken, api.reqs[0].Header.Get("Authorization"), "the API call carries the token")
			require.Len(t, files.reqs, 1)
			assert.Empty(t, files.reqs[0].Header.Values("Authorization"), "the signed URL is fetched without the token")
			assert.Equal(t, signature, files.reqs[0].RawQuery, "the signed URL is fetched as given")
			for k, vs := range files.reqs[0].Header {
				for _, v := range vs {
					assert.NotContains(t, v, testToken, "header %s", k)
				}
			}
		})
	}
}

func TestDownloadTemplateRefusesAPlainHTTPURLOnAnotherHost(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var files recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/"+depID+"/template", jsonResponder(200, []byte(`{"signedURL":"http://files.example.test/t.zip?`+signature+`"}`)))
	mt.RegisterResponder(http.MethodGet, "http://files.example.test/t.zip", files.wrap(httpmock.NewStringResponder(200, zipBytes)))
	rc, err := c.Integrations.DownloadTemplate(context.Background(), depID)
	require.Error(t, err)
	assert.Nil(t, rc)
	assert.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.Contains(t, err.Error(), "neither https nor on the API's host")
	assert.NotContains(t, err.Error(), "sig-SECRET", "the signature stays out of errors")
	assert.Empty(t, files.reqs, "nothing is sent to it")
}

func TestDownloadTemplateReportsAFailedFetchWithoutTheSignature(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/"+depID+"/template", jsonResponder(200, []byte(`{"signedURL":"`+filesHost+`/t.zip?`+signature+`"}`)))
	mt.RegisterResponder(http.MethodGet, filesHost+"/t.zip", httpmock.NewStringResponder(403, "<Error><Code>AccessDenied</Code></Error>"))
	_, err := c.Integrations.DownloadTemplate(context.Background(), depID)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "403")
	assert.Contains(t, err.Error(), filesHost+"/t.zip")
	assert.NotContains(t, err.Error(), "sig-SECRET")

	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/"+depID+"/template", jsonResponder(200, []byte(`{"url":"x"}`)))
	_, err = c.Integrations.DownloadTemplate(context.Background(), depID)
	assert.ErrorIs(t, err, ErrUnexpectedResponse, "an answer without signedURL")
}

// uploadMocks registers the upload slot and the signed PUT.
func uploadMocks(mt *httpmock.MockTransport, slot, put *recorder) {
	mt.RegisterResponder(http.MethodGet, testRoot+"/s3SignedURL", slot.wrap(jsonResponder(200, []byte(`{"signedURL":"`+filesHost+`/up/1?`+signature+`","runKey":"rk 1"}`))))
	mt.RegisterResponder(http.MethodPut, filesHost+"/up/1", put.wrap(httpmock.NewStringResponder(200, "")))
}

func TestInstallTemplateWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var slot, put, install, get recorder
	uploadMocks(mt, &slot, &put)
	mt.RegisterResponder(http.MethodPost, testRoot+"/integrations/template", install.wrap(jsonResponder(201, []byte(`[{"model":"Flow","_id":"f9","name":"F"},{"model":"Integration","_id":"`+depID+`","name":"x"}]`))))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/"+depID, get.wrap(jsonResponder(200, []byte(depDoc))))

	out, err := c.Integrations.InstallTemplate(context.Background(), strings.NewReader(zipBytes), map[string]string{connA: connB})
	require.NoError(t, err)
	assert.Equal(t, depID, out.Document.ID)
	assert.Len(t, out.Created, 2)

	require.Len(t, slot.reqs, 1)
	assert.Equal(t, "file_type=application/zip", slot.reqs[0].RawQuery)
	require.Len(t, put.reqs, 1)
	assert.Empty(t, put.reqs[0].Header.Values("Authorization"), "the zip is PUT without the token")
	assert.Equal(t, "application/zip", put.reqs[0].Header.Get("Content-Type"))
	assert.Equal(t, zipBytes, string(put.reqs[0].Body))
	require.Len(t, install.reqs, 1)
	assert.JSONEq(t, `{"runKey":"rk 1","connectionMap":{"`+connA+`":"`+connB+`"}}`, string(install.reqs[0].Body))
	assert.Len(t, get.reqs, 1, "the new integration is read by id")
}

func TestInstallTemplateIsNeverRepeated(t *testing.T) {
	t.Parallel()
	for name, answer := range map[string]httpmock.Responder{
		"lost answer": httpmock.NewErrorResponder(errors.New("connection reset by peer")),
		"502":         httpmock.NewStringResponder(502, ""),
		"unreadable":  jsonResponder(201, []byte(`{"nothing":1}`)),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, mt := newMockClient(t)
			var slot, put, install recorder
			uploadMocks(mt, &slot, &put)
			mt.RegisterResponder(http.MethodPost, testRoot+"/integrations/template", install.wrap(answer))
			_, err := c.Integrations.InstallTemplate(context.Background(), strings.NewReader(zipBytes), nil)
			assert.ErrorIs(t, err, ErrUnknownOutcome)
			assert.Len(t, install.reqs, 1, "the install is sent once")
		})
	}
}

func TestInstallTemplateRefusesBadInputBeforeSending(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	ctx := context.Background()
	_, err := c.Integrations.InstallTemplate(ctx, nil, nil)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.Integrations.InstallTemplate(ctx, strings.NewReader(zipBytes), map[string]string{"a": ""})
	assert.ErrorIs(t, err, ErrInvalidArgument)
	_, err = c.Integrations.PreviewTemplate(ctx, nil)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Zero(t, mt.GetTotalCallCount())
}

func TestUploadRefusesAForeignPlainHTTPSlot(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var put, preview recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/s3SignedURL", jsonResponder(200, []byte(`{"signedURL":"http://files.example.test/up/1","runKey":"rk"}`)))
	mt.RegisterResponder(http.MethodPut, "http://files.example.test/up/1", put.wrap(httpmock.NewStringResponder(200, "")))
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/template/preview", preview.wrap(jsonResponder(200, []byte(`{}`))))
	_, err := c.Integrations.PreviewTemplate(context.Background(), strings.NewReader(zipBytes))
	assert.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.Empty(t, put.reqs, "the zip is not sent")
	assert.Empty(t, preview.reqs)
}

func TestPreviewTemplateWire(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var slot, put, preview recorder
	uploadMocks(mt, &slot, &put)
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/template/preview", preview.wrap(jsonResponder(200, []byte(`{"objects":[{"model":"Flow"}]}`))))
	got, err := c.Integrations.PreviewTemplate(context.Background(), strings.NewReader(zipBytes))
	require.NoError(t, err)
	assert.JSONEq(t, `{"objects":[{"model":"Flow"}]}`, string(got))
	require.Len(t, preview.reqs, 1)
	assert.Equal(t, "runKey=rk+1", preview.reqs[0].RawQuery)
	assert.Len(t, put.reqs, 1)
}

func TestDownloadTemplateFollowsASignedRedirectWithoutTheToken(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var first, second recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/integrations/"+depID+"/template", jsonResponder(200, []byte(`{"signedURL":"`+filesHost+`/t/a.zip?`+signature+`"}`)))
	mt.RegisterResponder(http.MethodGet, filesHost+"/t/a.zip", first.wrap(func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(http.StatusFound, "")
		r.Header.Set("Location", "https://mirror.example.test/b.zip?"+signature)
		return r, nil
	}))
	mt.RegisterResponder(http.MethodGet, "https://mirror.example.test/b.zip", second.wrap(httpmock.NewStringResponder(200, zipBytes)))
	rc, err := c.Integrations.DownloadTemplate(context.Background(), depID)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, zipBytes, string(b))
	require.Len(t, first.reqs, 1)
	require.Len(t, second.reqs, 1)
	for _, r := range append(first.reqs, second.reqs...) {
		assert.Empty(t, r.Header.Values("Authorization"), "%s %s", r.Method, r.Path)
		for k, vs := range r.Header {
			for _, v := range vs {
				assert.NotContains(t, v, testToken, "header %s", k)
			}
		}
	}
}

func TestDownloadTemplateRefusesARedirectToPlainHTTP(t *testing.T) {
	t.Parallel()
	c, mt := newMockClient(t)
	var plain recorder
	mt.RegisterResponder(http.MethodGet, testRoot+"/flows/"+depID+"/template", jsonResponder(200, []byte(`{"signedURL":"`+filesHost+`/t/a.zip?`+signature+`"}`)))
	mt.RegisterResponder(http.MethodGet, filesHost+"/t/a.zip", func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(http.StatusFound, "")
		r.Header.Set("Location", "http://mirror.example.test/b.zip?"+signature)
		return r, nil
	})
	mt.RegisterResponder(http.MethodGet, "http://mirror.example.test/b.zip", plain.wrap(httpmock.NewStringResponder(200, zipBytes)))
	rc, err := c.Flows.DownloadTemplate(context.Background(), depID)
	require.Error(t, err)
	assert.Nil(t, rc)
	assert.Empty(t, plain.reqs, "nothing is fetched over plain http")
	assert.NotContains(t, err.Error(), "sig-SECRET", "the signature stays out of the message")
	assert.NotContains(t, err.Error(), testToken)
	assert.Equal(t, 2, mt.GetTotalCallCount(), "the API call and the signed URL, no more")
}
