package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"
)

// stateVersion is the version of the state file's layout.
const stateVersion = 1

// State is what a target holds of a bundle: the id of each resource, by
// ref, the members (JSON Pointers, no values) of the bundle's document
// last written there, and the creates that were sent (or about to be)
// without an answer yet. Apply records into it as it goes; keep it between deploys (Save,
// LoadState), one state per target. A State is safe for concurrent use.
type State struct {
	mu  sync.RWMutex
	ids map[string]string
	// pending are creates marked before they were sent, by ref.
	pending map[string]Pending
	// members are, by ref, the JSON Pointers of the members the bundle's
	// document had when Apply last wrote (or found) it: a member gone from
	// the bundle since is removed from the target, while one the bundle
	// never had is kept.
	members map[string][]string
}

// Pending is a create marked before it was sent: its outcome is not known
// until the next Plan finds (or does not find) the resource.
type Pending struct {
	// Type is the resource type, such as "flows".
	Type string `json:"type"`
	// Name is the name the resource was created with.
	Name string `json:"name"`
	// IntegrationID is the target integration the resource was created
	// under (its _integrationId), if any.
	IntegrationID string `json:"integrationId,omitempty"`
	// At is when the create was marked, before it was sent; the resource,
	// if it was created, has a createdAt at or after it.
	At time.Time `json:"at"`
	// NotBefore, when set, is a time in the server's clock before which
	// the resource, if it was created, was not: the mark's time moved by
	// the least offset between the clocks that earlier answers of the
	// same apply show. A namesake created before it is older than the
	// create, whatever the machine's clock.
	NotBefore *time.Time `json:"notBefore,omitempty"`
}

// stateFile is the JSON form of a State.
type stateFile struct {
	Version   int                `json:"version"`
	Resources map[string]stateEn `json:"resources"`
}

type stateEn struct {
	ID      string   `json:"id,omitempty"`
	Pending *Pending `json:"pending,omitempty"`
	Members []string `json:"members,omitempty"`
}

// NewState returns an empty state: a target that has nothing of the
// bundle yet.
func NewState() *State {
	return &State{ids: map[string]string{}, pending: map[string]Pending{}, members: map[string][]string{}}
}

// LoadState reads a state saved by Save. A missing file is an empty state.
func LoadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("bundle: LoadState: %w", err)
	}
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("bundle: LoadState %s: not a state file: %v", path, err)
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("bundle: LoadState %s: the state's version is %d; this package reads version %d", path, f.Version, stateVersion)
	}
	s := NewState()
	for ref, e := range f.Resources {
		if _, _, ok := parseRef(ref); !ok {
			return nil, fmt.Errorf("bundle: LoadState %s: %q is not a ref", path, ref)
		}
		if e.ID != "" {
			s.ids[ref] = e.ID
		}
		if e.Pending != nil {
			s.pending[ref] = *e.Pending
		}
		if e.ID != "" && len(e.Members) > 0 {
			s.members[ref] = e.Members
		}
	}
	return s, nil
}

// Save writes the state to path atomically: a crash leaves the old file
// or the new one, never a part. It holds no secret.
func (s *State) Save(path string) error {
	if s == nil {
		return errors.New("bundle: Save: nil state; use NewState or LoadState")
	}
	data, err := s.MarshalJSON()
	if err != nil {
		return fmt.Errorf("bundle: Save: %w", err)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("bundle: Save: %w", err)
		}
	}
	if err := writeFile(path, data); err != nil {
		return fmt.Errorf("bundle: Save: %w", err)
	}
	return nil
}

// MarshalJSON encodes the state as Save writes it (members sorted).
func (s *State) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("null"), nil
	}
	s.mu.RLock()
	f := stateFile{Version: stateVersion, Resources: map[string]stateEn{}}
	for ref, id := range s.ids {
		f.Resources[ref] = stateEn{ID: id, Members: s.members[ref]}
	}
	for ref, p := range s.pending {
		e := f.Resources[ref]
		e.Pending = &p
		f.Resources[ref] = e
	}
	s.mu.RUnlock()
	return encodePretty(f)
}

// ID returns the target's id of the resource ref, and whether the state
// has one.
func (s *State) ID(ref string) (string, bool) {
	if s == nil {
		return "", false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.ids[ref]
	return id, ok
}

// Pending returns the create of ref marked but not yet answered, if any.
func (s *State) Pending(ref string) (Pending, bool) {
	if s == nil {
		return Pending{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.pending[ref]
	return p, ok
}

// Refs returns the refs the state knows (with an id or a pending create),
// sorted.
func (s *State) Refs() []string {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	set := maps.Clone(s.ids)
	for ref := range s.pending {
		set[ref] = ""
	}
	return slices.Sorted(maps.Keys(set))
}

// Set records id as the target's resource ref and clears a pending create
// of it: use it to adopt a resource by hand (say, to settle an ambiguous
// create Plan reported).
//
// The members the bundle had are not known for a resource adopted so: the
// next Apply records them, and until then a member removed from the
// bundle's file is kept in the target. Set on a nil State does nothing.
func (s *State) Set(ref, id string) {
	s.record(ref, id, nil)
}

// record records id as the target's resource ref, with the members of the
// bundle's document written there (nil: not known), and clears a pending
// create of it.
func (s *State) record(ref, id string, members []string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.ids[ref] = id
	delete(s.pending, ref)
	if members == nil {
		delete(s.members, ref)
	} else {
		s.members[ref] = members
	}
}

// setMembers records the members of the bundle's document of ref that the
// target now has.
func (s *State) setMembers(ref string, members []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.members[ref] = members
}

// membersOf returns the members recorded for ref.
func (s *State) membersOf(ref string) []string {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.members[ref]
}

// Forget removes ref from the state (its id and any pending create), so
// that the next Plan creates it anew.
func (s *State) Forget(ref string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, ref)
	delete(s.pending, ref)
	delete(s.members, ref)
}

// mark records a create about to be sent, in place of any id the state
// held for ref (one the plan found gone).
func (s *State) mark(ref string, p Pending) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.pending[ref] = p
	delete(s.ids, ref) // an id gone from the target: the mark replaces it
	delete(s.members, ref)
}

// unmark clears a pending create that the server refused.
func (s *State) unmark(ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pending, ref)
}

// init makes the maps of a zero State. The caller holds s.mu.
func (s *State) init() {
	if s.ids == nil {
		s.ids = map[string]string{}
	}
	if s.pending == nil {
		s.pending = map[string]Pending{}
	}
	if s.members == nil {
		s.members = map[string][]string{}
	}
}
