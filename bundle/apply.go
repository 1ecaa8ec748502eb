package bundle

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/integratorio-go/integratorio"
)

// ApplyOptions tunes Apply. A nil *ApplyOptions is the zero value.
type ApplyOptions struct {
	OnChange func(Change, error) // progress: called once per change, never concurrently
	// Checkpoint is called, never concurrently, each time the state
	// changes (a create marked before it is sent, a new id recorded); an
	// error from it stops the apply. The CLI saves the state file here.
	Checkpoint func(*State) error
	// Concurrency bounds the writes in flight at once within a tier of
	// independent writes; 0 means 8. The client paces every request for
	// its rate limit on top of this.
	Concurrency int
}

// Result is what an Apply did.
type Result struct {
	// State is the target's state after the apply: Target.State, or a new
	// state when the target had none. Save it for the next deploy, also
	// (above all) when Apply failed.
	State *State
	// Applied lists the changes carried out in full, in the plan's order.
	Applied []Change
	// Writes counts the write requests sent: creates, updates, the second
	// writes that close reference cycles, and the enabling of flows.
	Writes int
	// Tiers counts the writes of each step, in order: the tiers of
	// creates and updates (the dependency levels: a tier's writes need
	// only ids of earlier tiers), then the second writes, then the
	// enabling of flows. Steps without writes are left out.
	Tiers []int
}

// ErrNotApplied is the error OnChange gets for a change Apply did not
// carry out because another failed or the context ended first; plan again
// to carry it out.
var ErrNotApplied = errors.New("bundle: not applied: the apply stopped before this change")

// Apply carries out the plan, once: a Plan cannot be applied twice (plan
// again instead).
//
// Creates and updates run in dependency order: a resource is written as
// soon as every resource it references has an id, independent writes
// concurrently (ApplyOptions.Concurrency, within the client's pacing),
// and writes ready together start in the plan's order (scripts,
// connections, exports, imports, the integration, flows). Result.Tiers
// counts the writes of each dependency level: typically scripts,
// connections and the integration; exports and imports; flows. Resources in a
// reference cycle (flows naming each other in _runNextFlowIds, a resource
// naming itself) are first written without the references to each other,
// which a second write adds as soon as all of them exist. Flows are created disabled, and those the bundle
// has enabled (disabled false, or no disabled member, as the API takes
// it) are enabled last, when everything they use is in place; a
// disabled flow the bundle enables is updated disabled and enabled last
// too. Updates go through the SDK's Modify: the target's members the
// bundle does not have are kept.
//
// Each create is marked in the state before it is sent, and each new id
// recorded as soon as it is known, each time followed by Checkpoint. If
// the answer to a create is lost (ErrUnknownOutcome), the context ends,
// or the process dies, the next Plan with the saved state reconciles the
// marked create instead of making a duplicate. Apply stops starting new
// writes at the first error, or when ctx ends, and returns every error
// met, with the Result so far; a write already started when ctx ends is
// let finish (for up to a minute), so that its answer is recorded.
func (p *Plan) Apply(ctx context.Context, opts *ApplyOptions) (*Result, error) {
	if p == nil || p.b == nil {
		return nil, errors.New("bundle: Apply: nil plan; make one with Bundle.Plan")
	}
	if ctx == nil {
		return nil, errors.New("bundle: Apply: nil context")
	}
	if p.applied.Swap(true) {
		return nil, errors.New("bundle: Apply: the plan was applied already; make a new plan (applying it again could create resources twice)")
	}
	if opts == nil {
		opts = &ApplyOptions{}
	}
	ap := &applier{p: p, ctx: ctx, opts: opts, conc: cmp.Or(max(opts.Concurrency, 0), 8), done: map[string]bool{}}
	res := &Result{State: p.state}

	var work []*item
	for _, c := range p.Changes {
		it := p.items[c.Ref]
		switch c.Action {
		case Create, Update:
			work = append(work, it)
			if it.adopted {
				ap.record(func() { p.state.record(c.Ref, it.id, nil) })
			}
		case NoChange:
			// The target has the bundle's document: record its members, so
			// that one removed from the bundle later is removed there too.
			if members := memberPaths(it.res.doc); it.adopted || !slices.Equal(p.state.membersOf(c.Ref), members) {
				ap.record(func() { p.state.record(c.Ref, it.id, members) })
			}
			ap.finish(it, nil)
		default:
			ap.finish(it, nil)
		}
	}
	tiers, deps := p.tiers(work)
	for _, tier := range tiers {
		res.Tiers = append(res.Tiers, len(tier))
	}
	closes := ap.runGraph(work, deps)
	res.Tiers = append(res.Tiers, closes)
	var enables []*item
	for _, it := range work {
		if it.enable {
			enables = append(enables, it)
		}
	}
	res.Tiers = append(res.Tiers, ap.run(enables, ap.enableFlow))
	res.Tiers = slices.DeleteFunc(res.Tiers, func(n int) bool { return n == 0 })
	for _, it := range work {
		ap.finish(it, ErrNotApplied) // those not finished
	}
	res.Writes = int(ap.writes.Load())
	for _, c := range p.Changes {
		if ap.ok[c.Ref] {
			res.Applied = append(res.Applied, c)
		}
	}
	if len(ap.errs) > 0 {
		return res, fmt.Errorf("bundle: Apply: %w", errors.Join(ap.errs...))
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("bundle: Apply: stopped: %w", err)
	}
	return res, nil
}

