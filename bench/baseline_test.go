package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/integratorio-go/integratorio"
)

// baseIntegration is what a user would declare to read integrations with
// encoding/json: the SDK's typed fields, settings kept as raw JSON, every
// other member dropped.
type baseIntegration struct {
	ID                      string            `json:"_id"`
	Name                    string            `json:"name,omitempty"`
	Description             string            `json:"description,omitempty"`
	Readme                  string            `json:"readme,omitempty"`
	Mode                    integratorio.Mode `json:"mode,omitempty"`
	Version                 string            `json:"version,omitempty"`
	UpdateInProgress        bool              `json:"updateInProgress"`
	ConnectorID             string            `json:"_connectorId,omitempty"`
	TemplateID              string            `json:"_templateId,omitempty"`
	Sandbox                 bool              `json:"sandbox,omitempty"`
	Tag                     string            `json:"tag,omitempty"`
	Install                 []baseInstallStep `json:"install,omitempty"`
	InstallSteps            []baseInstallStep `json:"installSteps,omitempty"`
	UninstallSteps          []baseInstallStep `json:"uninstallSteps,omitempty"`
	Settings                json.RawMessage   `json:"settings,omitempty"`
	RegisteredConnectionIDs []string          `json:"_registeredConnectionIds,omitempty"`
	LastModified            time.Time         `json:"lastModified,omitzero"`
	CreatedAt               time.Time         `json:"createdAt,omitzero"`
}

// baseInstallStep mirrors integratorio.InstallStep's typed fields.
type baseInstallStep struct {
	Name                string `json:"name,omitempty"`
	Description         string `json:"description,omitempty"`
	ImageURL            string `json:"imageURL,omitempty"`
	Completed           bool   `json:"completed"`
	InstallerFunction   string `json:"installerFunction,omitempty"`
	UninstallerFunction string `json:"uninstallerFunction,omitempty"`
	ConnectionID        string `json:"_connectionId,omitempty"`
	InstallURL          string `json:"installURL,omitempty"`
	Type                string `json:"type,omitempty"`
}

// baseClient is a hand-written API client: one http.Client with a pooled
// transport sized for 64 concurrent callers, no retries.
type baseClient struct {
	hc   *http.Client
	base string // API root without trailing slash
	auth string
}

// newBaseClient returns a client for the API root base.
func newBaseClient(base, token string) *baseClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 128
	t.MaxIdleConnsPerHost = 64
	return &baseClient{
		hc:   &http.Client{Transport: t, Timeout: time.Minute},
		base: strings.TrimRight(base, "/"),
		auth: "Bearer " + token,
	}
}

// do sends one request and decodes a 200 answer's JSON body into out. The
// body is always drained and closed so the connection is reused.
func (c *baseClient) do(ctx context.Context, method, u string, body []byte, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", c.auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("%s %s: %d: %s", method, u, resp.StatusCode, msg)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return nil, fmt.Errorf("%s %s: decoding: %w", method, u, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Header, nil
}

// get returns one integration.
func (c *baseClient) get(ctx context.Context, id string) (*baseIntegration, error) {
	var in baseIntegration
	if _, err := c.do(ctx, http.MethodGet, c.base+"/integrations/"+url.PathEscape(id), nil, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

// update replaces the integration with in and returns it as stored.
func (c *baseClient) update(ctx context.Context, id string, in *baseIntegration) (*baseIntegration, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	var out baseIntegration
	if _, err := c.do(ctx, http.MethodPut, c.base+"/integrations/"+url.PathEscape(id), body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// eachPage calls fn with every page of the listing, following the Link
// header's rel="next", and stops early when fn returns false.
func (c *baseClient) eachPage(ctx context.Context, fn func([]baseIntegration) bool) error {
	u := c.base + "/integrations"
	for u != "" {
		var page []baseIntegration
		h, err := c.do(ctx, http.MethodGet, u, nil, &page)
		if err != nil {
			return err
		}
		if !fn(page) {
			return nil
		}
		u = nextLink(h.Get("Link"))
	}
	return nil
}

// list returns the whole listing.
func (c *baseClient) list(ctx context.Context) ([]baseIntegration, error) {
	var all []baseIntegration
	err := c.eachPage(ctx, func(page []baseIntegration) bool {
		all = append(all, page...)
		return true
	})
	return all, err
}

// nextLink returns the rel="next" target of a Link header, or "".
func nextLink(link string) string {
	for part := range strings.SplitSeq(link, ",") {
		target, params, ok := strings.Cut(part, ";")
		if ok && strings.Contains(params, `rel="next"`) {
			return strings.Trim(strings.TrimSpace(target), "<>")
		}
	}
	return ""
}
