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
	"strconv"
	"strings"
)

// manifestFile is the bundle's manifest, at the top of its folder.
const manifestFile = "bundle.json"

// formatName and formatVersion identify the file layout in the manifest.
const (
	formatName    = "integratorio-bundle"
	formatVersion = 1
)

// Bundle is one integration and everything it references, as files: each
// resource a JSON document whose references to other resources of the
// bundle are refs ("exports/orders") instead of ids. Make one with
// Snapshot or Read; store it with Write; deploy it with Plan and Apply.
//
// A Bundle is not changed by Plan or Apply, and may be planned against
// several targets; it is safe for concurrent reads.
type Bundle struct {
	integration string // the integration's ref
	res         map[string]*resource
	warnings    []Warning
}

// resource is one document of a bundle.
type resource struct {
	ref, typ, key string
	doc           map[string]any // symbolic references, secret markers; no script content
	content       *string        // a script's content, in its .js file
}

// Warning is something in the bundle that a deploy cannot make right by
// itself: an id-looking string outside a reference (in a URL, a setting,
// a script's code), which names a resource of the source account.
type Warning struct {
	// File is the file, relative to the bundle's folder, such as
	// "flows/orders-sync.json".
	File string
	// Path is the JSON Pointer of the member in File, or "line N" in a
	// script's .js file.
	Path string
	// Message says what was found and what to do.
	Message string
}

// String gives the warning on one line.
func (w Warning) String() string { return w.File + " " + w.Path + ": " + w.Message }

// manifest is the content of bundle.json.
type manifest struct {
	Format      string `json:"format"`
	Version     int    `json:"version"`
	Integration string `json:"integration"`
}

// Refs returns the refs of the bundle's resources, such as
// "flows/orders-sync", sorted.
func (b *Bundle) Refs() []string {
	if b == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(b.res))
}

// Integration returns the ref of the bundle's integration.
func (b *Bundle) Integration() string {
	if b == nil {
		return ""
	}
	return b.integration
}

// Document returns a resource's document as its file holds it, with
// references as refs, and whether the bundle has it. A script's content is
// not in it (it is in the .js file beside; see Content).
func (b *Bundle) Document(ref string) (json.RawMessage, bool) {
	if b == nil {
		return nil, false
	}
	r, ok := b.res[ref]
	if !ok {
		return nil, false
	}
	data, err := encodePretty(r.doc)
	if err != nil {
		return nil, false
	}
	return data, true
}

// Content returns the content of the script ref, and whether it has any.
func (b *Bundle) Content(ref string) (string, bool) {
	if b == nil {
		return "", false
	}
	r, ok := b.res[ref]
	if !ok || r.content == nil {
		return "", false
	}
	return *r.content, true
}

// Warnings returns what a deploy cannot make right by itself, in file
// order: every id-looking string that is not a reference. Review each
// before applying the bundle elsewhere.
func (b *Bundle) Warnings() []Warning {
	if b == nil {
		return nil
	}
	return slices.Clone(b.warnings)
}

// file returns the path of a resource's JSON file, relative to the
// bundle's folder.
func (r *resource) file() string { return r.typ + "/" + r.key + ".json" }

// scriptFile returns the path of a script's .js file.
func (r *resource) scriptFile() string { return r.typ + "/" + r.key + ".js" }

// Write stores the bundle in dir, creating it if needed: the manifest
// bundle.json, and one folder per resource type holding one JSON file per
// resource (and a script's content as a .js file beside it). Files of
// those folders that the bundle no longer has are removed; nothing else in
// dir is touched. The same bundle always gives the same bytes.
func (b *Bundle) Write(dir string) error {
	if b == nil || b.res == nil {
		return errors.New("bundle: Write: the bundle is empty; make one with Snapshot or Read")
	}
	files := map[string][]byte{}
	m, err := encodePretty(manifest{Format: formatName, Version: formatVersion, Integration: b.integration})
	if err != nil {
		return fmt.Errorf("bundle: Write: %w", err)
	}
	files[manifestFile] = m
	for _, r := range b.res {
		data, err := encodePretty(r.doc)
		if err != nil {
			return fmt.Errorf("bundle: Write %s: %w", r.ref, err)
		}
		files[r.file()] = data
		if r.content != nil {
			files[r.scriptFile()] = []byte(*r.content)
		}
	}
	for _, typ := range kindOrder {
		if err := os.MkdirAll(filepath.Join(dir, typ), 0o755); err != nil {
			return fmt.Errorf("bundle: Write: %w", err)
		}
		entries, err := os.ReadDir(filepath.Join(dir, typ))
		if err != nil {
			return fmt.Errorf("bundle: Write: %w", err)
		}
		for _, e := range entries {
			name := typ + "/" + e.Name()
			if e.Type().IsRegular() && (strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".js")) && files[name] == nil {
				if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
					return fmt.Errorf("bundle: Write: removing %s, which the bundle no longer has: %w", name, err)
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(name)), files[name]); err != nil {
			return fmt.Errorf("bundle: Write: %w", err)
		}
	}
	return nil
}

