package recording

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
)

// Redacted replaces every secret the recorder removes.
const Redacted = "REDACTED"

// Values that look like tokens wherever they appear: a bearer credential,
// a long run of hex digits (integrator.io API tokens are 32 hex digits; ids
// are 24 and are kept) and a JSON Web Token.
var tokenPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+`),
	regexp.MustCompile(`\b[0-9a-fA-F]{32,}\b`),
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`),
}

// secretKey matches the names of JSON members and query parameters whose
// string values are secrets, whatever they look like.
var secretKey = regexp.MustCompile(`(?i)(token|secret|password|passwd|apikey|api_key|authorization|credential|private_?key)`)

// redactor removes secrets from recorded text.
type redactor struct {
	secrets []string // exact values, e.g. the bearer token of the request
}

// text redacts the known secrets, in plain and URL-escaped form, and
// token-looking values in s.
func (r *redactor) text(s string) string {
	for _, sec := range r.secrets {
		if sec != "" {
			for _, form := range []string{sec, url.PathEscape(sec), url.QueryEscape(sec)} {
				s = strings.ReplaceAll(s, form, Redacted)
			}
		}
	}
	for i, re := range tokenPatterns {
		if i == 0 {
			s = re.ReplaceAllString(s, "Bearer "+Redacted)
			continue
		}
		s = re.ReplaceAllString(s, Redacted)
	}
	return s
}

// value redacts a decoded JSON value in place and returns it.
func (r *redactor) value(v any, key string) any {
	switch v := v.(type) {
	case string:
		if key != "" && v != "" && secretKey.MatchString(key) {
			return Redacted
		}
		return r.text(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			// Member names are redacted too: a server may key by a secret.
			out[r.text(k)] = r.value(e, k)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = r.value(e, key)
		}
		return v
	}
	return v
}

// body redacts a body: JSON is decoded, redacted member by member and
// re-encoded compactly; anything else is redacted as text.
func (r *redactor) body(b []byte) (json.RawMessage, string) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, ""
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && !dec.More() {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r.value(v, "")); err == nil {
			return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), ""
		}
	}
	return nil, r.text(string(b))
}

// requestURL redacts a path and query.
func (r *redactor) requestURL(u *url.URL) string {
	out := u.EscapedPath()
	if u.RawQuery == "" {
		return r.text(out)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return r.text(out + "?" + u.RawQuery)
	}
	red := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if secretKey.MatchString(k) && v != "" {
				v = Redacted
			}
			// Parameter names are redacted too.
			red.Add(r.text(k), r.text(v))
		}
	}
	return r.text(out) + "?" + red.Encode()
}
