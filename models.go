package integratorio

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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

var integrationCodec = newObjectCodec[Integration]()

// UnmarshalJSON decodes an integration document, keeping every member.
func (in *Integration) UnmarshalJSON(data []byte) error {
	return integrationCodec.decode(data, in, &in.state)
}

// decodeAt decodes the object at data[i] (a list element, decoded in place
// without a second scan) and returns the index after it.
func (in *Integration) decodeAt(data []byte, i int) (int, error) {
	*in = Integration{}
	return integrationCodec.decodeObject(data, i, reflect.ValueOf(in).Elem(), &in.state)
}

// MarshalJSON encodes the integration with every member it was decoded with.
func (in Integration) MarshalJSON() ([]byte, error) {
	return integrationCodec.encode(&in, &in.state)
}

// Extra decodes the member key, one this struct does not type, into v.
// It reports whether the member exists. Asking for a typed member (such as
// "name") is an error matching ErrInvalidArgument.
func (in *Integration) Extra(key string, v any) (bool, error) {
	if in == nil {
		return false, nil
	}
	return integrationCodec.getExtra(&in.state, key, v)
}

// SetExtra sets the member key, one this struct does not type, to v encoded
// as JSON. Setting a typed member is an error matching ErrInvalidArgument.
func (in *Integration) SetExtra(key string, v any) error {
	if in == nil {
		return invalidArgf("SetExtra: nil *Integration")
	}
	return integrationCodec.setExtra(&in.state, key, v)
}

// DeleteExtra removes the untyped member key, if present.
func (in *Integration) DeleteExtra(key string) {
	if in == nil {
		return
	}
	integrationCodec.deleteExtra(&in.state, key)
}

// ExtraKeys lists, sorted, the members of the document this struct does not
// type.
func (in *Integration) ExtraKeys() []string {
	if in == nil {
		return nil
	}
	return integrationCodec.extraKeys(&in.state)
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

// Partial reports whether the document came from a list request with
// Include or Exclude set, and so lacks members the server holds. Update
// refuses a partial document, since PUT would erase what it lacks; Get the
// integration first.
func (in *Integration) Partial() bool { return in != nil && in.state.partial }

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

var installStepCodec = newObjectCodec[InstallStep]()

// UnmarshalJSON decodes an install step, keeping every member.
func (s *InstallStep) UnmarshalJSON(data []byte) error {
	return installStepCodec.decode(data, s, &s.state)
}

// MarshalJSON encodes the install step with every member it was decoded with.
func (s InstallStep) MarshalJSON() ([]byte, error) {
	return installStepCodec.encode(&s, &s.state)
}

// Extra decodes the member key, one this struct does not type, into v.
func (s *InstallStep) Extra(key string, v any) (bool, error) {
	if s == nil {
		return false, nil
	}
	return installStepCodec.getExtra(&s.state, key, v)
}

// SetExtra sets the member key, one this struct does not type, to v encoded
// as JSON.
func (s *InstallStep) SetExtra(key string, v any) error {
	if s == nil {
		return invalidArgf("SetExtra: nil *InstallStep")
	}
	return installStepCodec.setExtra(&s.state, key, v)
}

func (s *InstallStep) appendJSON(b []byte) ([]byte, error) {
	return installStepCodec.appendJSON(b, s, &s.state)
}

// Settings is a SmartConnector's configuration: a free-form JSON object kept
// whole. Members are read and written by key; every member survives a round
// trip unchanged unless it is set or deleted. The zero value is an empty
// object, ready to use. Reads (Get, Keys, Decode, Sections,
// CommonResources) may run concurrently; a write (Set, Delete, ...) needs
// exclusive access.
type Settings struct {
	raw     json.RawMessage            // as received, until a member is written
	members map[string]json.RawMessage // parsed on first access
}

// NewSettings returns settings holding the members of v, which must encode
// as a JSON object (a struct or a map).
func NewSettings(v any) (*Settings, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, invalidArgf("settings cannot be encoded as JSON: %v", err)
	}
	s := &Settings{raw: b}
	if _, err := s.object(); err != nil {
		return nil, invalidArgf("settings must be a JSON object, got %.20s", b)
	}
	return s, nil
}

