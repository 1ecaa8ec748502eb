package bundle

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/integratorio-go/integratorio"
)

// Target is where a bundle goes: an account (the client's), what it
// already holds of the bundle, and how to connect the bundle's
// connections there.
type Target struct {
	State       *State            // ids in the target by ref; Apply records into it as it goes
	Connections map[string]string // connection ref in the bundle → existing connection id in the target
	// CreateConnections creates the bundle's connections that Connections does
	// not map, with each secret taken from Secrets (ref, JSON pointer).
	CreateConnections bool
	// Secrets gives the value of the secret at a JSON pointer of a bundle
	// resource (a "$secret:" marker), and whether it has one. It is
	// called, one call at a time, by Plan to check that every secret of a
	// resource to write is there and by Apply for each write; its values
	// are sent to the target and nowhere else.
	Secrets func(ref, pointer string) (string, bool)
}

// Action is what a plan does to one resource.
type Action string

// The actions of a plan.
const (
	// Create makes the resource: the state has no id for it, or the id
	// is gone from the target.
	Create Action = "create"
	// Update changes the target's resource in place (through Modify): the
	// members Paths names differ.
	Update Action = "update"
	// NoChange: the target's resource has every member as the bundle says.
	NoChange Action = "no change"
	// Map: a connection of the bundle is an existing connection of the
	// target (Target.Connections); it is used, never written.
	Map Action = "map"
)

// Change is one resource of a plan and what happens to it.
type Change struct {
	// Ref is the resource, such as "flows/orders-sync".
	Ref string
	// Action is what Apply does to it.
	Action Action
	// Paths are, for Update, the JSON Pointers of the members that
	// differ, sorted.
	Paths []string
}

// Errors a plan reports, each matched with errors.Is through a *PlanError.
var (
	// ErrUnmappedConnection: a connection of the bundle is neither mapped
	// by Target.Connections nor created (Target.CreateConnections).
	ErrUnmappedConnection = errors.New("bundle: a connection is neither mapped nor created")
	// ErrMissingSecret: a document to be written holds a secret that
	// Target.Secrets does not supply.
	ErrMissingSecret = errors.New("bundle: a secret is not supplied")
	// ErrDanglingRef: a reference names a resource the bundle does not
	// have, or a mapping names a connection the target does not have.
	ErrDanglingRef = errors.New("bundle: a reference names nothing")
	// ErrAmbiguousCreate: a create marked in the state by an earlier
	// apply cannot be told apart from another resource of the same name;
	// settle it with State.Set or State.Forget.
	ErrAmbiguousCreate = errors.New("bundle: an earlier create cannot be reconciled")
)

// PlanError is a plan refused before anything was written, naming every
// problem found. errors.Is matches each problem's sentinel
// (ErrUnmappedConnection, ErrMissingSecret, ErrDanglingRef,
// ErrAmbiguousCreate).
type PlanError struct {
	// Problems are the problems, one error each, in the order of the
	// bundle's refs.
	Problems []error
}

// Error lists the problems, one a line.
func (e *PlanError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "bundle: the plan has %d problem(s), nothing was written:", len(e.Problems))
	for _, p := range e.Problems {
		sb.WriteString("\n  - ")
		sb.WriteString(p.Error())
	}
	return sb.String()
}

// Unwrap returns the problems.
func (e *PlanError) Unwrap() []error { return e.Problems }

// clockAllowance is how far the machine's clock may be behind the
// server's: a namesake created this long before a pending create's mark
// may be that create, so reconciling it is refused rather than guessed.
const clockAllowance = 2 * time.Minute

// Plan is what applying a bundle to a target would do. Make one with
// Bundle.Plan; Apply it once.
type Plan struct {
	// Changes lists every resource of the bundle, in creation order (by
	// type, then ref), with what Apply does to it.
	Changes []Change

	b       *Bundle
	c       *integratorio.Client
	t       *Target
	state   *State
	items   map[string]*item
	applied atomic.Bool

	mu     sync.RWMutex   // guards items' id and intDoc while applying
	intDoc map[string]any // the target's integration, as last read or written

	secretsMu sync.Mutex // Target.Secrets is called one at a time
}

