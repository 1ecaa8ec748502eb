package bundle

import (
	"strconv"
	"strings"
)

// mask is how the API answers a secret; a compared document holds it
// where the bundle has a secret marker, so that a secret the target keeps
// is no difference.
const mask = "******"

// resolver turns a bundle document into a target's: refs into the
// target's ids, grouping names into the target integration's grouping
// ids, secret markers into secrets.
type resolver struct {
	id       func(ref string) (string, bool)
	grouping func(name string) (string, bool)
	// secret gives the value of a marker; nil puts the mask in its place
	// (for comparing).
	secret func(pointer string) (any, bool)
	// compare puts a placeholder in place of a reference that cannot be
	// resolved yet; otherwise the member (or array element) is left out
	// and its ref listed in missing.
	compare bool
	missing []string
}

// resolve returns v resolved; keep is false for a reference left out.
func (r *resolver) resolve(v any, path, member string) (out any, keep bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			nv, keep := r.resolve(e, path+"/"+pointerToken(k), k)
			if !keep {
				delete(t, k)
				continue
			}
			t[k] = nv
		}
		return t, true
	case []any:
		out := t[:0:0]
		for i, e := range t {
			nv, keep := r.resolve(e, path+"/"+strconv.Itoa(i), member)
			if keep {
				out = append(out, nv)
			}
		}
		return out, true
	case string:
		if ptr, ok := strings.CutPrefix(t, SecretPrefix); ok {
			if r.secret == nil {
				return mask, true
			}
			if s, ok := r.secret(ptr); ok {
				return s, true
			}
			return t, true // checked by Plan: never happens
		}
		if !refMember(member) {
			return t, true
		}
		if name, ok := strings.CutPrefix(t, groupingPrefix); ok {
			if id, ok := r.grouping(name); ok {
				return id, true
			}
			return r.unresolved(t)
		}
		if _, _, ok := parseRef(t); ok {
			if id, ok := r.id(t); ok {
				return id, true
			}
			return r.unresolved(t)
		}
	}
	return v, true
}

// unresolved handles a reference that has no id yet.
func (r *resolver) unresolved(ref string) (any, bool) {
	if r.compare {
		return "(to be created: " + ref + ")", true
	}
	r.missing = append(r.missing, ref)
	return nil, false
}

// secretValue is the value a secret marker gets: the string Secrets
// gives, or, for a member named "encrypted" (an HTTP connection's
// encrypted object, which the API masks whole), the JSON object that
// string holds.
func secretValue(pointer, s string) any {
	if strings.HasSuffix(pointer, "/encrypted") {
		if v, err := decodeObject([]byte(s)); err == nil {
			return v
		}
	}
	return s
}

// mergeGroupings gives each flowGroupings entry of the desired
// integration the _id of the target's entry of the same name, and keeps
// the target's entries the bundle does not name (flows may be in them).
func mergeGroupings(desired, target map[string]any) {
	want, ok := desired["flowGroupings"].([]any)
	if !ok {
		return
	}
	have, _ := target["flowGroupings"].([]any)
	byName := map[string]map[string]any{}
	for _, g := range have {
		if m, ok := g.(map[string]any); ok {
			if name, ok := m["name"].(string); ok {
				byName[name] = m
			}
		}
	}
	named := map[string]bool{}
	out := make([]any, 0, len(want)+len(have))
	for _, g := range want {
		m, ok := g.(map[string]any)
		if !ok {
			out = append(out, g)
			continue
		}
		name, _ := m["name"].(string)
		named[name] = true
		if old := byName[name]; old != nil {
			out = append(out, merge(old, m))
			continue
		}
		out = append(out, m)
	}
	for _, g := range have {
		if m, ok := g.(map[string]any); ok {
			if name, _ := m["name"].(string); !named[name] {
				out = append(out, deepCopy(m))
			}
		}
	}
	desired["flowGroupings"] = out
}
