package integratorio

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
)

// ErrMaskedSecret matches a Create or Update refused because the document
// holds a masked secret: a string of three or more "*" and nothing else,
// which is how the API answers secrets on every read. Celigo's own sources
// disagree on what a PUT carrying the mask does, and it may store the mask
// as the credential. The error also matches ErrInvalidArgument and names
// each member's JSON Pointer (MaskedSecretError.Paths). Change the members
// you mean to change with Patch, restore the real values, or, if you know
// the API keeps the secret, send the document anyway with a context from
// AllowMaskedSecrets.
var ErrMaskedSecret = fmt.Errorf("%w: the document holds masked secrets", ErrInvalidArgument)

// MaskedSecretError is a write refused because the document holds masked
// secrets. It matches ErrMaskedSecret and ErrInvalidArgument.
type MaskedSecretError struct {
	// Op is the call refused, such as "Update".
	Op string
	// Kind and ID name the document (ID is empty for Create).
	Kind, ID string
	// Paths are the JSON Pointers of the masked members, such as
	// "/http/auth/token/token".
	Paths []string
}

// Error names the masked members and the ways on.
func (e *MaskedSecretError) Error() string {
	what := e.Kind
	if e.ID != "" {
		what += " " + e.ID
	}
	return fmt.Sprintf("integratorio: %s %s: the document holds masked secrets at %s; the API answers secrets masked, "+
		"and a write carrying the mask may store it as the credential: change those members with Patch, "+
		"or restore their real values, or send it anyway with integratorio.AllowMaskedSecrets(ctx)",
		e.Op, what, strings.Join(e.Paths, ", "))
}

// Is matches ErrMaskedSecret and ErrInvalidArgument.
func (e *MaskedSecretError) Is(target error) bool {
	return target == ErrMaskedSecret || target == ErrInvalidArgument
}

type allowMaskedKey struct{}

// AllowMaskedSecrets returns a context under which Create, Update and
// Modify send documents that hold masked secrets ("******") as they are,
// for a resource whose API is known to keep the stored secret when it
// receives the mask. Use it deliberately, at the call:
//
//	client.Connections.Update(integratorio.AllowMaskedSecrets(ctx), id, conn)
func AllowMaskedSecrets(ctx context.Context) context.Context {
	return context.WithValue(ctx, allowMaskedKey{}, true)
}

// checkMasked refuses body, a JSON document about to be written, when it
// holds masked secrets, unless ctx allows them.
func checkMasked(ctx context.Context, red redactor, body []byte, op, kind, id string) error {
	if !bytes.Contains(body, []byte(`"***`)) && !bytes.Contains(body, []byte(`\u002a`)) && !bytes.Contains(body, []byte(`\u002A`)) {
		return nil // the common case: no scan
	}
	if ctx != nil {
		if ok, _ := ctx.Value(allowMaskedKey{}).(bool); ok {
			return nil
		}
	}
	var paths []string
	maskedPaths(body, skipSpace(body, 0), "", &paths)
	if len(paths) == 0 {
		return nil
	}
	for i, p := range paths {
		paths[i] = redactText(red, p) // member names come from the server
	}
	return &MaskedSecretError{Op: op, Kind: kind, ID: id, Paths: paths}
}

// maskedPaths appends the JSON Pointers of the masked strings in the value
// at b[i] (already checked JSON) to paths.
func maskedPaths(b []byte, i int, path string, paths *[]string) {
	switch b[i] {
	case '"':
		if s, _, ok := decodeString(valueAt(b, i)); ok && isMask(s) {
			*paths = append(*paths, cmpOr(path, "/"))
		}
	case '{':
		_, _ = scanObject(b, i, 0, func(ks, ke int, plain bool, vs, _ int) error {
			key := string(b[ks:ke])
			if !plain {
				key, _, _ = decodeString(b[ks-1 : ke+1])
			}
			maskedPaths(b, vs, path+"/"+pointerEscape(key), paths)
			return nil
		})
	case '[':
		n := 0
		_, _ = scanArray(b, i, 0, func(elem []byte) error {
			maskedPaths(elem, 0, path+"/"+strconv.Itoa(n), paths)
			n++
			return nil
		})
	}
}

// valueAt returns the bytes of the value starting at b[i].
func valueAt(b []byte, i int) []byte {
	end, err := skipValue(b, i, 0)
	if err != nil {
		return nil
	}
	return b[i:end]
}

// isMask reports a masked secret: three or more "*" and nothing else.
func isMask(s string) bool {
	return len(s) >= 3 && strings.Trim(s, "*") == ""
}

// pointerEscape escapes a member name for a JSON Pointer (RFC 6901).
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