// applier is the state of one Apply.
type applier struct {
	p      *Plan
	ctx    context.Context
	opts   *ApplyOptions
	conc   int
	writes atomic.Int64
	failed atomic.Bool

	// offset is the least offset of the server's clock from the
	// machine's, in nanoseconds, that the answers so far show (hasOffset).
	offsetMu  sync.Mutex
	offset    atomic.Int64
	hasOffset atomic.Bool

	mu   sync.Mutex // serialises state changes, Checkpoint, OnChange; guards the rest
	errs []error
	done map[string]bool
	ok   map[string]bool
}

// writeGrace bounds how long a write started before the apply's context
// ended may still take.
const writeGrace = time.Minute

// writeContext returns the context of one write: the apply's values, but
// not its end, so that a write already started when the apply is cancelled
// gets its answer (and its id is recorded) instead of being cut off after
// it may have reached the server; writeGrace bounds it then.
func (ap *applier) writeContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ap.ctx))
	stop := context.AfterFunc(ap.ctx, func() {
		t := time.AfterFunc(writeGrace, cancel)
		context.AfterFunc(ctx, func() { t.Stop() })
	})
	return ctx, func() { stop(); cancel() }
}

// stopped reports whether no new write may start.
func (ap *applier) stopped() bool { return ap.failed.Load() || ap.ctx.Err() != nil }

// record changes the state and checkpoints it, one at a time. A failed
// checkpoint stops the apply and is returned.
func (ap *applier) record(change func()) error {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	change()
	if ap.opts.Checkpoint == nil {
		return nil
	}
	if err := ap.opts.Checkpoint(ap.p.state); err != nil {
		err = fmt.Errorf("checkpoint: %w", err)
		ap.errs = append(ap.errs, err)
		ap.failed.Store(true)
		return err
	}
	return nil
}

// finish reports a change done (err nil) or failed, once.
func (ap *applier) finish(it *item, err error) {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	if ap.done[it.res.ref] {
		return
	}
	ap.done[it.res.ref] = true
	if err == nil {
		if ap.ok == nil {
			ap.ok = map[string]bool{}
		}
		ap.ok[it.res.ref] = true
	} else if !errors.Is(err, ErrNotApplied) {
		err = fmt.Errorf("%s: %w", it.res.ref, err)
		ap.errs = append(ap.errs, err)
		ap.failed.Store(true)
	}
	if ap.opts.OnChange != nil {
		ap.opts.OnChange(*it.change, err)
	}
}

// run calls fn for each item, ap.conc at a time, starting none once the
// apply has stopped; it returns, when all it started are done, how many it
// started.
func (ap *applier) run(items []*item, fn func(*item) error) int {
	started := 0
	sem := make(chan struct{}, ap.conc)
	var wg sync.WaitGroup
	for _, it := range items {
		if ap.stopped() {
			break
		}
		sem <- struct{}{}
		if ap.stopped() {
			<-sem
			break
		}
		wg.Add(1)
		started++
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(it); err != nil {
				ap.finish(it, err)
			}
		}()
	}
	wg.Wait()
	return started
}

