package integratoriotest

import "strings"

// secretMask is how the API answers a secret on every read.
const secretMask = "******"

// WithMaskKeepsSecret makes a PUT that carries a mask back at a secret path
// (a string of three or more "*" and nothing else, such as the "******"
// every read answers) keep the secret the server holds there, as
// Celigo's iClient schema says the API does ("re-send the masked value to
// keep the existing secret").
//
// Without it the server takes the pessimistic reading of Celigo's
// connection documentation ("******" gets saved as the credential): the
// mask is stored like any other value and the real secret is gone, which
// DocumentJSON shows. That is the default because a client that sends the
// mask back then fails visibly here, rather than only on the real service.
//
// Either way a create stores what it is sent (there is no secret to keep),
// a PUT that leaves a secret out erases it, like any member, and a PATCH
// changes only the members it names.
func WithMaskKeepsSecret() Option {
	return func(o *options) { o.maskKeeps = true }
}

// maskSecrets replaces, in doc, each value at one of the JSON Pointers
// paths that is present and not null with secretMask, whatever its type.
func maskSecrets(doc map[string]any, paths []string) {
	for _, p := range paths {
		if parent, key, ok := memberAt(doc, p); ok && parent[key] != nil {
			parent[key] = secretMask
		}
	}
}

// keepSecrets puts old's value back at each of paths where doc holds a
// mask and old holds a value other than null.
func keepSecrets(doc, old map[string]any, paths []string) {
	for _, p := range paths {
		parent, key, ok := memberAt(doc, p)
		if !ok {
			continue
		}
		if v, isString := parent[key].(string); !isString || !isMask(v) {
			continue
		}
		if v, ok := resolvePointer(old, p); ok && v != nil {
			parent[key] = v
		}
	}
}

// memberAt returns the object holding the member the JSON Pointer p
// names in doc, and the member's name, when both exist.
func memberAt(doc map[string]any, p string) (map[string]any, string, bool) {
	cut := strings.LastIndexByte(p, '/')
	if cut < 0 {
		return nil, "", false
	}
	parent, ok := resolvePointer(doc, p[:cut])
	m, isObject := parent.(map[string]any)
	key := unescapeToken.Replace(p[cut+1:])
	if !ok || !isObject {
		return nil, "", false
	}
	if _, has := m[key]; !has {
		return nil, "", false
	}
	return m, key, true
}

// isMask reports a masked secret as the SDK recognises one: three or more
// "*" and nothing else.
func isMask(s string) bool {
	return len(s) >= 3 && strings.Trim(s, "*") == ""
}
