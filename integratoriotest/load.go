package integratoriotest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Folders of a fixture directory that seed behaviour rather than
// documents; see LoadFixtures.
const (
	// FlowErrorsDir holds FlowErrorsDir/{flowID}/{stepID}.json: the open
	// errors of a step of a flow, as AddFlowErrors takes them (an array of
	// error objects, or one object).
	FlowErrorsDir = "flowErrors"
	// RunScriptsDir holds RunScriptsDir/{flowID}.json: how the flow's runs
	// go, a RunScript as ScriptRuns takes it ({"status","numSuccess",
	// "numError","numIgnore","stall"}).
	RunScriptsDir = "runScripts"
	// PingAnswersDir holds PingAnswersDir/{connectionID}.json: how the
	// connection's pings answer, a PingAnswer as SetPingAnswer takes it
	// ({"status","code","errors"}).
	PingAnswersDir = "pingAnswers"
	// InvokeAnswersDir holds InvokeAnswersDir/{exportID}.json: the body
	// invoking the export answers, any JSON value, as SetInvokeAnswer
	// takes it.
	InvokeAnswersDir = "invokeAnswers"
)

// Loaded is what LoadFixtures stored from a fixture directory.
type Loaded struct {
	// IDs are the ids of the documents stored, as LoadDir returns them.
	IDs []string
	// FlowErrors is how many flow errors were stored, in how many steps.
	FlowErrors, FlowErrorSteps int
	// RunScripts, PingAnswers and InvokeAnswers are how many flows,
	// connections and exports got one.
	RunScripts, PingAnswers, InvokeAnswers int
	// Ignored are the folders that were not read, relative to the
	// directory (with / separators), in name order: a folder naming no
	// resource and none of the behaviour folders, or one deeper than the
	// layout goes. They are usually mistakes worth a warning.
	Ignored []string
}

// LoadDir stores the documents of a fixture directory, and the behaviour
// it seeds, as LoadFixtures does, and returns the ids of the documents.
func (s *Server) LoadDir(dir string) ([]string, error) {
	l, err := s.LoadFixtures(dir)
	if err != nil {
		return nil, err
	}
	return l.IDs, nil
}

// LoadFixtures stores the documents of a fixture directory: one subfolder
// per resource, named as Resources names them (integrations/,
// connections/, exports/, imports/, scripts/, flows/, jobs/), each holding
// *.json files of one document or an array of documents of that resource.
// The *.json files directly in dir are integrations, as in the flat layout
// of earlier versions, which keeps working. Documents are stored as AddJSON
// stores them. It also seeds what a test would seed with the Server's
// methods, from these folders (each file's name, less .json, is the id):
//
//	flowErrors/{flowID}/{stepID}.json   open errors of a step (AddFlowErrors): an array of error objects, or one
//	runScripts/{flowID}.json            how the flow's runs go (ScriptRuns): a RunScript
//	pingAnswers/{connectionID}.json     how the connection's pings answer (SetPingAnswer): a PingAnswer
//	invokeAnswers/{exportID}.json       what invoking the export answers (SetInvokeAnswer): any JSON value
//
// The flow of flow errors must be stored already or be among the flows
// loaded, with its _id. Files are read in name order; files other than
// *.json are skipped; folders that fit none of this are not read, and
// listed in Loaded.Ignored. Either everything is stored or, on an error,
// nothing. dir must be a directory.
func (s *Server) LoadFixtures(dir string) (*Loaded, error) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return nil, fmt.Errorf("integratoriotest: LoadDir: %w", err)
	}
	l := &Loaded{}
	batches := make([]seedBatch, 0, len(s.table))
	known := []string{FlowErrorsDir, RunScriptsDir, PingAnswersDir, InvokeAnswersDir}
	for _, rs := range s.table {
		known = append(known, rs.name)
		b := seedBatch{c: s.colls[rs.name]}
		if rs.name == "integrations" {
			if b.docs, err = readFixtures(dir, entries); err != nil {
				return nil, err
			}
		}
		sub := filepath.Join(dir, rs.name)
		if fi, err := os.Stat(sub); err == nil && fi.IsDir() {
			files, err := readDirFiles(sub, rs.name, l)
			if err != nil {
				return nil, err
			}
			docs, err := readFixtures(sub, files)
			if err != nil {
				return nil, err
			}
			b.docs = append(b.docs, docs...)
		}
		batches = append(batches, b)
	}
	for _, e := range entries {
		if e.IsDir() && !slices.Contains(known, e.Name()) {
			l.Ignored = append(l.Ignored, e.Name())
		}
	}
	seeds, err := readBehaviour(dir, l)
	if err != nil {
		return nil, err
	}
	slices.Sort(l.Ignored)

	s.mu.Lock()
	// The flows that errors go to exist, or are loaded with their _id.
	loadedFlows := map[string]bool{}
	for _, b := range batches {
		if b.c.name == "flows" {
			for _, d := range b.docs {
				if id, ok := d["_id"].(string); ok {
					loadedFlows[id] = true
				}
			}
		}
	}
	var errs []preparedErrors
	for _, fe := range seeds.flowErrors {
		if _, ok := s.colls["flows"].get(fe.k.flow); !ok && !loadedFlows[fe.k.flow] {
			s.mu.Unlock()
			return nil, fmt.Errorf("integratoriotest: LoadDir: %s: no flow %s, stored or loaded with its _id", fe.file, fe.k.flow)
		}
		added, err := s.prepareFlowErrors(fe.k, fe.errs)
		if err != nil {
			s.mu.Unlock()
			return nil, fmt.Errorf("integratoriotest: LoadDir: %s: %w", fe.file, err)
		}
		errs = append(errs, preparedErrors{fe.k, added})
	}
	ids, err := s.seed(batches...)
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("integratoriotest: LoadDir %s: %w", dir, err)
	}
	for _, pe := range errs {
		s.commitFlowErrors(pe.k, pe.added)
		l.FlowErrors += len(pe.added)
		l.FlowErrorSteps++
	}
	s.mu.Unlock()
	l.IDs = ids
	for _, rs := range seeds.runScripts {
		s.ScriptRuns(rs.id, rs.v)
	}
	for _, pa := range seeds.pings {
		s.SetPingAnswer(pa.id, pa.v)
	}
	for _, ia := range seeds.invokes {
		s.SetInvokeAnswer(ia.id, ia.v)
	}
	l.RunScripts, l.PingAnswers, l.InvokeAnswers = len(seeds.runScripts), len(seeds.pings), len(seeds.invokes)
	return l, nil
}