// runGraph writes the items, ap.conc at a time, each as soon as the items
// it waits for (deps) are written, so that a slow write holds back only
// what needs its id; and the second write of an item as soon as every
// item its first write left out is written. It starts none once the apply
// has stopped, and returns, when all it started are done, how many second
// writes it made.
func (ap *applier) runGraph(work []*item, deps map[*item][]*item) int {
	type task struct {
		it    *item
		close bool
	}
	waiting := map[*item]int{}
	dependents := map[*item][]*item{}
	closeWaiting := map[*item]int{} // by item to close: items not yet written
	closers := map[*item][]*item{}  // by item: items whose close waits for it
	var ready []task
	for _, it := range work {
		waiting[it] = len(deps[it])
		for _, d := range deps[it] {
			dependents[d] = append(dependents[d], it)
		}
		if len(deps[it]) == 0 {
			ready = append(ready, task{it: it})
		}
	}
	type result struct {
		task
		err error
	}
	written := map[*item]bool{}
	results := make(chan result)
	inflight, closes := 0, 0
	for {
		for len(ready) > 0 && inflight < ap.conc && !ap.stopped() {
			t := ready[0]
			ready = ready[1:]
			inflight++
			if t.close {
				closes++
			}
			go func() {
				var err error
				if t.close {
					err = ap.close(t.it)
				} else {
					err = ap.write(t.it)
				}
				results <- result{t, err}
			}()
		}
		if inflight == 0 {
			return closes
		}
		r := <-results
		inflight--
		if r.err != nil {
			ap.finish(r.it, r.err)
			continue
		}
		if r.close {
			continue
		}
		written[r.it] = true
		for _, d := range dependents[r.it] {
			if waiting[d]--; waiting[d] == 0 {
				ready = append(ready, task{it: d})
			}
		}
		if len(r.it.missing) > 0 {
			n := 0
			for _, ref := range r.it.missing {
				if m := ap.p.items[ref]; m != nil && !written[m] && !slices.Contains(closers[m], r.it) {
					closers[m] = append(closers[m], r.it)
					n++
				}
			}
			closeWaiting[r.it] = n
			if n == 0 {
				ready = append(ready, task{it: r.it, close: true})
			}
		}
		for _, c := range closers[r.it] {
			if closeWaiting[c]--; closeWaiting[c] == 0 {
				ready = append(ready, task{it: c, close: true})
			}
		}
		delete(closers, r.it)
	}
}

// step ends an item's write: the change is done unless a second write or
// an enable is still to come.
func (ap *applier) step(it *item) {
	if len(it.missing) == 0 && !it.enable {
		ap.finish(it, nil)
	}
}

// write creates or updates one resource.
func (ap *applier) write(it *item) error {
	if it.change.Action == Create {
		return ap.create(it)
	}
	return ap.update(it)
}

// create marks the create in the state, sends it, and records the new id.
func (ap *applier) create(it *item) error {
	p := ap.p
	doc, missing := p.build(it, nil, false)
	if it.res.typ == typeFlows {
		// A flow without "disabled" is enabled, as the API makes it.
		it.enable = doc["disabled"] != true
		doc["disabled"] = true
	}
	body, err := encodeCompact(doc)
	if err != nil {
		return err
	}
	name, _ := doc["name"].(string)
	integrationID, _ := doc["_integrationId"].(string)
	mark := Pending{Type: it.res.typ, Name: name, IntegrationID: integrationID, At: time.Now().UTC().Truncate(time.Millisecond)}
	if ap.hasOffset.Load() {
		// The resource's createdAt cannot be before this, and a
		// createdAt may be cut to the millisecond.
		nb := mark.At.Add(time.Duration(ap.offset.Load()) - time.Millisecond)
		mark.NotBefore = &nb
	}
	if err := ap.record(func() { p.state.mark(it.res.ref, mark) }); err != nil {
		// Never sent: the state in memory (Result.State) loses the mark,
		// so that a plan with it creates the resource without waiting for
		// a request that will never land. Checkpoint is not called again.
		ap.mu.Lock()
		p.state.unmark(it.res.ref)
		ap.mu.Unlock()
		return ErrNotApplied
	}
	ap.writes.Add(1)
	wctx, cancel := ap.writeContext()
	defer cancel()
	raw, err := it.kind.create(wctx, p.c, body)
	if err != nil {
		if refused(err) {
			ap.record(func() { p.state.unmark(it.res.ref) })
		}
		return fmt.Errorf("creating the %s: %w", it.kind.model, err)
	}
	answered := time.Now()
	created, err := decodeObject(raw)
	id, _ := created["_id"].(string)
	ap.learnOffset(created, answered)
	if err != nil || id == "" {
		return fmt.Errorf("creating the %s: the answer has no id (the next plan reconciles it): %w", it.kind.model, integratorio.ErrUnknownOutcome)
	}
	p.mu.Lock()
	it.id, it.created, it.missing, it.written = id, created, missing, true
	if it.res.ref == p.b.integration {
		p.intDoc = created
	}
	p.mu.Unlock()
	if err := ap.record(func() { p.state.record(it.res.ref, id, memberPaths(it.res.doc)) }); err != nil {
		return err
	}
	ap.step(it)
	return nil
}