// writeFile replaces a file's content atomically: a reader (or a crash)
// sees the old content or the new, never a part.
func writeFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bundle-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// Read loads a bundle that Write stored in dir, with any edits made to its
// files since. Every problem found is reported at once: a file that is
// not a JSON object, a .js file without its script, a manifest naming no
// integration of the bundle. References are checked by Plan.
func Read(dir string) (*Bundle, error) {
	raw, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("bundle: Read %s: no %s: not a bundle folder (Write makes one)", dir, manifestFile)
		}
		return nil, fmt.Errorf("bundle: Read: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil || m.Format != formatName {
		return nil, fmt.Errorf("bundle: Read %s: %s is not a bundle manifest", dir, manifestFile)
	}
	if m.Version != formatVersion {
		return nil, fmt.Errorf("bundle: Read %s: the bundle's format version is %d; this package reads version %d", dir, m.Version, formatVersion)
	}
	b := &Bundle{integration: m.Integration, res: map[string]*resource{}}
	var problems []error
	for _, typ := range kindOrder {
		entries, err := os.ReadDir(filepath.Join(dir, typ))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("bundle: Read: %w", err)
		}
		names := map[string]bool{}
		for _, e := range entries {
			if e.Type().IsRegular() {
				names[e.Name()] = true
			}
		}
		for _, name := range slices.Sorted(maps.Keys(names)) {
			file := typ + "/" + name
			switch {
			case strings.HasSuffix(name, ".js"):
				if typ != typeScripts || !names[strings.TrimSuffix(name, ".js")+".json"] {
					problems = append(problems, fmt.Errorf("%s: a .js file belongs beside the .json file of its script", file))
				}
				continue
			case !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, "."):
				continue
			}
			key := strings.TrimSuffix(name, ".json")
			data, err := os.ReadFile(filepath.Join(dir, typ, name))
			if err != nil {
				return nil, fmt.Errorf("bundle: Read: %w", err)
			}
			doc, err := decodeObject(data)
			if err != nil {
				problems = append(problems, fmt.Errorf("%s: not a JSON object: %v", file, err))
				continue
			}
			r := &resource{ref: typ + "/" + key, typ: typ, key: key, doc: doc}
			if typ == typeScripts && names[key+".js"] {
				content, err := os.ReadFile(filepath.Join(dir, typ, key+".js"))
				if err != nil {
					return nil, fmt.Errorf("bundle: Read: %w", err)
				}
				s := string(content)
				r.content = &s
			}
			b.res[r.ref] = r
		}
	}
	if r := b.res[m.Integration]; r == nil || r.typ != typeIntegrations {
		problems = append(problems, fmt.Errorf("%s: the manifest's integration %q is not a file of the bundle", manifestFile, m.Integration))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("bundle: Read %s: %w", dir, errors.Join(problems...))
	}
	b.warnings = b.findWarnings()
	return b, nil
}

// findWarnings lists every id-looking string that is not a reference.
func (b *Bundle) findWarnings() []Warning {
	var out []Warning
	for _, ref := range b.Refs() {
		r := b.res[ref]
		walkStrings(r.doc, "", "", func(path, member, s string) {
			if refMember(member) && isSymbolic(s) {
				return
			}
			for _, id := range idsIn(s) {
				out = append(out, Warning{File: r.file(), Path: path, Message: "holds " + id + ", which looks like an id of the source account; " +
					"the target does not have it: make it a reference (a member named _<type>Id) or change it by hand"})
			}
		})
		walkKeys(r.doc, "", func(path, key string) {
			for _, id := range idsIn(key) {
				out = append(out, Warning{File: r.file(), Path: path, Message: "is a member named by " + id + ", which looks like an id of the source account; " +
					"the target does not have it: change it by hand"})
			}
		})
		if r.content != nil {
			for i, line := range strings.Split(*r.content, "\n") {
				for _, id := range idsIn(line) {
					out = append(out, Warning{File: r.scriptFile(), Path: "line " + strconv.Itoa(i+1), Message: "holds " + id +
						", which looks like an id of the source account; the target does not have it: change it by hand"})
				}
			}
		}
	}
	return out
}

// isSymbolic reports whether s, in a reference member, is a ref or a
// grouping reference.
func isSymbolic(s string) bool {
	if strings.HasPrefix(s, groupingPrefix) {
		return true
	}
	_, _, ok := parseRef(s)
	return ok
}

// slug makes a file key of a name: lower-case letters and digits, the rest
// a single "-"; at most 60 bytes; fallback when nothing is left.
func slug(name, fallback string) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			if dash && sb.Len() > 0 {
				sb.WriteByte('-')
			}
			dash = false
			sb.WriteRune(r)
			if sb.Len() >= 60 {
				break
			}
			continue
		}
		dash = true
	}
	if sb.Len() == 0 {
		return fallback
	}
	return sb.String()
}
