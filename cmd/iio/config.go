package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// profile is one saved set of credentials.
type profile struct {
	Token   string `json:"token"`
	Region  string `json:"region,omitempty"`
	BaseURL string `json:"baseUrl,omitempty"`
}

// config is the file at configPath.
type config struct {
	Current  string              `json:"current,omitempty"`
	Profiles map[string]*profile `json:"profiles,omitempty"`
}

// configPath is $IIO_CONFIG_DIR/config.json, else
// os.UserConfigDir()/iio/config.json.
func configPath(getenv func(string) string) (string, error) {
	if d := getenv("IIO_CONFIG_DIR"); d != "" {
		return filepath.Join(d, "config.json"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", failf("no configuration directory: %v; set IIO_CONFIG_DIR", err)
	}
	return filepath.Join(d, "iio", "config.json"), nil
}

// loadConfig reads the config; a missing file is an empty config.
func loadConfig(path string) (*config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &config{Profiles: map[string]*profile{}}, nil
	}
	if err != nil {
		return nil, failf("reading the configuration: %v", err)
	}
	var c config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, failf("the configuration %s is not valid JSON (%v): fix or remove it", path, err)
	}
	if c.Profiles == nil {
		c.Profiles = map[string]*profile{}
	}
	return &c, nil
}

// save writes the config atomically (a temporary file renamed over it),
// with mode 0600 in a directory of mode 0700.
func (c *config) save(path string) (err error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return failf("creating %s: %v", dir, err)
	}
	f, err := os.CreateTemp(dir, ".config-*.json")
	if err != nil {
		return failf("writing the configuration: %v", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return failf("writing the configuration: %v", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return failf("writing the configuration: %v", err)
	}
	if err := f.Sync(); err != nil {
		return failf("writing the configuration: %v", err)
	}
	if err := f.Close(); err != nil {
		return failf("writing the configuration: %v", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return failf("writing the configuration: %v", err)
	}
	return nil
}

// names returns the profile names, sorted.
func (c *config) names() []string {
	out := make([]string, 0, len(c.Profiles))
	for n := range c.Profiles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// lookup returns the named profile or a usage error listing the others.
func (c *config) lookup(name string) (*profile, error) {
	p, ok := c.Profiles[name]
	if !ok {
		return nil, usagef("no profile %q: add it with iio profile add %s, or see iio profile list", name, name)
	}
	return p, nil
}

// validProfileName keeps names printable and short.
func validProfileName(name string) error {
	if name == "" || len(name) > 64 {
		return usagef("a profile name is 1 to 64 characters")
	}
	for _, r := range name {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return usagef("profile name %q: use letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}

func (p *profile) endpoint() string {
	if p.BaseURL != "" {
		return p.BaseURL
	}
	if p.Region != "" {
		return fmt.Sprintf("region %s", p.Region)
	}
	return "region na"
}
