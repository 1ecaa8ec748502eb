package integratorio

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// maxPages bounds how many pages one listing follows, as a last guard
// against a server that keeps inventing next links.
const maxPages = 100_000

// pages iterates over the pages of a list endpoint, following the Link
// header's rel="next" until it is gone. Each page is fetched only when the
// loop asks for it. A next link to another origin, or one already visited,
// ends the listing with an error.
func pages[T any, P model[T]](ctx context.Context, c *Client, path, query string) iter.Seq2[[]*T, error] {
	return func(yield func([]*T, error) bool) {
		r := request{ctx: ctx, method: http.MethodGet, path: path, query: query}
		var seen map[string]struct{}
		for n := 0; ; n++ {
			var page []*T
			var next *url.URL
			var current string
			err := c.send(r, func(resp *response) error {
				current = resp.url.String()
				var err error
				if page, err = decodeList[T, P](resp); err != nil {
					return err
				}
				next, err = c.nextPage(resp)
				return err
			})
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(page, nil) || next == nil {
				return
			}
			if seen == nil {
				seen = map[string]struct{}{}
			}
			seen[current] = struct{}{}
			key := next.String()
			if _, loop := seen[key]; loop {
				yield(nil, fmt.Errorf("%w: GET %s: the next-page link leads back to a page already read (%s)", ErrUnexpectedResponse, path, c.redactString(c.displayPath(next))))
				return
			}
			if n+1 >= maxPages {
				yield(nil, fmt.Errorf("%w: GET %s: more than %d pages; stopping", ErrUnexpectedResponse, path, maxPages))
				return
			}
			r = request{ctx: ctx, method: http.MethodGet, url: next}
		}
	}
}

// decodeList decodes a page: a JSON array of documents. A 204 or an empty
// body is an empty page.
func decodeList[T any, P model[T]](r *response) ([]*T, error) {
	if r.body == nil || r.status == http.StatusNoContent {
		return nil, nil
	}
	if r.body[0] != '[' {
		return nil, r.unexpected(http.MethodGet, "body is not a JSON array: %s", r.excerpt())
	}
	// One pass: each element is checked and decoded in place by the model.
	var page []*T
	b := r.body
	i := skipSpace(b, 1)
	if i < len(b) && b[i] == ']' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '{' {
				return nil, r.unexpected(http.MethodGet, "element %d is not a JSON object", len(page))
			}
			v := new(T)
			end, err := P(v).decodeAt(b, i)
			if err != nil {
				return nil, r.unexpected(http.MethodGet, "element %d: %v", len(page), err)
			}
			if P(v).docID() == "" {
				return nil, r.unexpected(http.MethodGet, "element %d is not a document with an _id", len(page))
			}
			page = append(page, v)
			i = skipSpace(b, end)
			if i < len(b) && b[i] == ',' {
				i = skipSpace(b, i+1)
				continue
			}
			if i < len(b) && b[i] == ']' {
				i++
				break
			}
			return nil, r.unexpected(http.MethodGet, "%v", syntaxErr(b, i, "after array element"))
		}
	}
	if err := topLevel(b, i); err != nil {
		return nil, r.unexpected(http.MethodGet, "%v", err)
	}
	return page, nil
}

// nextPage returns the absolute URL of the next page, nil on the last page.
func (c *Client) nextPage(r *response) (*url.URL, error) {
	ref, ok, err := nextLink(r.header.Values("Link"))
	if err != nil {
		return nil, r.unexpected(http.MethodGet, "malformed Link header: %v", err)
	}
	if !ok {
		return nil, nil
	}
	return c.resolveNext(r, http.MethodGet, ref)
}

// resolveNext resolves a next-page reference against the page's URL
// (read by method), refusing another origin; "" means there is no next
// page.
func (c *Client) resolveNext(r *response, method, ref string) (*url.URL, error) {
	if ref == "" {
		return nil, nil
	}
	u, err := r.url.Parse(ref)
	if err != nil {
		return nil, r.unexpected(method, "malformed next-page link: %v", err)
	}
	if !sameOrigin(u, c.base) {
		return nil, r.unexpected(method, "next-page link points to another host (%s://%s); refusing to send the token there", u.Scheme, u.Host)
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// nextLink finds the target of rel="next" in Link header values (RFC 8288).
// A header that cannot be parsed is an error, since silently taking it for
// the last page would truncate the list.
func nextLink(values []string) (string, bool, error) {
	for _, v := range values {
		for {
			v = strings.TrimLeft(v, " \t,")
			if v == "" {
				break
			}
			if v[0] != '<' {
				return "", false, errors.New("a link-value does not start with '<'")
			}
			end := strings.IndexByte(v, '>')
			if end < 0 {
				return "", false, errors.New("a link-value has no closing '>'")
			}
			target := v[1:end]
			// Parameters run to the next comma outside quotes.
			params, rest := splitParams(v[end+1:])
			v = rest
			if isNextRel(params) {
				return strings.TrimSpace(target), true, nil
			}
		}
	}
	return "", false, nil
}

// splitParams returns the parameters of one link-value and what follows it.
func splitParams(v string) (params, rest string) {
	inQuote := false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			inQuote = !inQuote
		case '\\':
			if inQuote {
				i++
			}
		case ',':
			if !inQuote {
				return v[:i], v[i+1:]
			}
		}
	}
	return v, ""
}

func isNextRel(params string) bool {
	for _, p := range strings.Split(params, ";") {
		name, val, ok := strings.Cut(p, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
			continue
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		for _, rel := range strings.Fields(val) {
			if strings.EqualFold(rel, "next") {
				return true
			}
		}
	}
	return false
}

// flatten iterates over the documents of pages, one at a time; an error
// is yielded once, as the last element.
func flatten[T any](pages iter.Seq2[[]*T, error]) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		for page, err := range pages {
			if err != nil {
				yield(nil, err)
				return
			}
			for _, doc := range page {
				if !yield(doc, nil) {
					return
				}
			}
		}
	}
}
