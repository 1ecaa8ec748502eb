package integratorio

import (
	"bytes"
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// The request path: every call of every resource goes through send, which
// encodes the body, retries by method, reads the answer within bounds and
// turns failures into typed, redacted errors.

// request describes one API call.
type request struct {
	method string
	path   string   // relative to the API root, already escaped
	query  string   // encoded query, without "?"
	url    *url.URL // absolute URL instead of path+query (pagination)
	body   any      // encoded as JSON when non-nil
	raw    []byte   // pre-encoded body, takes precedence over body
	ctx    context.Context
	// safe marks a request that changes nothing although its method is
	// not idempotent (a read sent as POST, such as POST /jobs/current, or
	// a ping): it is retried like a GET.
	safe bool
	// once: the write is never repeated once it may have reached the
	// server, whatever its method (a PUT that toggles a state).
	once bool
	// guard, when set, refuses a body holding masked secrets before
	// sending (ErrMaskedSecret), unless ctx allows them.
	guard *maskGuard
}

// displayPath is the path shown in errors and logs: relative to the API
// root, without the query.
func (c *Client) displayPath(u *url.URL) string {
	p := u.EscapedPath()
	if rest, ok := strings.CutPrefix(p, c.base.Path); ok && (rest == "" || rest[0] == '/') {
		return rest
	}
	return p
}

// response is a successful answer; body is nil for an empty body.
type response struct {
	status  int
	header  http.Header
	body    []byte
	url     *url.URL
	display string
	client  *Client
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxResponseBody bounds a successful answer's body: a page of 1000
// integrations is a few MiB, so anything near this is not the API talking.
const maxResponseBody = 256 << 20

// maxPooledBuffer bounds the buffers kept for reuse.
const maxPooledBuffer = 8 << 20

// send performs the request with retries. A non-2xx answer is an
// *APIError; a 2xx answer's body is handed to decode (which must not keep
// it) before the buffer is reused.
func (c *Client) send(r request, decode func(*response) error) error {
	ctx := r.ctx
	if ctx == nil {
		return invalidArgf("%s: nil context", r.method)
	}
	u := r.url
	if u == nil {
		cp := *c.base
		cp.Path = c.base.Path + r.path
		cp.RawPath = ""
		if strings.Contains(r.path, "%") {
			if p, err := url.PathUnescape(r.path); err == nil {
				cp.Path, cp.RawPath = c.base.Path+p, c.base.Path+r.path
			}
		}
		cp.RawQuery = r.query
		u = &cp
	}
	display := c.redactString(c.displayPath(u))

	body := r.raw
	switch b := r.body.(type) {
	case json.RawMessage: // a body already encoded is sent as it is
		body = b
	case []byte:
		body = b
	}
	if body == nil && r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return invalidArgf("%s %s: encoding the request body: %v", r.method, display, err)
		}
		body = b
	}
	if r.guard != nil {
		if err := checkMasked(ctx, c.tokenRedactor(), body, r.guard.op, r.guard.kind, r.guard.id); err != nil {
			return c.redactError(err)
		}
	}

	st := &attemptState{method: r.method, path: display, idempotent: (r.safe || idempotent(r.method)) && !r.once, client: c}
	defer st.release()
	ctx = context.WithValue(ctx, attemptKey{}, st)
	if r.method != http.MethodGet {
		// Whether a write reached the server decides whether it may be
		// repeated (POST, PATCH) and whether a 404 on a retried DELETE
		// means it was already deleted.
		ctx = st.trace(ctx)
	}
	hreq, err := http.NewRequestWithContext(ctx, r.method, "", nil)
	if err != nil {
		return fmt.Errorf("integratorio: %s %s: %w", r.method, display, err)
	}
	hreq.URL, hreq.Host = u, u.Host
	h := hreq.Header
	h["Authorization"] = []string{c.auth()}
	h["Accept"] = []string{"application/json"}
	h["User-Agent"] = []string{c.userAgent}
	if len(body) > 0 {
		h["Content-Type"] = []string{"application/json"}
	}
	if body == nil && !st.idempotent {
		// net/http's HTTP/2 transport re-sends a request without a body
		// on its own after some stream resets; a write must have one
		// (see below).
		body = []byte{}
	}
	req, err := retryablehttp.FromRequest(hreq)
	if err == nil && body != nil {
		err = req.SetBody(body)
	}
	if err != nil {
		return fmt.Errorf("integratorio: %s %s: %w", r.method, display, err)
	}
	if !st.idempotent {
		// Without GetBody, net/http cannot replay a write whose body it
		// has sent (HTTP/2 does so after a PROTOCOL_ERROR reset, say):
		// the attempt fails instead, and the retry loop, which knows
		// whether the server may have seen it, decides.
		req.GetBody = nil
	}
	// A 2xx body is read inside the retry loop, so that a body cut off
	// midway is retried like any other transport failure where that is safe.
	req.SetResponseHandler(st.readBody)

	resp, err := c.rc.Do(req)
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if errors.Is(err, errBodyTooLarge) {
			err = fmt.Errorf("%w: %s %s: 2xx body larger than %d MiB", ErrUnexpectedResponse, r.method, display, c.maxBody>>20)
			if !st.idempotent {
				err = fmt.Errorf("%w: %w", ErrUnknownOutcome, err) // the server answered 2xx: it acted
			}
			return c.redactError(err)
		}
		return c.transportError(ctx, st, display, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		red := c.tokenRedactor()
		limit := maxErrorBody + red.redactSlack()
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, int64(limit)))
		if rerr != nil && ctx.Err() != nil {
			return fmt.Errorf("integratorio: %s %s: reading error response: %w", r.method, display, ctx.Err())
		}
		ra, _ := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		apiErr := newAPIError(red, r.method, display, resp.StatusCode, ra, b, len(b) >= limit)
		apiErr.mayHaveActed = st.mayHaveActed
		// A create, clone or patch answered 500, 502 or 504 may have been
		// carried out before the failure (a gateway gave up waiting, say).
		apiErr.unknownOutcome = !st.idempotent && resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable
		if resp.StatusCode >= 300 && resp.StatusCode <= 399 {
			apiErr.note = redirectNote(c, r.method, resp.Header.Get("Location"))
		}
		if resp.StatusCode == http.StatusNotFound && r.url == nil && !hasV1(c.base.Path) {
			apiErr.note = noV1Note(c, u)
		}
		return apiErr
	}

	out := &response{status: resp.StatusCode, header: resp.Header, url: u, display: display, client: c}
	if st.buf != nil {
		if b := trimJSONSpace(st.buf.Bytes()); len(b) > 0 {
			out.body = b
		}
	}
	if decode == nil {
		return nil
	}
	if err := decode(out); err != nil {
		if !st.idempotent {
			// The server acted (it answered 2xx), but what it made is
			// unknown to the caller.
			return c.redactError(fmt.Errorf("%w: %w", ErrUnknownOutcome, err))
		}
		return c.redactError(err)
	}
	return nil
}

