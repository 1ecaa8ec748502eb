package integratoriotest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LoadDir stores the documents of a fixture directory: one subfolder per
// resource, named as Resources names them (integrations/, connections/,
// exports/, imports/, scripts/, flows/, jobs/), each holding *.json files of one document or an array of documents of
// that resource. The *.json files directly in dir are integrations, as in
// the flat layout of earlier versions, which keeps working. Files are read
// in name order; other files, deeper folders and folders that name no
// resource are ignored. Documents are stored as AddJSON stores them, and
// either every document is stored or, on an error, none. It returns the
// ids stored in order: the integrations (dir's own files first), then the
// other resources in the order of Resources. dir must be a directory.
func (s *Server) LoadDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("integratoriotest: LoadDir: %w", err)
	}
	batches := make([]seedBatch, 0, len(s.table))
	for _, rs := range s.table {
		b := seedBatch{c: s.colls[rs.name]}
		if rs.name == "integrations" {
			if b.docs, err = readFixtures(dir, entries); err != nil {
				return nil, err
			}
		}
		sub := filepath.Join(dir, rs.name)
		if fi, err := os.Stat(sub); err == nil && fi.IsDir() {
			subEntries, err := os.ReadDir(sub)
			if err != nil {
				return nil, fmt.Errorf("integratoriotest: LoadDir: %w", err)
			}
			docs, err := readFixtures(sub, subEntries)
			if err != nil {
				return nil, err
			}
			b.docs = append(b.docs, docs...)
		}
		batches = append(batches, b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, err := s.seed(batches...)
	if err != nil {
		return nil, fmt.Errorf("integratoriotest: LoadDir %s: %w", dir, err)
	}
	return ids, nil
}

// readFixtures decodes the documents of the *.json files among the
// entries of dir, in order.
func readFixtures(dir string, entries []os.DirEntry) ([]map[string]any, error) {
	var docs []map[string]any
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		f := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("integratoriotest: LoadDir: %w", err)
		}
		d, err := decodeObjects(b)
		if err != nil {
			return nil, fmt.Errorf("integratoriotest: LoadDir: %s: %w", f, err)
		}
		docs = append(docs, d...)
	}
	return docs, nil
}