// preparedErrors are flow errors ready to store in a step.
type preparedErrors struct {
	k     stepKey
	added []*flowError
}

// byID is a value read from the file of an id.
type byID[V any] struct {
	id string
	v  V
}

// behaviour is what the behaviour folders of a fixture directory seed,
// read and checked.
type behaviour struct {
	flowErrors []stepErrorsFile
	runScripts []byID[RunScript]
	pings      []byID[PingAnswer]
	invokes    []byID[[]byte]
}

// stepErrorsFile is the file of the errors of one step, read.
type stepErrorsFile struct {
	k    stepKey
	file string
	errs [][]byte
}

// readBehaviour reads and checks the behaviour folders of dir, storing
// nothing.
func readBehaviour(dir string, l *Loaded) (*behaviour, error) {
	var b behaviour
	var err error
	if b.runScripts, err = readByID(dir, RunScriptsDir, l, decodeRunScript); err != nil {
		return nil, err
	}
	if b.pings, err = readByID(dir, PingAnswersDir, l, decodePingAnswer); err != nil {
		return nil, err
	}
	if b.invokes, err = readByID(dir, InvokeAnswersDir, l, func(data []byte) ([]byte, error) {
		if len(strings.TrimSpace(string(data))) == 0 {
			return nil, fmt.Errorf("the file is empty; write the answer, any JSON value")
		}
		return decodeInvokeAnswer(data)
	}); err != nil {
		return nil, err
	}
	root := filepath.Join(dir, FlowErrorsDir)
	flows, err := os.ReadDir(root)
	if err != nil {
		if os.IsNotExist(err) {
			return &b, nil
		}
		return nil, fmt.Errorf("integratoriotest: LoadDir: %w", err)
	}
	for _, f := range flows {
		if !f.IsDir() {
			continue
		}
		steps, err := readDirFiles(filepath.Join(root, f.Name()), FlowErrorsDir+"/"+f.Name(), l)
		if err != nil {
			return nil, err
		}
		for _, st := range steps {
			id, ok := strings.CutSuffix(st.Name(), ".json")
			if !ok || id == "" {
				continue
			}
			file := filepath.Join(root, f.Name(), st.Name())
			errs, err := readJSONFile(file, func(b []byte) ([][]byte, error) { return decodeFlowErrors(b, true) })
			if err != nil {
				return nil, err
			}
			b.flowErrors = append(b.flowErrors, stepErrorsFile{stepKey{f.Name(), id}, file, errs})
		}
	}
	return &b, nil
}

// readByID reads the files {id}.json of dir/name with decode.
func readByID[V any](dir, name string, l *Loaded, decode func([]byte) (V, error)) ([]byID[V], error) {
	sub := filepath.Join(dir, name)
	if fi, err := os.Stat(sub); err != nil || !fi.IsDir() {
		return nil, nil
	}
	files, err := readDirFiles(sub, name, l)
	if err != nil {
		return nil, err
	}
	var out []byID[V]
	for _, e := range files {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || id == "" {
			continue
		}
		v, err := readJSONFile(filepath.Join(sub, e.Name()), decode)
		if err != nil {
			return nil, err
		}
		out = append(out, byID[V]{id, v})
	}
	return out, nil
}

// readJSONFile reads file and decodes it with decode; errors name the
// file.
func readJSONFile[V any](file string, decode func([]byte) (V, error)) (V, error) {
	var zero V
	data, err := os.ReadFile(file)
	if err != nil {
		return zero, fmt.Errorf("integratoriotest: LoadDir: %w", err)
	}
	v, err := decode(data)
	if err != nil {
		return zero, fmt.Errorf("integratoriotest: LoadDir: %s: %w", file, err)
	}
	return v, nil
}

// readDirFiles returns the files of dir, in name order; its folders, which
// the layout does not go into, are added to l.Ignored as rel/name.
func readDirFiles(dir, rel string, l *Loaded) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("integratoriotest: LoadDir: %w", err)
	}
	var files []os.DirEntry
	for _, e := range entries {
		if e.IsDir() {
			l.Ignored = append(l.Ignored, rel+"/"+e.Name())
			continue
		}
		files = append(files, e)
	}
	return files, nil
}

// readFixtures decodes the documents of the *.json files among the
// entries of dir, in order.
func readFixtures(dir string, entries []os.DirEntry) ([]map[string]any, error) {
	var docs []map[string]any
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		d, err := readJSONFile(filepath.Join(dir, e.Name()), decodeObjects)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return docs, nil
}
