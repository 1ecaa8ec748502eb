package integratorio

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
)

// Template zips: an integration or flow exported as a zip, and a zip
// previewed or installed as a new integration. The zips travel through
// signed URLs (see signed.go), never with the bearer token.

func (s *integrations) DownloadTemplate(ctx context.Context, id string) (io.ReadCloser, error) {
	return s.downloadTemplate(ctx, id)
}

func (s *flows) DownloadTemplate(ctx context.Context, id string) (io.ReadCloser, error) {
	return s.downloadTemplate(ctx, id)
}

func (s *integrations) PreviewTemplate(ctx context.Context, zip io.Reader) (json.RawMessage, error) {
	runKey, err := s.c.uploadZip(ctx, "PreviewTemplate", zip)
	if err != nil {
		return nil, err
	}
	q := "runKey=" + url.QueryEscape(runKey)
	return s.c.sendRaw(request{ctx: ctx, method: http.MethodGet, path: "/integrations/template/preview", query: q}, true)
}

func (s *integrations) InstallTemplate(ctx context.Context, zip io.Reader, connectionMap map[string]string) (*Cloned[Integration], error) {
	if err := validConnectionMap(connectionMap); err != nil {
		return nil, err
	}
	runKey, err := s.c.uploadZip(ctx, "InstallTemplate", zip)
	if err != nil {
		return nil, err
	}
	body := struct {
		RunKey        string            `json:"runKey"`
		ConnectionMap map[string]string `json:"connectionMap,omitempty"`
	}{runKey, connectionMap}
	return wrapCloned(s.created(ctx, request{method: http.MethodPost, path: "/integrations/template", body: body}, "Integration"))
}