// item is one resource of a plan.
type item struct {
	res     *resource
	kind    *kind
	change  *Change
	id      string         // the target's id, when known
	adopted bool           // id found by reconciling a pending create
	target  map[string]any // the target's document, as read by Plan
	stale   bool           // the state's id was gone from the target
	removed []string       // members removed from the bundle since the state's last write, to remove from the target

	// Set while applying.
	level   int            // the item's tier; -1 for no write
	written bool           // the first write is done
	created map[string]any // the create's answer
	missing []string       // refs the first write left out, for a second write
	enable  bool           // a flow to enable last
}

// HasChanges reports whether Apply would write anything: any change other
// than NoChange and Map.
func (p *Plan) HasChanges() bool {
	if p == nil {
		return false
	}
	for _, c := range p.Changes {
		if c.Action == Create || c.Action == Update {
			return true
		}
	}
	return false
}

// String gives the plan for people: one line per change, then the paths
// of each update. It holds no value of any member, so no secret.
func (p *Plan) String() string {
	if p == nil {
		return ""
	}
	var sb strings.Builder
	for _, c := range p.Changes {
		fmt.Fprintf(&sb, "%-10s %s", c.Action, c.Ref)
		if it := p.items[c.Ref]; it != nil {
			switch {
			case it.adopted:
				sb.WriteString(" (found: created by an earlier apply that did not see the answer)")
			case it.stale:
				sb.WriteString(" (its id in the state is gone from the target)")
			}
		}
		sb.WriteByte('\n')
	}
	for _, c := range p.Changes {
		if c.Action != Update {
			continue
		}
		fmt.Fprintf(&sb, "\n%s:\n", c.Ref)
		for _, path := range c.Paths {
			fmt.Fprintf(&sb, "  ~ %s\n", path)
		}
	}
	return sb.String()
}

// Plan compares the bundle with the target and returns what Apply would
// do, writing nothing. Each resource is compared, its references resolved
// through the state and Target.Connections, with the target's document
// read by id: Create when the state has no id for it (or the id is gone),
// Update with the paths that differ (members the target has and the
// bundle never had are kept, and are no difference; a member the bundle's
// file had when the state last recorded the resource, and no longer has,
// is removed), NoChange, or Map for
// a mapped connection. A create that an earlier apply marked but did not
// see answered is reconciled: the resource of that type and name created
// since the mark (under the same integration) is taken for it; an older
// namesake never is. When none is found and the mark is less than 30
// seconds old, Plan waits until it is and looks again: the request may
// still be on its way.
//
// Every problem is reported at once in a *PlanError (see its sentinels):
// a connection neither mapped nor created, a secret Target.Secrets does
// not supply, a reference to nothing.
func (b *Bundle) Plan(ctx context.Context, c *integratorio.Client, t *Target) (*Plan, error) {
	switch {
	case b == nil || b.res == nil:
		return nil, errors.New("bundle: Plan: the bundle is empty; make one with Snapshot or Read")
	case c == nil:
		return nil, errors.New("bundle: Plan: nil client")
	case ctx == nil:
		return nil, errors.New("bundle: Plan: nil context")
	case t == nil:
		return nil, errors.New("bundle: Plan: nil target")
	}
	state := t.State
	if state == nil {
		state = NewState()
	}
	p := &Plan{b: b, c: c, t: t, state: state, items: map[string]*item{}}
	var problems problemList
	b.checkRefs(&problems)
	for _, ref := range slices.Sorted(maps.Keys(t.Connections)) {
		id, r := t.Connections[ref], b.res[ref]
		switch {
		case r == nil || r.typ != typeConnections:
			problems.add(fmt.Errorf("%w: Target.Connections maps %q, which is not a connection of the bundle", ErrDanglingRef, ref))
		case id == "":
			problems.add(fmt.Errorf("%w: Target.Connections maps %s to an empty id", ErrDanglingRef, ref))
		}
	}

	// What to read: the target's document of each resource with an id,
	// and the lists that reconcile pending creates.
	var reads []*item
	pendings := map[string][]*item{}
	for _, typ := range kindOrder {
		for _, ref := range b.refsOf(typ) {
			r := b.res[ref]
			it := &item{res: r, kind: kinds[typ], change: &Change{Ref: ref}, level: -1}
			p.items[ref] = it
			if id, ok := t.Connections[ref]; ok && typ == typeConnections {
				it.id, it.change.Action = id, Map
				reads = append(reads, it)
				continue
			}
			if id, ok := state.ID(ref); ok {
				it.id = id
				reads = append(reads, it)
				continue
			}
			if pd, ok := state.Pending(ref); ok && pd.Type == typ {
				key := typ + "\x00" + pd.IntegrationID
				pendings[key] = append(pendings[key], it)
				continue
			}
			it.change.Action = Create
		}
	}
	if err := p.reconcile(ctx, pendings, &problems, &reads); err != nil {
		return nil, err
	}
	if err := p.read(ctx, reads); err != nil {
		return nil, err
	}

	for _, it := range p.items {
		if it.change.Action != Create && it.change.Action != Map && it.target == nil {
			it.stale, it.id, it.change.Action = true, "", Create
		}
	}
	if in := p.items[b.integration]; in != nil {
		p.intDoc = in.target
	}
	for _, typ := range kindOrder {
		for _, ref := range b.refsOf(typ) {
			it := p.items[ref]
			if it.change.Action == Map {
				if it.target == nil {
					problems.add(fmt.Errorf("%w: Target.Connections maps %s to connection %s, which the target does not have", ErrDanglingRef, ref, it.id))
				}
				continue
			}
			if it.change.Action == Create && typ == typeConnections && !t.CreateConnections {
				problems.add(fmt.Errorf("%w: %s is not in Target.Connections, and Target.CreateConnections is off: map it to a connection of the target, or create it", ErrUnmappedConnection, ref))
				continue
			}
			if it.change.Action != Create {
				if !it.adopted {
					it.removed = removedMembers(state.membersOf(ref), it.res.doc)
				}
				want, _ := p.build(it, it.target, true)
				var paths []string
				diffPaths(it.target, want, "", &paths)
				it.change.Paths = paths
				it.change.Action = NoChange
				if len(paths) > 0 {
					it.change.Action = Update
				}
			}
			if it.change.Action == Create || it.change.Action == Update {
				p.checkSecrets(it, &problems)
			}
		}
	}
	if len(problems) > 0 {
		return nil, &PlanError{Problems: problems}
	}
	for _, typ := range kindOrder {
		for _, ref := range b.refsOf(typ) {
			p.Changes = append(p.Changes, *p.items[ref].change)
		}
	}
	return p, nil
}

