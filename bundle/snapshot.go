package bundle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/integratorio-go/integratorio"
)

// SecretPrefix starts the marker a file holds in place of a masked secret:
// "$secret:" followed by the secret's JSON Pointer in its document, such
// as "$secret:/http/auth/token/token". The API answers secrets masked, so
// a snapshot never has them; Target.Secrets supplies them to a deploy.
const SecretPrefix = "$secret:"

// ErrIntegrationApp matches a Snapshot refused because the integration was
// installed from an Integration App (a SmartConnector, _connectorId): its
// connector manages it; deploy the connector's updates instead.
var ErrIntegrationApp = errors.New("bundle: the integration is an Integration App, managed by its connector")

// SnapshotOptions tunes Snapshot. The zero value is ready to use.
type SnapshotOptions struct {
	// Concurrency bounds the reads in flight at once; 0 means 8. The
	// client paces them for its rate limit either way.
	Concurrency int
}

// Snapshot reads an integration and everything it references, each by GET
// by id (lists leave members out): the integration, its flows, the exports
// and imports of their page generators, page processors and router
// branches (and of a legacy flow's top-level _exportId and _importId), the
// flows of _runNextFlowIds, every script named anywhere (any member named
// _scriptId or ending in ScriptId), and the connections of those exports
// and imports: any member named _<type>Id or _<type>Ids that holds an id
// is followed, transitively. An integration installed from an Integration
// App is refused (ErrIntegrationApp).
//
// In the bundle every id of a bundle resource held by such a member
// becomes the resource's ref, a flow's _flowGroupingId becomes
// "flowGroupings/<name>", masked secrets become markers (SecretPrefix),
// and read-only or changing members (_id, lastModified, createdAt,
// lastExecutedAt, _registeredConnectionIds, …) are left out. Any other
// id-looking string is reported by Warnings.
func Snapshot(ctx context.Context, c *integratorio.Client, integrationID string, opts *SnapshotOptions) (*Bundle, error) {
	if c == nil {
		return nil, errors.New("bundle: Snapshot: nil client")
	}
	if ctx == nil {
		return nil, errors.New("bundle: Snapshot: nil context")
	}
	conc := 8
	if opts != nil && opts.Concurrency > 0 {
		conc = opts.Concurrency
	}
	raw, err := kinds[typeIntegrations].get(ctx, c, integrationID)
	if err != nil {
		return nil, fmt.Errorf("bundle: Snapshot: reading integration %s: %w", integrationID, err)
	}
	in, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf("bundle: Snapshot: integration %s: %w", integrationID, err)
	}
	if id, _ := in["_connectorId"].(string); id != "" {
		return nil, fmt.Errorf("%w: integration %s was installed from connector %s; deploy the connector's updates instead", ErrIntegrationApp, integrationID, id)
	}
	s := &snapshot{docs: map[string]map[string]map[string]any{typeIntegrations: {integrationID: in}}, queued: map[string]bool{}}
	flows, err := c.Flows.List(ctx, &integratorio.ResourceListOptions{ListOptions: integratorio.ListOptions{Include: []string{"name"}}, IntegrationID: integrationID})
	if err != nil {
		return nil, fmt.Errorf("bundle: Snapshot: listing the flows of integration %s: %w", integrationID, err)
	}
	var wave []target
	for _, f := range flows {
		wave = s.enqueue(wave, typeFlows, f.ID)
	}
	wave = s.discover(wave, in)
	for len(wave) > 0 {
		got, err := fetch(ctx, c, wave, conc)
		if err != nil {
			return nil, fmt.Errorf("bundle: Snapshot: %w", err)
		}
		wave = nil
		for _, f := range got {
			if f.doc == nil {
				continue // gone: the reference stays an id and Warnings names it
			}
			if s.docs[f.typ] == nil {
				s.docs[f.typ] = map[string]map[string]any{}
			}
			s.docs[f.typ][f.id] = f.doc
			wave = s.discover(wave, f.doc)
		}
	}
	return s.bundle(integrationID)
}

// target is a resource to read.
type target struct{ typ, id string }

// fetched is the answer to a read; doc is nil for a resource that is gone.
type fetched struct {
	target
	doc map[string]any
}

// snapshot is the state of a Snapshot: the documents read, by type and id.
type snapshot struct {
	docs   map[string]map[string]map[string]any
	queued map[string]bool // typ + "/" + id
}

