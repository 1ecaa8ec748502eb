package integratorio

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Mode is the stage an integration is in, as shown by the integrator.io UI.
type Mode string

// The modes an integration can be in.
const (
	// ModeInstall: the user is still installing the integration.
	ModeInstall Mode = "install"
	// ModeSettings: installation is done; the settings page is available.
	ModeSettings Mode = "settings"
	// ModeUninstall: the integration is being uninstalled.
	ModeUninstall Mode = "uninstall"
)

// Integration is an integrator.io integration document.
//
// The API's documents carry more members than this struct types. Every
// member that is not typed here is kept, exactly as received, and written
// back when the value is encoded, so a document read with Get, changed, and
// written with Update loses nothing on the server (PUT replaces the whole
// document). Members that were in the decoded document are always written
// back, zero values included; members that were absent stay absent unless
// their field is set to a non-zero value. UpdateInProgress is always written
// by a value built in code, so that an update can never leave it out.
//
// A document written back unchanged is the document received, byte for
// byte but for the white space between members: every member in the order
// received, its name and its value as received (a typed field the caller
// did not change keeps the exact text received, such as
// "2024-01-02T03:04:05.000Z", an escape, or a lone surrogate "\ud83d"; one
// the caller changed is encoded anew). Members added since follow those
// received. MarshalJSON returns exactly that; json.Marshal, as for any
// MarshalJSON method, then escapes <, > and & in strings (the client's
// requests carry MarshalJSON's bytes).
//
// Use Extra and SetExtra to read and write the members this struct does not
// type. Reading an Integration from several goroutines is safe; changing
// it needs exclusive access.
type Integration struct {
	// ID is the document's 24-hex id (`_id`); read-only.
	ID string `json:"_id"`
	// Name is the integration's display name.
	Name string `json:"name"`
	// Description is free text shown in the UI.
	Description string `json:"description"`
	// Readme is free text (Markdown) shown in the UI.
	Readme string `json:"readme"`
	// Mode is the stage the integration is in; mostly managed by the UI.
	Mode Mode `json:"mode"`
	// Version is the installed version of a SmartConnector integration.
	// Increment it as the final step of a managed update.
	Version string `json:"version"`
	// UpdateInProgress is set by the platform when a managed update is
	// pushed; while it is true the user cannot change settings or mappings.
	// A managed update must set it back to false when done.
	UpdateInProgress bool `json:"updateInProgress" integratorio:"always"`
	// ConnectorID is the SmartConnector this integration was installed from
	// (`_connectorId`).
	ConnectorID string `json:"_connectorId"`
	// TemplateID is the template this integration was installed from
	// (`_templateId`).
	TemplateID string `json:"_templateId"`
	// Sandbox marks a sandbox integration (legacy).
	Sandbox bool `json:"sandbox"`
	// Tag is a free-form label.
	Tag string `json:"tag"`
	// Install holds the legacy install steps of a SmartConnector.
	Install []InstallStep `json:"install"`
	// InstallSteps holds the newer install steps.
	InstallSteps []InstallStep `json:"installSteps"`
	// UninstallSteps holds the uninstall steps.
	UninstallSteps []InstallStep `json:"uninstallSteps"`
	// Settings is the SmartConnector's configuration, a free-form object.
	Settings *Settings `json:"settings"`
	// RegisteredConnectionIDs lists the connections registered with the
	// integration (`_registeredConnectionIds`).
	RegisteredConnectionIDs []string `json:"_registeredConnectionIds"`
	// LastModified is when the document last changed; read-only.
	LastModified time.Time `json:"lastModified"`
	// CreatedAt is when the document was created; read-only.
	CreatedAt time.Time `json:"createdAt"`

	state docState
}

// EnsureSettings returns the integration's settings, first creating an
// empty settings object when it has none, so that Set can be called. On a
// nil integration it returns nil, whose Set is an error.
func (in *Integration) EnsureSettings() *Settings {
	if in == nil {
		return nil
	}
	if in.Settings == nil {
		in.Settings = &Settings{}
	}
	return in.Settings
}