// errBodyTooLarge ends a request whose successful answer exceeds the
// client's bound; it is not retried, and send reports it as
// ErrUnexpectedResponse.
var errBodyTooLarge = errors.New("response body too large")

// maxPreGrow bounds how much buffer a Content-Length header alone can make
// the client allocate before any body has arrived.
const maxPreGrow = 8 << 20

// readBody reads a 2xx answer's body into a pooled buffer. It runs inside
// the retry loop (retryablehttp's response handler); other answers are left
// for send.
func (st *attemptState) readBody(resp *http.Response) error {
	st.handled = st.attempt + 1
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil
	}
	defer resp.Body.Close()
	if st.buf == nil {
		st.buf = bufPool.Get().(*bytes.Buffer)
	}
	st.buf.Reset()
	if cl := resp.ContentLength; cl > 0 {
		st.buf.Grow(int(min(cl, maxPreGrow)) + 1) // +1: ReadFrom needs room to see the end
	}
	n, err := st.buf.ReadFrom(io.LimitReader(resp.Body, st.client.maxBody+1))
	if err != nil {
		return fmt.Errorf("reading the response body: %w", err)
	}
	if n > st.client.maxBody {
		return errBodyTooLarge
	}
	return nil
}

// release returns the body buffer to the pool.
func (st *attemptState) release() {
	if st.buf != nil && st.buf.Cap() <= maxPooledBuffer {
		bufPool.Put(st.buf)
	}
	st.buf = nil
}

