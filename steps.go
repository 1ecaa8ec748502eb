package integratorio

import (
	"encoding/json"
	"fmt"
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
	return invalidArgf("the integration has no install step named %q", name)
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

// Sections decodes settings.sections; nil when absent.
func (s *Settings) Sections() ([]Section, error) {
	var out []Section
	if _, err := s.Get("sections", &out); err != nil {
		return nil, err
	}
	return out, nil
}

// SetSections replaces settings.sections, keeping every other member. The
// members of each section that were decoded are written as received (see
// Section).
func (s *Settings) SetSections(sections []Section) error {
	if s == nil {
		return errNilSettings
	}
	b := []byte("null")
	if sections != nil {
		b = append(b[:0], '[')
		for i := range sections {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = sections[i].appendJSON(b); err != nil {
				return invalidArgf("section %d cannot be encoded as JSON: %v", i, err)
			}
		}
		b = append(b, ']')
	}
	return s.setRaw("sections", b)
}

// CommonResources returns the string members of
// settings.commonresources: the ids of the resources the connector shares
// (connections, exports, ...). Members that are not strings are left out
// of the map, and kept in the settings.
func (s *Settings) CommonResources() (map[string]string, error) {
	out := map[string]string{}
	raw, err := s.commonResources()
	if err != nil || raw == nil {
		return out, err
	}
	err = eachMember(raw, func(name string, m member) {
		if id, _, ok := decodeString(m.raw); ok {
			out[strings.Clone(name)] = id
		}
	})
	if err != nil {
		return nil, commonResourcesError(raw)
	}
	return out, nil
}

// commonResources returns settings.commonresources, or nil when absent or
// null.
func (s *Settings) commonResources() (json.RawMessage, error) {
	if s == nil {
		return nil, nil
	}
	raw, ok, err := s.member("commonresources")
	if err != nil || !ok || string(raw) == "null" {
		return nil, err
	}
	return raw, nil
}

func commonResourcesError(raw []byte) error {
	return fmt.Errorf(`integratorio: settings member "commonresources" is not a JSON object: %s`, describeJSON(raw))
}

// SetCommonResource sets one member of settings.commonresources to id,
// keeping every other member as received (and creating the object when
// absent).
func (s *Settings) SetCommonResource(key, id string) error {
	if key == "" {
		return invalidArgf("SetCommonResource: empty key")
	}
	raw, err := s.commonResources()
	if err != nil {
		return err
	}
	common, err := parseMembers(raw)
	if err != nil {
		return commonResourcesError(raw)
	}
	value := appendString(nil, id)
	found := false
	for i := range common {
		if common[i].is(key) {
			common[i].raw, found = value, true
		}
	}
	if !found {
		common = append(common, member{memberKey(key), value})
	}
	return s.setRaw("commonresources", appendMembers(nil, common))
}
