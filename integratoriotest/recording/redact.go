package recording

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/integratorio-go/integratorio/internal/redact"
)

// Redacted replaces every secret the recorder removes.
const Redacted = "REDACTED"

// A name (a JSON member, a query parameter, the "name" of a name/value
// pair, a recorded header) marks its value as a secret when, in lower case
// with an "X-" prefix, its separators (anything but letters and digits) and
// trailing digits taken out, it ends with one of secretSuffixes or is one
// of secretExactNames: "client_secret", "X-Auth-Token", "refreshToken",
// "private-key", "X-Key" and "password2" name secrets; Celigo's own
// "retryDataKey", "reqAndResKey", "traceKey", "author", "sessionNumber"
// and "tokenCount" do not.
var (
	// secretSuffixes make every value under the member a secret, at any
	// depth ("credentials": {"user": …, "pass": …}).
	secretSuffixes = []string{
		"password", "passwords", "passwd", "passphrase",
		"secret", "secrets", "token", "tokens",
		"credential", "credentials", "cookie", "cookies",
		"signature", "authorization", "authcode", "authorizationcode",
		"apikey", "accesskey", "accesskeyid", "privatekey", "secretkey",
		"signingkey", "encryptionkey", "hmackey", "masterkey", "sessionkey",
		"sessionid",
	}
	// secretWholeNames are secrets whole and at any depth too: a
	// connection's "encrypted" members ("unencrypted" are not secrets).
	secretWholeNames = []string{"encrypted"}
	// secretExactNames are secrets when the name is the whole word and
	// holds a string or a number: a webhook's "key" (Celigo masks it), an
	// "auth" or "session" value, a shared access signature's "sig". An
	// object under such a name ("auth": {"type": "basic", …}) is settings,
	// redacted member by member.
	secretExactNames = []string{"key", "auth", "session", "sig", "pwd", "pass"}
)

// Kinds of secret names, as nameKind tells them.
const (
	notSecret     = iota
	secretScalar  // a string or number under the name is a secret
	secretSubtree // every value under the name, at any depth, is a secret
)

// normalName returns name as nameKind compares it: lower case, only
// letters and digits, without an "X-" prefix or trailing digits.
func normalName(name string) string {
	if len(name) > 2 && (name[0] == 'x' || name[0] == 'X') && (name[1] == '-' || name[1] == '_') {
		name = name[2:]
	}
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			b = append(b, c)
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	return strings.TrimRight(string(b), "0123456789")
}

// nameKind tells whether name (a JSON member, a query parameter, a header)
// names a secret, and how much of what it holds is secret.
func nameKind(name string) int {
	n := normalName(name)
	switch {
	case n == "":
		return notSecret
	case slices.Contains(secretWholeNames, n):
		return secretSubtree
	case slices.Contains(secretExactNames, n):
		return secretScalar
	}
	for _, suf := range secretSuffixes {
		if strings.HasSuffix(n, suf) {
			return secretSubtree
		}
	}
	return notSecret
}

// Values that look like tokens wherever they appear: a long run of hex
// digits, even inside a word such as "shpat_<hex>" (integrator.io API
// tokens are 32 hex digits; ids are 24 and are kept), a JSON Web Token,
// and keys with a vendor's prefix.
var tokenPatterns = []*regexp.Regexp{
	// Keys with a vendor's prefix, which a connection's settings may hold
	// under any name: Stripe (sk_live_…), GitHub (ghp_…), Slack (xoxb-…),
	// AWS access key ids (AKIA…). First, so that the prefix goes too.
	regexp.MustCompile(`\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}`),
	regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{30,}`),
	regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}`),
	regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`),
	regexp.MustCompile(`[0-9a-fA-F]{32,}`),
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`),
}