// learnOffset keeps the least offset of the server's clock from the
// machine's that a create's answer shows: the server made the resource
// (createdAt) before the answer arrived, so the offset is at least
// createdAt - answered.
func (ap *applier) learnOffset(created map[string]any, answered time.Time) {
	s, _ := created["createdAt"].(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return
	}
	d := int64(at.Sub(answered))
	ap.offsetMu.Lock()
	defer ap.offsetMu.Unlock()
	if !ap.hasOffset.Load() || d > ap.offset.Load() {
		ap.offset.Store(d)
		ap.hasOffset.Store(true)
	}
}

// refused reports an error that says the server did not act: a 4xx
// answer, or a request refused before it was sent.
func refused(err error) bool {
	if errors.Is(err, integratorio.ErrUnknownOutcome) {
		return false
	}
	var apiErr *integratorio.APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 400 && apiErr.StatusCode < 500
	}
	return errors.Is(err, integratorio.ErrInvalidArgument)
}

// update changes one resource in place through Modify.
func (ap *applier) update(it *item) error {
	p := ap.p
	if it.res.typ == typeFlows && slices.Equal(it.change.Paths, []string{"/disabled"}) && it.res.doc["disabled"] == false {
		// Only to be enabled: that is the enable's write, last.
		p.mu.Lock()
		it.enable, it.written = true, true
		p.mu.Unlock()
		if err := ap.recordMembers(it); err != nil {
			return err
		}
		ap.step(it)
		return nil
	}
	var missing []string
	enable := false
	ap.writes.Add(1)
	wctx, cancel := ap.writeContext()
	defer cancel()
	raw, err := it.kind.modify(wctx, p.c, it.id, func(cur json.RawMessage) ([]byte, error) {
		base, err := decodeObject(cur)
		if err != nil {
			return nil, err
		}
		doc, miss := p.build(it, base, false)
		missing, enable = miss, false
		if it.res.typ == typeFlows && doc["disabled"] == false && (base["disabled"] == true || len(miss) > 0) {
			doc["disabled"], enable = true, true
		}
		return encodeCompact(doc)
	})
	if err != nil {
		return fmt.Errorf("updating %s %s: %w", it.kind.model, it.id, err)
	}
	p.mu.Lock()
	it.missing, it.enable, it.written = missing, enable, true
	if it.res.ref == p.b.integration {
		p.intDoc, _ = decodeObject(raw)
	}
	p.mu.Unlock()
	if err := ap.recordMembers(it); err != nil {
		return err
	}
	ap.step(it)
	return nil
}

// recordMembers records, after an update, the members of the bundle's
// document that the target now has.
func (ap *applier) recordMembers(it *item) error {
	members := memberPaths(it.res.doc)
	if slices.Equal(ap.p.state.membersOf(it.res.ref), members) {
		return nil
	}
	return ap.record(func() { ap.p.state.setMembers(it.res.ref, members) })
}