// trimJSONSpace trims the white space JSON allows: space, tab, CR, LF.
func trimJSONSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// transportError wraps a failure without a usable HTTP answer.
func (c *Client) transportError(ctx context.Context, st *attemptState, display string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	sent := st.mayHaveActed || (st.maybeSent() && !notSent(err))
	switch {
	case !st.idempotent && !st.answered && sent:
		err = fmt.Errorf("integratorio: %s %s: %w: %w", st.method, display, ErrUnknownOutcome, err)
	case !sent:
		// No attempt reached the server: say so, for the callers that
		// must know whether a write may have been applied.
		err = &errNotSent{fmt.Errorf("integratorio: %s %s: %w", st.method, display, err)}
	default:
		err = fmt.Errorf("integratorio: %s %s: %w", st.method, display, err)
	}
	return c.redactError(err)
}

// unexpected returns an error matching ErrUnexpectedResponse.
func (r *response) unexpected(method, format string, args ...any) error {
	// send redacts the token from the final error.
	return fmt.Errorf("%w: %s %s: %d: %s", ErrUnexpectedResponse, method, r.display, r.status, fmt.Sprintf(format, args...))
}

// excerpt is the start of the body, quoted, for an error message, with the
// token removed should the server have echoed it.
func (r *response) excerpt() string {
	const n = 40
	red := r.client.tokenRedactor()
	b := r.body
	more := len(b) > n
	b = red.redactCut(b[:min(len(b), n+red.redactSlack())], n, len(b) > n)
	if more {
		return strconv.Quote(string(b)) + "..."
	}
	return strconv.Quote(string(b))
}

// hasV1 reports whether an API root's path holds the /v1 segment under
// which the API lives.
func hasV1(path string) bool {
	return slices.Contains(strings.Split(path, "/"), "v1")
}

// noV1Note explains a 404 from a base URL without /v1: every path of the
// API is under /v1, so the server likely has no route for the path sent.
func noV1Note(c *Client, u *url.URL) string {
	return fmt.Sprintf("the request went to %s, and the base URL %q has no /v1: the API's paths are under /v1 (%s), so the base URL likely lacks /v1 (WithBaseURL)",
		c.redactString(u.EscapedPath()), c.redactString(c.base.String()), regionRoots[RegionNorthAmerica])
}

// redirectNote explains why a redirect was not followed. Reads follow
// redirects within the API's origin; a write never does, since net/http
// would re-send it as a GET (301, 302, 303) or send its body again
// elsewhere (307, 308).
func redirectNote(c *Client, method, location string) string {
	loc := ""
	if location != "" {
		loc = " to " + strconv.Quote(oneLine(c.redactString(location)))
	}
	return fmt.Sprintf("the server redirected the %s%s; the SDK never follows a redirect of a write: it was not re-sent, and is not done", method, loc)
}