// credential matches an HTTP credential, "Bearer x" or "Basic x"; looksLike
// decides whether x is one or an ordinary word ("bearer authentication").
var credential = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]+)`)

// Name-based rules for text that is not decoded JSON: a query parameter
// (in a URL anywhere in the text) or a JSON member, redacted when
// r.named says its name is a secret's.
var (
	textParam  = regexp.MustCompile(`([?&;])([^=&;#\s<>"']+)=([^&;#\s<>"']+)`)
	textMember = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)`)
)

// placeholder returns what replaces a secret JSON value: a value of the
// same JSON type, so that a recording decodes into the same Go types as
// the answer it was made from. A string becomes "REDACTED" (an empty one
// stays empty), an integer 0, another number 0.0; booleans and null hold
// no secret and are kept.
func placeholder(v any) any {
	switch v := v.(type) {
	case string:
		if v == "" {
			return v
		}
		return Redacted
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return json.Number("0.0")
		}
		return json.Number("0")
	}
	return v
}

// looksLikeCredential tells a credential from a word: long, or holding a
// digit or a padding '='.
func looksLikeCredential(s string) bool {
	return len(s) >= 16 || strings.ContainsAny(s, "0123456789=")
}

// redactor removes secrets from recorded text.
type redactor struct {
	secrets []string // exact values, e.g. the bearer token of the request
	// finds finds each secret in the forms a server may echo it in: raw,
	// JSON-escaped, percent-encoded (hex digits in either case), or a mix
	// (the SDK's own redaction, package internal/redact).
	finds []redact.Token
	keep  []string // names never taken for secrets' (ExemptNames), normalized
}

// kind is nameKind, but notSecret for a name the user kept (ExemptNames).
func (r *redactor) kind(name string) int {
	if slices.Contains(r.keep, normalName(name)) {
		return notSecret
	}
	return nameKind(name)
}

// named reports whether name names a secret and is not one the user kept.
func (r *redactor) named(name string) bool { return r.kind(name) != notSecret }

// newRedactor returns a redactor for the exact secrets given (empty ones
// are ignored).
func newRedactor(secrets []string) *redactor {
	r := &redactor{secrets: secrets}
	seen := map[string]bool{}
	for _, sec := range secrets {
		if sec != "" && !seen[sec] {
			seen[sec] = true
			r.finds = append(r.finds, redact.New(sec))
		}
	}
	return r
}

// text redacts the known secrets, however they are encoded, credentials,
// token-looking values, and values that text such as a URL or a JSON
// fragment names as secrets.
func (r *redactor) text(s string) string {
	for _, f := range r.finds {
		s = f.RedactString(s)
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
	s = textParam.ReplaceAllStringFunc(s, func(m string) string {
		sub := textParam.FindStringSubmatch(m)
		name, err := url.QueryUnescape(sub[2])
		if err != nil {
			name = sub[2]
		}
		if !r.named(name) {
			return m
		}
		return sub[1] + sub[2] + "=" + Redacted
	})
	return textMember.ReplaceAllStringFunc(s, func(m string) string {
		sub := textMember.FindStringSubmatch(m)
		if !r.named(sub[1]) {
			return m
		}
		val := sub[3]
		switch {
		case val == `""`:
		case strings.HasPrefix(val, `"`):
			val = `"` + Redacted + `"`
		default:
			val = string(placeholder(json.Number(val)).(json.Number))
		}
		return `"` + sub[1] + `"` + sub[2] + val
	})
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

// value redacts a decoded JSON value and returns it. Every string and
// number under a member named like a secret is replaced by its
// placeholder, at any depth.
func (r *redactor) value(v any, secret bool) any {
	switch v := v.(type) {
	case string:
		if secret {
			return placeholder(v)
		}
		return r.text(v)
	case json.Number:
		if secret || r.isSecret(v.String()) {
			return placeholder(v)
		}
		return v
	case map[string]any:
		// A name/value pair such as {"name":"Authorization","value":"..."}
		// (integrator.io's HTTP headers) names its secret in a sibling;
		// its "key" is then that name, not a secret.
		_, isPair := v["value"]
		pairSecret := false
		for _, k := range []string{"name", "key", "header"} {
			if n, ok := v[k].(string); ok && isPair && r.named(n) {
				pairSecret = true
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			kind := r.kind(k)
			if isPair && k == "key" {
				kind = notSecret
			}
			s := secret || kind == secretSubtree || (pairSecret && k == "value")
			if kind == secretScalar {
				switch e.(type) {
				case string, json.Number:
					s = true
				}
			}
			// Member names are redacted too: a server may key by a secret.
			if !s && celigoID(k) {
				out[r.text(k)] = r.idValue(e)
				continue
			}
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

// celigoIDNames are Celigo's own members holding keys and ids, never
// secrets, normalized: their values are kept even when they look like
// tokens (a retry data key may be 32 hex digits), so that a replay tells
// one key from another, and an error id from a retry key.
var celigoIDNames = []string{"retrydatakey", "retrydatakeys", "reqandreskey", "reqandreskeys", "tracekey", "tracekeys", "errorid", "errorids"}

// celigoID reports whether name is one of celigoIDNames or a reference
// such as "_flowJobId" or "_integrationIds".
func celigoID(name string) bool {
	if strings.HasPrefix(name, "_") && (strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "Ids")) {
		return true
	}
	return slices.Contains(celigoIDNames, normalName(name))
}

// idValue redacts the value of a celigoID member: only the exact secrets
// (the request's credentials, RedactValues) are taken out of its strings.
func (r *redactor) idValue(v any) any {
	switch v := v.(type) {
	case string:
		for _, f := range r.finds {
			v = f.RedactString(v)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = r.idValue(e)
		}
		return v
	}
	return r.value(v, false)
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
			for _, f := range r.finds {
				out = f.Redact(out)
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
	// The secrets go first, as sent: decoding would turn a "+" of one
	// into a space, and the decoded value would no longer match.
	raw := u.RawQuery
	for _, f := range r.finds {
		raw = f.RedactString(raw)
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		// text still redacts parameters named like secrets.
		return r.text(out + "?" + raw)
	}
	red := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			switch {
			case r.named(k) && v != "":
				v = Redacted
			case celigoID(k):
				v = r.idValue(v).(string)
			default:
				v = r.text(v)
			}
			// Parameter names are redacted too.
			red.Add(r.text(k), v)
		}
	}
	return r.text(out) + "?" + red.Encode()
}