// problemList gathers a plan's problems.
type problemList []error

func (l *problemList) add(err error) { *l = append(*l, err) }

// refsOf returns the bundle's refs of one type, sorted.
func (b *Bundle) refsOf(typ string) []string {
	var out []string
	for _, ref := range b.Refs() {
		if b.res[ref].typ == typ {
			out = append(out, ref)
		}
	}
	return out
}

// groupingNames returns the names of the bundle integration's
// flowGroupings.
func (b *Bundle) groupingNames() map[string]bool {
	out := map[string]bool{}
	if r := b.res[b.integration]; r != nil {
		gs, _ := r.doc["flowGroupings"].([]any)
		for _, g := range gs {
			if m, ok := g.(map[string]any); ok {
				if name, ok := m["name"].(string); ok {
					out[name] = true
				}
			}
		}
	}
	return out
}

// checkRefs reports every reference to a resource the bundle lacks.
func (b *Bundle) checkRefs(problems *problemList) {
	groupings := b.groupingNames()
	for _, ref := range b.Refs() {
		r := b.res[ref]
		walkStrings(r.doc, "", "", func(path, member, s string) {
			if !refMember(member) {
				return
			}
			if name, ok := strings.CutPrefix(s, groupingPrefix); ok {
				if !groupings[name] {
					problems.add(fmt.Errorf("%w: %s %s: grouping %q is not among the flowGroupings of %s", ErrDanglingRef, r.file(), path, name, b.integration))
				}
				return
			}
			if typ, _, ok := strings.Cut(s, "/"); ok && kinds[typ] != nil && b.res[s] == nil {
				problems.add(fmt.Errorf("%w: %s %s: %s is not a resource of the bundle", ErrDanglingRef, r.file(), path, s))
			}
		})
	}
}