// enqueue adds a resource to read, once.
func (s *snapshot) enqueue(wave []target, typ, id string) []target {
	k := typ + "/" + id
	if s.queued[k] || s.docs[typ][id] != nil {
		return wave
	}
	s.queued[k] = true
	return append(wave, target{typ, id})
}

// discover queues what doc references: every id in a member named
// _<type>Id or _<type>Ids of a type the bundle follows.
func (s *snapshot) discover(wave []target, doc map[string]any) []target {
	walkStrings(doc, "", "", func(_, member, v string) {
		typ := memberKind(member)
		if typ == "" || typ == typeIntegrations || !idLike(v) {
			return
		}
		wave = s.enqueue(wave, typ, v)
	})
	return wave
}

// fetch reads the resources of a wave, conc at a time, in order. A
// resource that is gone (404) comes back without a document.
func fetch(ctx context.Context, c *integratorio.Client, wave []target, conc int) ([]fetched, error) {
	out := make([]fetched, len(wave))
	errs := make([]error, len(wave))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	for i, t := range wave {
		out[i].target = t
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			raw, err := kinds[t.typ].get(ctx, c, t.id)
			if err != nil {
				var apiErr *integratorio.APIError
				if errors.As(err, &apiErr) && apiErr.StatusCode == 404 {
					return
				}
				errs[i] = fmt.Errorf("reading %s %s: %w", kinds[t.typ].model, t.id, err)
				return
			}
			doc, err := decodeObject(raw)
			if err != nil {
				errs[i] = fmt.Errorf("reading %s %s: %w", kinds[t.typ].model, t.id, err)
				return
			}
			out[i].doc = doc
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// bundle turns the documents read into a bundle: keys, refs, markers.
func (s *snapshot) bundle(integrationID string) (*Bundle, error) {
	b := &Bundle{res: map[string]*resource{}}
	idRef := map[string]string{}
	type item struct {
		id, slug, created string
		doc               map[string]any
	}
	for _, typ := range kindOrder {
		k := kinds[typ]
		var items []item
		for id, doc := range s.docs[typ] {
			name, _ := doc["name"].(string)
			created, _ := doc["createdAt"].(string)
			items = append(items, item{id: id, slug: slug(name, k.model), created: created, doc: doc})
		}
		// Namesakes get -2, -3, … in the order they were created.
		slices.SortFunc(items, func(a, b item) int {
			return cmp.Or(cmp.Compare(a.slug, b.slug), cmp.Compare(a.created, b.created), cmp.Compare(a.id, b.id))
		})
		taken := map[string]bool{}
		for _, it := range items {
			key := it.slug
			for n := 2; taken[key]; n++ {
				key = fmt.Sprintf("%s-%d", it.slug, n)
			}
			taken[key] = true
			ref := typ + "/" + key
			idRef[it.id] = ref
			b.res[ref] = &resource{ref: ref, typ: typ, key: key, doc: it.doc}
		}
	}
	b.integration = idRef[integrationID]
	groupings := map[string]string{}
	if gs, ok := s.docs[typeIntegrations][integrationID]["flowGroupings"].([]any); ok {
		for _, g := range gs {
			if m, ok := g.(map[string]any); ok {
				id, _ := m["_id"].(string)
				name, _ := m["name"].(string)
				if id != "" && name != "" {
					groupings[id] = name
				}
				delete(m, "_id")
			}
		}
	}
	for _, r := range b.res {
		k := kinds[r.typ]
		for _, m := range append(slices.Clone(commonVolatile), k.volatile...) {
			delete(r.doc, m)
		}
		if r.typ == typeScripts {
			if content, ok := r.doc["content"].(string); ok {
				r.content = &content
			}
			delete(r.doc, "content")
		}
		mapStrings(r.doc, "", "", func(path, member, v string) any {
			switch {
			case isMask(v):
				return SecretPrefix + path
			case member == "_flowGroupingId" && groupings[v] != "":
				return groupingPrefix + groupings[v]
			case refMember(member) && idRef[v] != "":
				return idRef[v]
			}
			return v
		})
	}
	b.warnings = b.findWarnings()
	return b, nil
}

// isMask reports a masked secret as the API answers one: three or more
// "*" and nothing else.
func isMask(s string) bool {
	return len(s) >= 3 && strings.Trim(s, "*") == ""
}
