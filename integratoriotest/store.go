package integratoriotest

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// collection stores the documents of one resource as compact JSON objects,
// in the order they were added. Its methods are called with Server.mu held.
type collection struct {
	name  string // path segment, e.g. "integrations"
	model string // name in messages and clone answers, e.g. "Integration"
	docs  map[string][]byte
	order []string
	// seq numbers the documents in the order they were added; order's
	// seqs increase, so a list cursor "after seq n" survives deletions.
	seq     map[string]uint64
	lastSeq uint64
}

func newCollection(name, model string) *collection {
	return &collection{name: name, model: model, docs: map[string][]byte{}, seq: map[string]uint64{}}
}

// after returns the index in order of the first document added after the
// one numbered n.
func (c *collection) after(n uint64) int {
	return sort.Search(len(c.order), func(i int) bool { return c.seq[c.order[i]] > n })
}

func (c *collection) get(id string) ([]byte, bool) {
	b, ok := c.docs[id]
	return b, ok
}

// put stores doc under id, appending id to the order when it is new.
func (c *collection) put(id string, doc []byte) {
	if _, ok := c.docs[id]; !ok {
		c.order = append(c.order, id)
		c.lastSeq++
		c.seq[id] = c.lastSeq
	}
	c.docs[id] = doc
}

func (c *collection) delete(id string) bool {
	if _, ok := c.docs[id]; !ok {
		return false
	}
	delete(c.docs, id)
	delete(c.seq, id)
	c.order = slices.DeleteFunc(c.order, func(s string) bool { return s == id })
	return true
}

func (c *collection) ids() []string { return slices.Clone(c.order) }

// idSource makes 24-hex ids shaped like MongoDB ObjectIDs: 4 bytes of
// seconds, 5 bytes from a seeded generator, 3 bytes of counter.
type idSource struct {
	rnd     *rand.PCG
	counter uint32
	// seeded makes the seconds a constant (seededIDSecond) instead of the
	// creation time, so that the ids depend on the seed and the sequence
	// of creations only, never on the clock.
	seeded bool
}

// seededIDSecond is the seconds part of every id of a server made with
// WithIDSeed: 2020-01-01T00:00:00Z.
const seededIDSecond = 1577836800

// newIDSource returns a source of ids from seed; seeded tells that the
// seed was chosen (WithIDSeed) rather than drawn at random.
func newIDSource(seed uint64, seeded bool) idSource {
	return idSource{rnd: rand.NewPCG(seed, seed^0x9e3779b97f4a7c15), counter: uint32(seed), seeded: seeded}
}

// next returns a new id for a document created at t. The caller holds
// Server.mu.
func (g *idSource) next(t time.Time) string {
	var b [12]byte
	sec := uint32(t.Unix())
	if g.seeded {
		sec = seededIDSecond
	}
	binary.BigEndian.PutUint32(b[0:4], sec)
	var r [8]byte
	binary.LittleEndian.PutUint64(r[:], g.rnd.Uint64())
	copy(b[4:9], r[:5])
	g.counter++
	b[9], b[10], b[11] = byte(g.counter>>16), byte(g.counter>>8), byte(g.counter)
	return hex.EncodeToString(b[:])
}
