package integratorio

import (
	"encoding/json"
	"strings"
)

// Install step types seen on newer SmartConnectors. Compare a step's Type
// with InstallStep.IsType, which ignores case ("Connection" and
// "connection" are the same type).
const (
	StepTypeConnection     = "connection"
	StepTypeInstallPackage = "installPackage"
	StepTypeStack          = "Stack"
	StepTypeForm           = "form"
	StepTypeURL            = "url"
	StepTypeMerge          = "merge"
	StepTypeRevert         = "revert"
)

// IsType reports whether the step is of type t, ignoring case.
func (s *InstallStep) IsType(t string) bool { return s != nil && strings.EqualFold(s.Type, t) }

// activeSteps is the install step list in use: InstallSteps on newer
// connectors, else the legacy Install.
func (in *Integration) activeSteps() []InstallStep {
	if in == nil {
		return nil
	}
	if len(in.InstallSteps) > 0 {
		return in.InstallSteps
	}
	return in.Install
}

// NextInstallStep returns the first install step not yet completed, or nil
// when every step is done. It reads InstallSteps when the integration has
// them, else the legacy Install list. The pointer refers to the step in the
// document, so changes to it are written by the next Update.
func (in *Integration) NextInstallStep() *InstallStep {
	steps := in.activeSteps()
	for i := range steps {
		if !steps[i].Completed {
			return &steps[i]
		}
	}
	return nil
}

// CompleteInstallStep marks the install step with the given name completed,
// in the list NextInstallStep reads. When that completes the last step of
// an integration in ModeInstall, its mode moves to ModeSettings, as the UI
// does; any other mode is left as it is. An unknown name, or a nil
// integration, is an error matching ErrInvalidArgument.
func (in *Integration) CompleteInstallStep(name string) error {
	if in == nil {
		return invalidArgf("CompleteInstallStep: nil *Integration")
	}
	steps := in.activeSteps()
	for i := range steps {
		if steps[i].Name == name {
			steps[i].Completed = true
			if in.InstallComplete() && in.Mode == ModeInstall {
				in.Mode = ModeSettings
			}
			return nil
		}
	}
	return invalidArgf("integration %s has no install step named %q", in.ID, name)
}

// InstallComplete reports whether every install step is completed (true
// when there are none).
func (in *Integration) InstallComplete() bool {
	return in.NextInstallStep() == nil
}

// Section is one section of a SmartConnector's settings page
// (settings.sections[]). Members it does not type are kept.
type Section struct {
	// Title is the section's heading.
	Title string `json:"title"`
	// ID identifies the section, where the connector sets one.
	ID string `json:"id"`

	state docState
}

var sectionCodec = newObjectCodec[Section]()

// UnmarshalJSON decodes a section, keeping every member.
func (s *Section) UnmarshalJSON(data []byte) error {
	return sectionCodec.decode(data, s, &s.state)
}

// MarshalJSON encodes the section with every member it was decoded with.
func (s Section) MarshalJSON() ([]byte, error) {
	return sectionCodec.encode(&s, &s.state)
}

// Extra decodes the member key, one this struct does not type, into v.
func (s *Section) Extra(key string, v any) (bool, error) {
	if s == nil {
		return false, nil
	}
	return sectionCodec.getExtra(&s.state, key, v)
}

// SetExtra sets the member key, one this struct does not type, to v
// encoded as JSON.
func (s *Section) SetExtra(key string, v any) error {
	if s == nil {
		return invalidArgf("SetExtra: nil *Section")
	}
	return sectionCodec.setExtra(&s.state, key, v)
}

// Sections decodes settings.sections; nil when absent.
func (s *Settings) Sections() ([]Section, error) {
	var out []Section
	if _, err := s.Get("sections", &out); err != nil {
		return nil, err
	}
	return out, nil
}

// SetSections replaces settings.sections, keeping every other member.
func (s *Settings) SetSections(sections []Section) error {
	return s.Set("sections", sections)
}

// CommonResources returns the string members of
// settings.commonresources: the ids of the resources the connector shares
// (connections, exports, ...). Members that are not strings are left out
// of the map, and kept in the settings.
func (s *Settings) CommonResources() (map[string]string, error) {
	var raw map[string]json.RawMessage
	if _, err := s.Get("commonresources", &raw); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var id string
		if json.Unmarshal(v, &id) == nil {
			out[k] = id
		}
	}
	return out, nil
}

// SetCommonResource sets one member of settings.commonresources to id,
// keeping every other member (and creating the object when absent).
func (s *Settings) SetCommonResource(key, id string) error {
	if key == "" {
		return invalidArgf("SetCommonResource: empty key")
	}
	var raw map[string]json.RawMessage
	if _, err := s.Get("commonresources", &raw); err != nil {
		return err
	}
	if raw == nil {
		raw = map[string]json.RawMessage{}
	}
	b, _ := json.Marshal(id) // a string always encodes
	raw[key] = b
	return s.Set("commonresources", raw)
}