// InstallStep is one step of a SmartConnector's install or uninstall
// sequence. Members it does not type are kept, as for Integration.
type InstallStep struct {
	// Name identifies the step; unique within its list.
	Name string `json:"name"`
	// Description is shown to the user.
	Description string `json:"description"`
	// ImageURL is the step's logo (`imageURL`).
	ImageURL string `json:"imageURL"`
	// Completed reports whether the step is done.
	Completed bool `json:"completed"`
	// InstallerFunction is the connector function run for the step.
	InstallerFunction string `json:"installerFunction"`
	// UninstallerFunction is the connector function run on uninstall.
	UninstallerFunction string `json:"uninstallerFunction"`
	// ConnectionID is the connection the step configures (`_connectionId`).
	ConnectionID string `json:"_connectionId"`
	// InstallURL is where the user installs a bundle or package.
	InstallURL string `json:"installURL"`
	// Type is the kind of step of newer connectors (seen: "connection",
	// "installPackage", "Stack", "form", "url", "merge", "revert"); compare
	// it case-insensitively.
	Type string `json:"type"`

	state docState
}

// Settings is a SmartConnector's configuration: a free-form JSON object kept
// whole. Members are read and written by key; every member survives a round
// trip unchanged unless it is set or deleted: until the first write the
// object is written back exactly as received, and after it every other
// member keeps its place, its name and its value byte for byte (members
// set anew are appended). The zero value is an empty object, ready to use.
// Reads (Get, Keys, Decode, Sections, CommonResources) may run
// concurrently; a write (Set, Delete, ...) needs exclusive access.
type Settings struct {
	raw json.RawMessage // as received, until a member is written
	// members holds the members in order once one is written (parsed);
	// their keys and values alias the bytes received.
	members []member
	parsed  bool
}

// NewSettings returns settings holding the members of v, which must encode
// as a JSON object (a struct or a map).
func NewSettings(v any) (*Settings, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, invalidArgf("settings cannot be encoded as JSON: %v", err)
	}
	s := &Settings{raw: b}
	if err := s.object(); err != nil {
		return nil, invalidArgf("settings must be a JSON object, got %s", describeJSON(b))
	}
	return s, nil
}

// UnmarshalJSON keeps the settings object exactly as received.
func (s *Settings) UnmarshalJSON(data []byte) error {
	*s = Settings{raw: append(json.RawMessage(nil), data...)}
	return nil
}

// String returns the settings as JSON, as MarshalJSON writes them: what
// %v, %+v and %s print.
func (s Settings) String() string { return printed(s.MarshalJSON()) }

// GoString returns the settings as %#v prints them: the type's name and
// their JSON.
func (s Settings) GoString() string { return "integratorio.Settings" + printed(s.MarshalJSON()) }

// printed is the text of a model's JSON for printing, or why it cannot be
// encoded.
func printed(b []byte, err error) string {
	if err != nil {
		return "{<cannot encode: " + err.Error() + ">}"
	}
	return string(b)
}

// MarshalJSON encodes the settings object.
func (s Settings) MarshalJSON() ([]byte, error) {
	return s.appendJSON(nil)
}

func (s *Settings) appendJSON(b []byte) ([]byte, error) {
	switch {
	case s.parsed:
		return appendMembers(b, s.members), nil
	case len(s.raw) == 0:
		return append(b, "{}"...), nil
	}
	return append(b, s.raw...), nil
}

// appendMembers appends an object of the members.
func appendMembers(b []byte, members []member) []byte {
	b = append(b, '{')
	for i := range members {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendKey(b, members[i].key), ':')
		b = append(b, members[i].raw...)
	}
	return append(b, '}')
}

// errNilSettings is returned by writes to a nil *Settings.
var errNilSettings = fmt.Errorf("%w: nil *Settings: the integration has no settings object; call Integration.EnsureSettings first", ErrInvalidArgument)

// object parses the members, for a write.
func (s *Settings) object() error {
	if s == nil {
		return errNilSettings
	}
	if s.parsed {
		return nil
	}
	members, err := parseMembers(s.raw)
	if err != nil {
		return fmt.Errorf("integratorio: settings is not a JSON object: %s", describeJSON(s.raw))
	}
	s.members, s.raw, s.parsed = members, nil, true
	return nil
}