// read gets the target's document of each item, 8 at a time. A resource
// that is gone leaves the item without a target document.
func (p *Plan) read(ctx context.Context, items []*item) error {
	errs := make([]error, len(items))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			raw, err := it.kind.get(ctx, p.c, it.id)
			if err != nil {
				var apiErr *integratorio.APIError
				if errors.As(err, &apiErr) && apiErr.StatusCode == 404 {
					return
				}
				errs[i] = fmt.Errorf("bundle: Plan: reading %s (%s %s): %w", it.res.ref, it.kind.model, it.id, err)
				return
			}
			doc, err := decodeObject(raw)
			if err != nil {
				errs[i] = fmt.Errorf("bundle: Plan: reading %s (%s %s): %w", it.res.ref, it.kind.model, it.id, err)
				return
			}
			it.target = doc
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// settleTime is how long after a create's mark a request may still be
// landing: one sent by a process that was killed, or whose client gave up,
// can reach the server after the fact. A create not found that was marked
// more recently than this is looked for again once this has passed since
// its mark.
var settleTime = 30 * time.Second // a variable for tests

// reconcile settles the creates an earlier apply marked: it lists the
// resources of each type (for flows, those of the integration the create
// was under), and takes for each the one of its name created since the
// mark. One found is read like any resource; none found is created, once
// settleTime has passed since the mark (Plan waits for it, then lists
// again); more than one, or none but a namesake created just before the
// mark (the clocks may differ), is a problem.
func (p *Plan) reconcile(ctx context.Context, pendings map[string][]*item, problems *problemList, reads *[]*item) error {
	claimed := map[string]bool{}
	for _, ref := range p.state.Refs() {
		if id, ok := p.state.ID(ref); ok {
			claimed[id] = true
		}
	}
	for pass := 0; len(pendings) > 0; pass++ {
		young := map[string][]*item{}
		var settled time.Time
		for _, key := range slices.Sorted(maps.Keys(pendings)) {
			typ, integrationID, _ := strings.Cut(key, "\x00")
			k := kinds[typ]
			scope := ""
			if k.scoped {
				scope = integrationID
			}
			list, err := k.list(ctx, p.c, scope)
			if err != nil {
				var apiErr *integratorio.APIError
				if !(scope != "" && errors.As(err, &apiErr) && apiErr.StatusCode == 404) {
					return fmt.Errorf("bundle: Plan: listing %s to reconcile earlier creates: %w", typ, err)
				}
				list = nil // the integration is gone, and what was under it
			}
			for _, it := range pendings[key] {
				pd, _ := p.state.Pending(it.res.ref)
				var found, near []listed
				for _, l := range list {
					if l.Name != pd.Name || claimed[l.ID] || (integrationID != "" && l.IntegrationID != "" && l.IntegrationID != integrationID) {
						continue
					}
					switch {
					case !l.CreatedAt.Before(pd.At):
						found = append(found, l)
					case !l.CreatedAt.Before(pd.At.Add(-clockAllowance)) && (pd.NotBefore == nil || !l.CreatedAt.Before(*pd.NotBefore)):
						near = append(near, l)
					}
				}
				switch {
				case len(found) == 1:
					it.id, it.adopted = found[0].ID, true
					claimed[it.id] = true
					*reads = append(*reads, it)
				case len(found) > 1:
					problems.add(fmt.Errorf("%w: %s was being created at %s and %d %ss named %q were created since; "+
						"record the right one with State.Set (and delete the others) before planning again",
						ErrAmbiguousCreate, it.res.ref, pd.At.Format(time.RFC3339), len(found), k.model, pd.Name))
				case len(near) > 0:
					problems.add(fmt.Errorf("%w: %s was being created at %s; no %s named %q was created since, but one was created %s before, "+
						"which may be it if this machine's clock is ahead of the server's: record it with State.Set, or State.Forget the create to make it anew",
						ErrAmbiguousCreate, it.res.ref, pd.At.Format(time.RFC3339), k.model, pd.Name, pd.At.Sub(near[0].CreatedAt).Round(time.Second)))
				case pass == 0 && time.Since(pd.At) < settleTime:
					young[key] = append(young[key], it)
					if at := pd.At.Add(settleTime); at.After(settled) {
						settled = at
					}
				default:
					it.change.Action = Create
				}
			}
		}
		if len(young) > 0 {
			t := time.NewTimer(time.Until(settled))
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("bundle: Plan: waiting for earlier creates to settle: %w", ctx.Err())
			case <-t.C:
			}
		}
		pendings = young
	}
	return nil
}

