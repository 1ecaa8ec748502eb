package integratorio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ErrMaskedSecret matches a write refused because what it would write
// holds a masked secret: a string of three or more "*" and nothing else,
// which is how the API answers secrets on every read. Celigo's own sources
// disagree on what a write carrying the mask does, and it may store the
// mask as the credential. Every write that takes a document or a value is
// checked: Create, Update and Modify (the document), Patch (the values of
// its add and replace operations), State.Put, LookupCaches.PutData (the
// values), Exports.Invoke, Flows.Run (the body) and Client.Do (the body of
// any method but GET and DELETE).
// The error also matches ErrInvalidArgument and names each member's JSON
// Pointer (MaskedSecretError.Paths); nothing is sent. Restore the real
// values, change only the members you mean to change with Patch, or, if
// you know the API keeps the secret, send it anyway with a context from
// AllowMaskedSecrets.
var ErrMaskedSecret = fmt.Errorf("%w: the document holds masked secrets", ErrInvalidArgument)

// MaskedSecretError is a write refused because what it would write holds
// masked secrets. It matches ErrMaskedSecret and ErrInvalidArgument.
type MaskedSecretError struct {
	// Op is the call refused, such as "Update" or "Patch".
	Op string
	// Kind and ID name the document (ID is empty for Create).
	Kind, ID string
	// Paths are the JSON Pointers of the masked members, such as
	// "/http/auth/token/token"; for Patch, within the document patched.
	Paths []string
}

// Error names the masked members and the ways on.
func (e *MaskedSecretError) Error() string {
	what := e.Kind
	if e.ID != "" {
		what += " " + e.ID
	}
	holds, ways := "the document holds", "change those members with Patch, or restore their real values"
	switch e.Op {
	case "Patch":
		holds, ways = "the patch writes", "give the real values"
	case "Put", "PutData", "Invoke", "Run", "Do":
		holds, ways = "the body holds", "give the real values"
	}
	return fmt.Sprintf("integratorio: %s %s: %s masked secrets at %s; the API answers secrets masked, "+
		"and a write carrying the mask may store it as the credential: %s, "+
		"or send it anyway with integratorio.AllowMaskedSecrets(ctx)",
		e.Op, what, holds, strings.Join(e.Paths, ", "), ways)
}

// Is matches ErrMaskedSecret and ErrInvalidArgument.
func (e *MaskedSecretError) Is(target error) bool {
	return target == ErrMaskedSecret || target == ErrInvalidArgument
}

type allowMaskedKey struct{}

// AllowMaskedSecrets returns a context under which every write checked for
// masked secrets (see ErrMaskedSecret: Create, Update, Modify, Patch,
// State.Put, LookupCaches.PutData, Exports.Invoke, Flows.Run and
// Client.Do) sends what holds
// them ("******") as it is, for a resource whose API is known to keep the
// stored secret when it receives the mask. Use it deliberately, at the
// call:
//
//	client.Connections.Update(integratorio.AllowMaskedSecrets(ctx), id, conn)
func AllowMaskedSecrets(ctx context.Context) context.Context {
	return context.WithValue(ctx, allowMaskedKey{}, true)
}

// masksAllowed reports a context from AllowMaskedSecrets.
func masksAllowed(ctx context.Context) bool {
	if ctx == nil {
		return false
	}
	ok, _ := ctx.Value(allowMaskedKey{}).(bool)
	return ok
}

// mayHoldMask is a quick test that body, JSON, holds no mask; false means
// it cannot.
func mayHoldMask(body []byte) bool {
	return bytes.Contains(body, []byte(`"***`)) || bytes.Contains(body, []byte(`\u002a`)) || bytes.Contains(body, []byte(`\u002A`))
}

// maskGuard names a write whose body send checks for masked secrets.
type maskGuard struct{ op, kind, id string }

// checkMasked refuses body, a JSON document about to be written, when it
// holds masked secrets, unless ctx allows them.
func checkMasked(ctx context.Context, red redactor, body []byte, op, kind, id string) error {
	if !mayHoldMask(body) || masksAllowed(ctx) {
		return nil // the common case: no scan
	}
	var paths []string
	maskedPaths(body, skipSpace(body, 0), "", &paths)
	return maskedError(red, paths, op, kind, id)
}

// checkMaskedOps refuses patch operations that would write masked
// secrets (the values of add and replace; test writes nothing), unless ctx
// allows them. A value that cannot be encoded is left to the request's
// encoding, which refuses it.
func checkMaskedOps(ctx context.Context, red redactor, ops []PatchOp, kind, id string) error {
	if masksAllowed(ctx) {
		return nil
	}
	var paths []string
	for _, op := range ops {
		if op.Op != "add" && op.Op != "replace" {
			continue
		}
		b, err := json.Marshal(op.Value)
		if err != nil || !mayHoldMask(b) {
			continue
		}
		maskedPaths(b, skipSpace(b, 0), op.Path, &paths)
	}
	return maskedError(red, paths, "Patch", kind, id)
}

// maskedError is the error for the masked members at paths, nil for none.
func maskedError(red redactor, paths []string, op, kind, id string) error {
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