// parseMembers returns the members of the JSON object raw (empty raw is an
// empty object) in order; of repeated names, the last is kept, in its
// place, as encoding/json keeps the last. Keys and values alias raw.
func parseMembers(raw []byte) ([]member, error) {
	members := []member{}
	var names []string
	err := eachMember(raw, func(name string, m member) {
		members = append(members, m)
		names = append(names, name)
	})
	if err != nil {
		return nil, err
	}
	dup := false
	if len(names) <= 16 {
		for i := 1; i < len(names) && !dup; i++ {
			dup = slices.Contains(names[:i], names[i])
		}
	} else {
		seen := make(map[string]bool, len(names))
		for _, name := range names {
			dup = dup || seen[name]
			seen[name] = true
		}
	}
	if !dup {
		return members, nil
	}
	seen := make(map[string]bool, len(names))
	out := make([]member, 0, len(members))
	for i := len(members) - 1; i >= 0; i-- {
		if !seen[names[i]] {
			seen[names[i]] = true
			out = append(out, members[i])
		}
	}
	slices.Reverse(out)
	return out, nil
}

// Decode decodes the whole settings object into v, typically a pointer to
// the connector's own settings struct. Nil settings leave v unchanged.
func (s *Settings) Decode(v any) error {
	if s == nil {
		return nil
	}
	b, err := s.MarshalJSON()
	if err != nil {
		return err
	}
	return decodeMember("settings", b, v)
}

// Get decodes the top-level member key into v and reports whether it
// exists. Nil settings have no members.
func (s *Settings) Get(key string, v any) (bool, error) {
	if s == nil {
		return false, nil
	}
	raw, ok, err := s.member(key)
	if err != nil || !ok {
		return false, err
	}
	return true, decodeMember(fmt.Sprintf("settings member %q", key), raw, v)
}

// Set sets the top-level member key to v encoded as JSON. A value that
// cannot be encoded (a channel, NaN, ...) is an error matching
// ErrInvalidArgument and leaves the settings unchanged, as is a Set on nil
// settings (see Integration.EnsureSettings).
func (s *Settings) Set(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return invalidArgf("settings member %q cannot be encoded as JSON: %v", key, err)
	}
	return s.setRaw(key, b)
}

// setRaw sets the member key to raw, a JSON value: in its place when it
// exists, else appended.
func (s *Settings) setRaw(key string, raw json.RawMessage) error {
	if err := s.object(); err != nil {
		return err
	}
	for i := range s.members {
		if s.members[i].is(key) {
			s.members[i].raw = raw
			return nil
		}
	}
	s.members = append(s.members, member{memberKey(key), raw})
	return nil
}

// Delete removes the top-level member key, if present.
func (s *Settings) Delete(key string) {
	if s.object() == nil {
		s.members = slices.DeleteFunc(s.members, func(m member) bool { return m.is(key) })
	}
}

// Keys lists the top-level members, sorted.
func (s *Settings) Keys() []string {
	if s == nil {
		return nil
	}
	var keys []string
	if s.parsed {
		for i := range s.members {
			keys = append(keys, s.members[i].name())
		}
	} else if err := eachMember(s.raw, func(k string, _ member) {
		keys = append(keys, strings.Clone(k))
	}); err != nil {
		return nil
	}
	slices.Sort(keys)
	return slices.Compact(keys) // a repeated name is one member
}

// member finds the top-level member key without changing s, so that
// readers may share settings.
func (s *Settings) member(key string) (json.RawMessage, bool, error) {
	if s.parsed {
		for i := range s.members {
			if s.members[i].is(key) {
				return s.members[i].raw, true, nil
			}
		}
		return nil, false, nil
	}
	var found json.RawMessage
	err := eachMember(s.raw, func(_ string, m member) {
		if m.is(key) {
			found = m.raw // the last of duplicates wins, as in encoding/json
		}
	})
	if err != nil {
		return nil, false, fmt.Errorf("integratorio: settings is not a JSON object: %s", describeJSON(s.raw))
	}
	return found, found != nil, nil
}

// eachMember calls fn with each member of the JSON object raw (empty raw
// is an empty object): its name, and the member, whose key (see member)
// and value alias raw.
func eachMember(raw []byte, fn func(name string, m member)) error {
	i := skipSpace(raw, 0)
	if i == len(raw) {
		return nil
	}
	if raw[i] != '{' {
		return errors.New("not an object")
	}
	end, err := scanObject(raw, i, 0, func(ks, ke int, plain bool, vs, ve int) error {
		name := unsafeString(raw[ks:ke])
		key := name
		if !plain {
			var err error
			if name, _, err = unquote(raw[ks-1 : ke+1]); err != nil {
				return err
			}
		}
		if !plain || needsEscape(name) {
			key = unsafeString(raw[ks-1 : ke+1])
		}
		fn(name, member{key, raw[vs:ve]})
		return nil
	})
	if err != nil {
		return err
	}
	return topLevel(raw, end)
}