// close writes a resource again once every resource it references has an
// id: the references its first write had to leave out.
func (ap *applier) close(it *item) error {
	p := ap.p
	ap.writes.Add(1)
	if it.created == nil {
		var still []string
		wctx, cancel := ap.writeContext()
		defer cancel()
		_, err := it.kind.modify(wctx, p.c, it.id, func(cur json.RawMessage) ([]byte, error) {
			base, err := decodeObject(cur)
			if err != nil {
				return nil, err
			}
			doc, miss := p.build(it, base, false)
			still = miss
			if it.enable {
				doc["disabled"] = true
			}
			return encodeCompact(doc)
		})
		if err == nil && len(still) > 0 {
			err = fmt.Errorf("%s still have no id", strings.Join(still, ", "))
		}
		if err != nil {
			return fmt.Errorf("second write of %s %s: %w", it.kind.model, it.id, err)
		}
	} else {
		doc, still := p.build(it, it.created, false)
		if len(still) > 0 {
			return fmt.Errorf("second write of %s %s: %s still have no id", it.kind.model, it.id, strings.Join(still, ", "))
		}
		if it.enable {
			doc["disabled"] = true
		}
		body, err := encodeCompact(doc)
		if err != nil {
			return err
		}
		wctx, cancel := ap.writeContext()
		defer cancel()
		if _, err := it.kind.update(wctx, p.c, it.id, body); err != nil {
			return fmt.Errorf("second write of %s %s: %w", it.kind.model, it.id, err)
		}
	}
	it.missing = nil
	ap.step(it)
	return nil
}

// enableFlow enables a flow the bundle has enabled, last.
func (ap *applier) enableFlow(it *item) error {
	ap.writes.Add(1)
	wctx, cancel := ap.writeContext()
	defer cancel()
	err := ap.p.c.Flows.Patch(wctx, it.id, integratorio.PatchOp{Op: "replace", Path: "/disabled", Value: false})
	if err != nil {
		return fmt.Errorf("enabling flow %s: %w", it.id, err)
	}
	it.enable = false
	ap.finish(it, nil)
	return nil
}

// tiers orders the writes: each tier holds the items whose references to
// resources still to be created are all in earlier tiers. Items that
// reference each other in a cycle (flows naming each other in
// _runNextFlowIds, say) share a tier: each is first written without the
// references to the others, which a second write adds. It returns the
// tiers and, for each item, the items of earlier tiers it waits for.
func (p *Plan) tiers(work []*item) ([][]*item, map[*item][]*item) {
	deps := map[*item][]*item{}
	for _, it := range work {
		walkStrings(it.res.doc, "", "", func(_, member, s string) {
			if !refMember(member) {
				return
			}
			ref := s
			if strings.HasPrefix(s, groupingPrefix) {
				ref = p.b.integration
			} else if _, _, ok := parseRef(s); !ok {
				return
			}
			dep := p.items[ref]
			if dep == nil || dep == it || (dep.change.Action != Create && !(ref == p.b.integration && dep.change.Action == Update)) {
				return
			}
			if !slices.Contains(deps[it], dep) {
				deps[it] = append(deps[it], dep)
			}
		})
	}
	// Tarjan's strongly connected components: a component's items share a
	// level, one above the highest of the components they reference.
	index, low, comp := map[*item]int{}, map[*item]int{}, map[*item]int{}
	onStack := map[*item]bool{}
	var stack []*item
	var comps [][]*item
	var visit func(it *item)
	visit = func(it *item) {
		index[it], low[it] = len(index), len(index)
		stack = append(stack, it)
		onStack[it] = true
		for _, d := range deps[it] {
			if _, seen := index[d]; !seen {
				visit(d)
				low[it] = min(low[it], low[d])
			} else if onStack[d] {
				low[it] = min(low[it], index[d])
			}
		}
		if low[it] == index[it] {
			var c []*item
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[top] = false
				comp[top] = len(comps)
				c = append(c, top)
				if top == it {
					break
				}
			}
			comps = append(comps, c)
		}
	}
	for _, it := range work {
		if _, seen := index[it]; !seen {
			visit(it)
		}
	}
	// Tarjan numbers a component after every component it references.
	level := map[*item]int{}
	top := -1
	for _, c := range comps {
		l := 0
		for _, it := range c {
			for _, d := range deps[it] {
				if comp[d] != comp[it] {
					l = max(l, level[d]+1)
				}
			}
		}
		for _, it := range c {
			level[it] = l
			it.level = l
		}
		top = max(top, l)
	}
	out := make([][]*item, top+1)
	for _, it := range work {
		out[it.level] = append(out[it.level], it)
	}
	wait := map[*item][]*item{}
	for it, ds := range deps {
		for _, d := range ds {
			if level[d] < level[it] && !slices.Contains(wait[it], d) {
				wait[it] = append(wait[it], d)
			}
		}
	}
	return out, wait
}
