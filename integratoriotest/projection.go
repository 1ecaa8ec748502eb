package integratoriotest

import (
	"net/url"
	"slices"
	"strings"
)

// projection is a parsed include or exclude query parameter.
type projection struct {
	include bool
	paths   [][]string // dot paths split into segments
}

// parseProjection reads include and exclude from q. Both at once is
// 400 invalid_query_params, as on the real service.
func parseProjection(q url.Values) (*projection, error) {
	inc, exc := q.Has("include"), q.Has("exclude")
	if inc && exc {
		return nil, badRequest("invalid_query_params", "include", "include and exclude cannot be used together")
	}
	if !inc && !exc {
		return nil, nil
	}
	key := "include"
	if exc {
		key = "exclude"
	}
	p := &projection{include: inc}
	for _, v := range q[key] {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			segs := strings.Split(f, ".")
			for _, s := range segs {
				if s == "" {
					return nil, badRequest("invalid_query_params", key, "%s: %q is not a field name or dot path", key, f)
				}
			}
			p.paths = append(p.paths, segs)
		}
	}
	return p, nil
}

// apply returns doc projected: with include, only the listed paths (and
// _id); with exclude, without them. A path through an array applies to
// each object in it, as in a MongoDB projection.
func (p *projection) apply(doc map[string]any) map[string]any {
	if p == nil {
		return doc
	}
	if !p.include {
		for _, path := range p.paths {
			removePath(doc, path)
		}
		return doc
	}
	out := map[string]any{}
	if id, ok := doc["_id"]; ok {
		out["_id"] = id
	}
	for _, path := range p.paths {
		if !p.coveredByShorter(path) {
			copyPath(out, doc, path)
		}
	}
	return out
}

// coveredByShorter reports whether another path of p is a strict prefix of
// path, so that path's value is already included whole.
func (p *projection) coveredByShorter(path []string) bool {
	for _, q := range p.paths {
		if len(q) < len(path) && slices.Equal(q, path[:len(q)]) {
			return true
		}
	}
	return false
}

// copyPath copies the value at path from src into dst, creating the
// objects (and arrays of objects) on the way. The arrays it creates hold
// one object per object of the source array, in order; a path never runs
// through a value copied whole (see coveredByShorter).
func copyPath(dst, src map[string]any, path []string) {
	v, ok := src[path[0]]
	if !ok {
		return
	}
	if len(path) == 1 {
		dst[path[0]] = v
		return
	}
	switch v := v.(type) {
	case map[string]any:
		sub, _ := dst[path[0]].(map[string]any)
		if sub == nil {
			sub = map[string]any{}
			dst[path[0]] = sub
		}
		copyPath(sub, v, path[1:])
	case []any:
		arr, _ := dst[path[0]].([]any)
		if arr == nil {
			arr = make([]any, 0, len(v))
			for _, e := range v {
				if _, isObj := e.(map[string]any); isObj {
					arr = append(arr, map[string]any{})
				}
			}
			dst[path[0]] = arr
		}
		i := 0
		for _, e := range v {
			if m, isObj := e.(map[string]any); isObj {
				if i < len(arr) {
					if sub, ok := arr[i].(map[string]any); ok {
						copyPath(sub, m, path[1:])
					}
				}
				i++
			}
		}
	}
}

// removePath deletes the value at path from doc, through objects and
// arrays of objects.
func removePath(doc map[string]any, path []string) {
	if len(path) == 1 {
		delete(doc, path[0])
		return
	}
	switch v := doc[path[0]].(type) {
	case map[string]any:
		removePath(v, path[1:])
	case []any:
		for _, e := range v {
			if m, ok := e.(map[string]any); ok {
				removePath(m, path[1:])
			}
		}
	}
}
