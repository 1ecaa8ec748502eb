package recording

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Redacted replaces every secret the recorder removes.
const Redacted = "REDACTED"

// secretName is the part of a name (a JSON member, a query parameter, the
// "name" of a name/value pair, a recorded header) that marks its value as a
// secret, whatever the value looks like. It is matched case-insensitively
// anywhere in the name: "key" covers api-key, apikey, accessKey and
// private_key, "auth" covers Authorization and X-Auth-Token, "passw(or)d"
// both spellings. It is the one name rule of the recorder; it errs on the
// side of redacting ("monkey", "author" are redacted too).
const secretName = `token|secret|passw(?:or)?d|key|auth|cookie|session|credential|signature`

// secretKey matches the names of JSON members, query parameters and
// headers whose values are secrets.
var secretKey = regexp.MustCompile(`(?i)(` + secretName + `)`)

// secretNamed reports whether name (a JSON member, a query parameter, a
// header) names a secret.
func secretNamed(name string) bool { return secretKey.MatchString(name) }

// Values that look like tokens wherever they appear: a long run of hex
// digits, even inside a word such as "shpat_<hex>" (integrator.io API
// tokens are 32 hex digits; ids are 24 and are kept), and a JSON Web
// Token.
var tokenPatterns = []*regexp.Regexp{
	regexp.MustCompile(`[0-9a-fA-F]{32,}`),
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`),
}

// credential matches an HTTP credential, "Bearer x" or "Basic x"; looksLike
// decides whether x is one or an ordinary word ("bearer authentication").
var credential = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]+)`)

// Name-based rules for text that is not decoded JSON: a query parameter
// (in a URL anywhere in the text) or a JSON member named like a secret.
var (
	secretParam  = regexp.MustCompile(`(?i)([?&;][^=&;#\s<>"']*(?:` + secretName + `)[^=&;#\s<>"']*=)([^&;#\s<>"']+)`)
	secretMember = regexp.MustCompile(`(?i)("(?:[^"\\]|\\.)*(?:` + secretName + `)(?:[^"\\]|\\.)*"\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)`)
)

// looksLikeCredential tells a credential from a word: long, or holding a
// digit or a padding '='.
func looksLikeCredential(s string) bool {
	return len(s) >= 16 || strings.ContainsAny(s, "0123456789=")
}

// redactor removes secrets from recorded text.
type redactor struct {
	secrets []string // exact values, e.g. the bearer token of the request
	forms   []string // the secrets, plain and URL-escaped, without repeats
}

// newRedactor returns a redactor for the exact secrets given (empty ones
// are ignored).
func newRedactor(secrets []string) *redactor {
	r := &redactor{secrets: secrets}
	for _, sec := range secrets {
		for _, form := range []string{sec, url.PathEscape(sec), url.QueryEscape(sec)} {
			if form != "" && !slices.Contains(r.forms, form) {
				r.forms = append(r.forms, form)
			}
		}
	}
	return r
}

// text redacts the known secrets, in plain and URL-escaped form,
// credentials, token-looking values, and values that text such as a URL or
// a JSON fragment names as secrets.
func (r *redactor) text(s string) string {
	for _, form := range r.forms {
		s = strings.ReplaceAll(s, form, Redacted)
	}
	s = credential.ReplaceAllStringFunc(s, func(m string) string {
		sub := credential.FindStringSubmatch(m)
		if !looksLikeCredential(sub[3]) {
			return m
		}
		return sub[1] + sub[2] + Redacted
	})
	for _, re := range tokenPatterns {
		s = re.ReplaceAllString(s, Redacted)
	}
	s = secretParam.ReplaceAllString(s, "${1}"+Redacted)
	return secretMember.ReplaceAllString(s, `${1}"`+Redacted+`"`)
}

// isSecret reports whether v is one of the exact secrets.
func (r *redactor) isSecret(v string) bool {
	for _, sec := range r.secrets {
		if v == sec {
			return true
		}
	}
	return false
}

// value redacts a decoded JSON value and returns it. Every scalar under a
// member named like a secret is redacted, at any depth.
func (r *redactor) value(v any, secret bool) any {
	switch v := v.(type) {
	case string:
		if secret && v != "" {
			return Redacted
		}
		return r.text(v)
	case json.Number:
		if secret || r.isSecret(v.String()) {
			return Redacted
		}
		return v
	case map[string]any:
		// A name/value pair such as {"name":"Authorization","value":"..."}
		// (integrator.io's HTTP headers) names its secret in a sibling.
		pairSecret := false
		for _, k := range []string{"name", "key", "header"} {
			if n, ok := v[k].(string); ok && secretNamed(n) {
				pairSecret = true
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			s := secret || secretNamed(k) || (pairSecret && k == "value")
			// Member names are redacted too: a server may key by a secret.
			out[r.text(k)] = r.value(e, s)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = r.value(e, secret)
		}
		return v
	}
	return v
}

// body redacts a body. JSON is decoded, redacted member by member and
// re-encoded compactly (a leading byte-order mark is dropped); other UTF-8
// text is redacted as text; anything else (binary, or text in another
// encoding) is returned as raw bytes with only the exact secrets removed.
func (r *redactor) body(b []byte) (js json.RawMessage, text string, raw []byte) {
	return normalBody(b, r)
}

// plainBody returns b in the forms body does, nothing redacted: what replay
// compares a recorded body with when the recorded one holds in clear a
// value the redactor would now remove.
func plainBody(b []byte) (js json.RawMessage, text string, raw []byte) {
	return normalBody(b, nil)
}

// normalBody is body, redacting with r, or nothing when r is nil.
func normalBody(b []byte, r *redactor) (js json.RawMessage, text string, raw []byte) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, "", nil
	}
	if !utf8.Valid(b) {
		out := bytes.Clone(b)
		if r != nil {
			for _, form := range r.forms {
				out = bytes.ReplaceAll(out, []byte(form), []byte(Redacted))
			}
		}
		return nil, "", out
	}
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && !dec.More() {
		if r != nil {
			v = r.value(v, false)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err == nil {
			return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), "", nil
		}
	}
	if r == nil {
		return nil, string(b), nil
	}
	return nil, r.text(string(b)), nil
}

// requestURL redacts a path and query.
func (r *redactor) requestURL(u *url.URL) string {
	out := u.EscapedPath()
	if u.RawQuery == "" {
		return r.text(out)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		// text still redacts parameters named like secrets.
		return r.text(out + "?" + u.RawQuery)
	}
	red := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if secretNamed(k) && v != "" {
				v = Redacted
			}
			// Parameter names are redacted too.
			red.Add(r.text(k), r.text(v))
		}
	}
	return r.text(out) + "?" + red.Encode()
}