// Do sends a request to an endpoint the SDK does not type yet, on the same
// path as every typed call: retries by method (a POST or PATCH is never
// repeated once it may have reached the server), typed errors, redaction
// and size bounds. path is relative to the API root ("/iClients",
// "/flows/{id}/audit?limit=10") and must start with "/"; escape its
// segments with url.PathEscape. body, when non-nil, is sent as JSON (a
// []byte or json.RawMessage as it is). out may be nil, a *json.RawMessage
// (given a copy of the body), or any other pointer encoding/json decodes
// into; anything else (not a pointer, or a pointer to a channel, a
// function, a complex number, an interface with methods, or a slice,
// array or map of them) is refused before sending, with an error matching
// ErrInvalidArgument. An answer without a body leaves out unchanged.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	if method == "" || strings.ContainsFunc(method, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		return invalidArgf("Do: method %q is not an upper-case HTTP method", method)
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "#") || strings.ContainsFunc(path, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return invalidArgf("Do: path %q must start with / and hold no space, control character or #", path)
	}
	p, q, _ := strings.Cut(path, "?")
	for _, seg := range strings.Split(p, "/") {
		if u, err := url.PathUnescape(seg); err != nil || u == "." || u == ".." || strings.Contains(u, "/") {
			return invalidArgf("Do: path %q must not hold . or .. segments, escaped slashes or malformed escapes", path)
		}
	}
	if _, err := url.ParseQuery(q); err != nil {
		return invalidArgf("Do: malformed query in %q: %v", path, err)
	}
	if out != nil {
		if rv := reflect.ValueOf(out); rv.Kind() != reflect.Pointer || rv.IsNil() {
			return invalidArgf("Do: out must be nil or a non-nil pointer, not %T", out)
		}
		if err := decodable(reflect.TypeOf(out).Elem()); err != nil {
			return invalidArgf("Do: out %T cannot be decoded into: %v", out, err)
		}
	}
	r := request{ctx: ctx, method: method, path: p, query: q, body: body}
	if method != http.MethodGet && method != http.MethodDelete {
		r.guard = &maskGuard{op: "Do", kind: method, id: p}
	}
	return c.send(r, func(resp *response) error {
		if out == nil || resp.body == nil {
			return nil
		}
		if raw, ok := out.(*json.RawMessage); ok {
			*raw = append((*raw)[:0:0], resp.body...)
			return nil
		}
		if err := json.Unmarshal(resp.body, out); err != nil {
			return resp.unexpected(method, "decoding into %T: %v", out, err)
		}
		return nil
	})
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodable reports why encoding/json cannot decode a JSON value into a
// value of type t, nil when it can: channels, functions, complex numbers,
// unsafe pointers and interfaces with methods, alone or as the elements of pointers, slices,
// arrays and maps, and maps whose keys are not strings, integers or
// encoding.TextUnmarshalers. A type that decodes itself (json.Unmarshaler)
// is taken at its word; struct fields are not looked into, since a member
// the answer lacks is never decoded.
func decodable(t reflect.Type) error {
	if t.Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(jsonUnmarshalerType) {
		return nil
	}
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return fmt.Errorf("JSON does not decode into a %s", t)
	case reflect.Interface:
		if t.NumMethod() > 0 {
			return fmt.Errorf("JSON decodes into no interface with methods, such as %s", t)
		}
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return decodable(t.Elem())
	case reflect.Map:
		switch k := t.Key(); {
		case k.Kind() == reflect.String, k.Kind() >= reflect.Int && k.Kind() <= reflect.Uintptr,
			reflect.PointerTo(k).Implements(textUnmarshalerType):
		default:
			return fmt.Errorf("JSON object keys do not decode into %s", k)
		}
		return decodable(t.Elem())
	}
	return nil
}

// sendRaw sends r and returns the answer's body as it is. When required,
// an answer without a body is an unexpected response.
func (c *Client) sendRaw(r request, required bool) (json.RawMessage, error) {
	var out json.RawMessage
	err := c.send(r, func(resp *response) error {
		if resp.body == nil && required {
			return resp.unexpected(r.method, "empty body")
		}
		out = append(json.RawMessage(nil), resp.body...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