// checkSecrets reports each secret of a document to be written that
// Target.Secrets does not supply, and each masked member the target has
// that the bundle cannot supply.
func (p *Plan) checkSecrets(it *item, problems *problemList) {
	walkStrings(it.res.doc, "", "", func(path, _, s string) {
		ptr, ok := strings.CutPrefix(s, SecretPrefix)
		if !ok {
			return
		}
		if p.t.Secrets == nil {
			problems.add(fmt.Errorf("%w: %s needs the secret at %s, and Target.Secrets is nil", ErrMissingSecret, it.res.ref, ptr))
			return
		}
		if _, ok := p.t.Secrets(it.res.ref, ptr); !ok {
			problems.add(fmt.Errorf("%w: %s needs the secret at %s, which Target.Secrets does not supply", ErrMissingSecret, it.res.ref, ptr))
		}
	})
	if it.target == nil {
		return
	}
	want, _ := p.build(it, it.target, true)
	walkStrings(want, "", "", func(path, _, s string) {
		if isMask(s) && !strings.HasPrefix(path, "/_") {
			if v, _ := lookup(it.res.doc, path); v == nil {
				problems.add(fmt.Errorf("%w: %s: the target's %s %s holds a masked secret at %s, which the bundle does not have; "+
					"a write would store the mask: add it to the bundle's file as %q", ErrMissingSecret, it.res.ref, it.kind.model, it.id, path, SecretPrefix+path))
			}
		}
	})
}

// lookup returns the value at a JSON Pointer of a tree.
func lookup(v any, path string) (any, bool) {
	if path == "" {
		return v, true
	}
	for _, tok := range strings.Split(path[1:], "/") {
		tok = unescapeToken.Replace(tok)
		switch t := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = t[tok]; !ok {
				return nil, false
			}
		case []any:
			i := 0
			if _, err := fmt.Sscan(tok, &i); err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// idOf returns the target's id of a resource of the bundle, when known.
func (p *Plan) idOf(ref string) (string, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if it := p.items[ref]; it != nil && it.id != "" {
		return it.id, true
	}
	return "", false
}

// groupingID returns the _id of the target integration's grouping name.
func (p *Plan) groupingID(name string) (string, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	gs, _ := p.intDoc["flowGroupings"].([]any)
	for _, g := range gs {
		if m, ok := g.(map[string]any); ok && m["name"] == name {
			if id, ok := m["_id"].(string); ok && id != "" {
				return id, true
			}
		}
	}
	return "", false
}

// build returns the document of a resource as the target should have it,
// laid over base (the target's document; nil for a create), and the refs
// it had to leave out because they have no id yet. compare builds it for
// comparing: a placeholder for such a ref, the mask for a secret.
func (p *Plan) build(it *item, base map[string]any, compare bool) (map[string]any, []string) {
	doc := deepCopy(it.res.doc).(map[string]any)
	if it.res.content != nil {
		doc["content"] = *it.res.content
	}
	id := p.idOf
	if !compare && it.level >= 0 && !it.written {
		// A first write names only resources that exist or are created
		// in earlier tiers, whatever the timing: the rest is the second
		// write's.
		id = func(ref string) (string, bool) {
			if d := p.items[ref]; d != nil && d.change.Action == Create && d.level >= it.level {
				return "", false
			}
			return p.idOf(ref)
		}
	}
	r := &resolver{id: id, grouping: p.groupingID, compare: compare}
	if !compare && p.t.Secrets != nil {
		ref := it.res.ref
		r.secret = func(ptr string) (any, bool) {
			p.secretsMu.Lock()
			defer p.secretsMu.Unlock()
			s, ok := p.t.Secrets(ref, ptr)
			return secretValue(ptr, s), ok
		}
	}
	r.resolve(doc, "", "")
	if base == nil {
		return doc, r.missing
	}
	isIntegration := it.res.typ == typeIntegrations
	if isIntegration {
		mergeGroupings(doc, base)
	}
	out := merge(base, doc).(map[string]any)
	if g, ok := doc["flowGroupings"]; ok && isIntegration {
		out["flowGroupings"] = g // merged by name, not by place
	}
	deleteMembers(out, it.removed)
	return out, r.missing
}