// UnmarshalJSON keeps the settings object exactly as received.
func (s *Settings) UnmarshalJSON(data []byte) error {
	s.raw = append(json.RawMessage(nil), data...)
	s.members = nil
	return nil
}

// MarshalJSON encodes the settings object.
func (s Settings) MarshalJSON() ([]byte, error) {
	return s.appendJSON(nil)
}

func (s *Settings) appendJSON(b []byte) ([]byte, error) {
	switch {
	case s.members != nil:
		keys := make([]string, 0, len(s.members))
		for k := range s.members {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = append(b, s.members[k]...)
		}
		return append(b, '}'), nil
	case len(s.raw) == 0:
		return append(b, "{}"...), nil
	}
	return append(b, s.raw...), nil
}

// errNilSettings is returned by writes to a nil *Settings.
var errNilSettings = fmt.Errorf("%w: nil *Settings: the integration has no settings object; call Integration.EnsureSettings first", ErrInvalidArgument)

func (s *Settings) object() (map[string]json.RawMessage, error) {
	if s == nil {
		return nil, errNilSettings
	}
	if s.members != nil {
		return s.members, nil
	}
	m := map[string]json.RawMessage{}
	if len(s.raw) > 0 {
		if err := json.Unmarshal(s.raw, &m); err != nil || m == nil {
			return nil, fmt.Errorf("integratorio: settings is not a JSON object: %.40s", s.raw)
		}
	}
	s.members, s.raw = m, nil
	return m, nil
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
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("integratorio: decoding settings: %w", err)
	}
	return nil
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
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("integratorio: decoding settings member %q: %w", key, err)
	}
	return true, nil
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
	m, err := s.object()
	if err != nil {
		return err
	}
	m[key] = b
	return nil
}

// Delete removes the top-level member key, if present.
func (s *Settings) Delete(key string) {
	if m, err := s.object(); err == nil {
		delete(m, key)
	}
}

// Keys lists the top-level members, sorted.
func (s *Settings) Keys() []string {
	if s == nil {
		return nil
	}
	var keys []string
	if s.members != nil {
		for k := range s.members {
			keys = append(keys, k)
		}
	} else if err := eachMember(s.raw, func(k string, _ []byte) {
		if !slices.Contains(keys, k) {
			keys = append(keys, strings.Clone(k))
		}
	}); err != nil {
		return nil
	}
	slices.Sort(keys)
	return keys
}

// member finds the top-level member key without changing s, so that
// readers may share settings.
func (s *Settings) member(key string) (json.RawMessage, bool, error) {
	if s.members != nil {
		raw, ok := s.members[key]
		return raw, ok, nil
	}
	var found json.RawMessage
	err := eachMember(s.raw, func(k string, v []byte) {
		if k == key {
			found = v // the last of duplicates wins, as in encoding/json
		}
	})
	if err != nil {
		return nil, false, fmt.Errorf("integratorio: settings is not a JSON object: %w", err)
	}
	return found, found != nil, nil
}

// eachMember calls fn with each member of the JSON object raw (empty raw
// is an empty object). The value slices alias raw.
func eachMember(raw []byte, fn func(key string, val []byte)) error {
	i := skipSpace(raw, 0)
	if i == len(raw) {
		return nil
	}
	if raw[i] != '{' {
		return errors.New("not an object")
	}
	end, err := scanObject(raw, i, 0, func(ks, ke int, plain bool, vs, ve int) error {
		key := unsafeString(raw[ks:ke])
		if !plain {
			var err error
			if key, err = unquote(raw[ks-1 : ke+1]); err != nil {
				return err
			}
		}
		fn(key, raw[vs:ve])
		return nil
	})
	if err != nil {
		return err
	}
	return topLevel(raw, end)
}
