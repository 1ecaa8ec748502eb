package integratoriotest

import (
	"archive/zip"
	"bytes"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
)

// Template zips and signed URLs. The server serves files at signed URLs
// on its own host, under signedPrefix, as a file store does: the URL's
// signature (X-Amz-Signature) authorizes the request, and a request that
// also carries an Authorization header is refused (400 InvalidArgument,
// as S3 answers it), so a client that leaks its bearer token there fails.
//
//	GET  /v1/integrations/{id}/template, /v1/flows/{id}/template
//	     200 {"signedURL"}: a zip of the documents (see zipOf)
//	GET  /v1/s3SignedURL?file_type=application/zip
//	     200 {"signedURL", "runKey"}: an upload slot; PUT the zip there
//	GET  /v1/integrations/template/preview?runKey=
//	     200 {"objects":[{"model","doc"}]}: what the zip holds; nothing is created
//	POST /v1/integrations/template {"runKey", "connectionMap"}
//	     201 [{"model","_id","name"}]: installs the zip as new documents

// signedPrefix is the path under which signed URLs are served, outside
// the API root.
const signedPrefix = "/_signed/"

// signedFile is what a signed URL serves: a zip to download, or an
// upload slot.
type signedFile struct {
	sig      string
	data     []byte
	upload   bool // an upload slot: PUT stores data
	uploaded bool
}

func isSignedPath(p string) bool { return strings.HasPrefix(p, signedPrefix) }

// templateRoutes registers the template endpoints.
func (s *Server) templateRoutes() {
	for _, name := range []string{"integrations", "flows"} {
		if c, ok := s.colls[name]; ok {
			s.handle(http.MethodGet, "/"+name+"/{id}/template", s.template(c))
		}
	}
	s.handle(http.MethodGet, "/s3SignedURL", orError(func(w http.ResponseWriter, r *http.Request) error {
		if ft := r.URL.Query().Get("file_type"); ft != "application/zip" {
			return badRequest("invalid_query_params", "file_type", "file_type must be application/zip, not %q", ft)
		}
		s.mu.Lock()
		key, sig := s.newSignedFile(&signedFile{upload: true})
		runKey := randomHex(12)
		if s.side.uploads == nil {
			s.side.uploads = map[string]string{}
		}
		s.side.uploads[runKey] = key
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"signedURL": signedURL(r, key, sig), "runKey": runKey})
		return nil
	}))
	s.handle(http.MethodGet, "/integrations/template/preview", orError(func(w http.ResponseWriter, r *http.Request) error {
		s.mu.Lock()
		docs, err := s.uploadedZip(r.URL.Query().Get("runKey"))
		s.mu.Unlock()
		if err != nil {
			return err
		}
		objects := []map[string]any{}
		for _, d := range docs {
			objects = append(objects, map[string]any{"model": d.coll.model, "doc": d.doc})
		}
		writeJSON(w, http.StatusOK, map[string]any{"objects": objects})
		return nil
	}))
	s.handle(http.MethodPost, "/integrations/template", orError(s.installTemplate))
	s.revisionRoutes()
}

// newSignedFile stores f under a new key with a new signature. The caller
// holds s.mu.
func (s *Server) newSignedFile(f *signedFile) (key, sig string) {
	key, f.sig = randomHex(12), randomHex(16)
	if s.side.files == nil {
		s.side.files = map[string]*signedFile{}
	}
	s.side.files[key] = f
	return key, f.sig
}

// signedURL is the URL of the file key on the host r was sent to, over
// https when r came over TLS.
func signedURL(r *http.Request, key, sig string) string {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	return scheme + r.Host + signedPrefix + key + "?X-Amz-Expires=900&X-Amz-Signature=" + sig
}

// template serves GET /<name>/{id}/template: a zip of the document and
// what it holds (see zipOf), at a new signed URL.
func (s *Server) template(c *collection) http.HandlerFunc {
	return orError(func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		s.mu.Lock()
		defer s.mu.Unlock()
		b, ok := c.get(id)
		if !ok {
			return notFound(c.model, id)
		}
		set := docSet{}
		if c == s.integrations {
			set = s.integrationSet(id)
		} else {
			set.add(c, id)
			s.addSteps(set, b)
		}
		data, err := s.zipOf(set)
		if err != nil {
			return err
		}
		key, sig := s.newSignedFile(&signedFile{data: data})
		writeJSON(w, http.StatusOK, map[string]string{"signedURL": signedURL(r, key, sig)})
		return nil
	})
}

// zipOf writes the documents of set into a zip, one file
// <collection>/<id>.json each, in the table's order, as the API answers
// them (secrets masked). The caller holds s.mu.
func (s *Server) zipOf(set docSet) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range s.table {
		rs := &s.table[i]
		docs := set[rs.name]
		for _, id := range s.colls[rs.name].order {
			b, ok := docs[id]
			if !ok {
				continue
			}
			out, err := rs.answer(b, false)
			if err != nil {
				return nil, err
			}
			f, err := zw.Create(rs.name + "/" + id + ".json")
			if err != nil {
				return nil, err
			}
			if _, err := f.Write(out); err != nil {
				return nil, err
			}
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// serveSigned serves a signed URL: GET answers the file, PUT stores an
// upload. The signature must match, and no Authorization header may come
// with it.
func (s *Server) serveSigned(w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Header.Get("Authorization") != "" {
		writeS3Error(w, http.StatusBadRequest, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
		return
	}
	key := strings.TrimPrefix(r.URL.Path, signedPrefix)
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.side.files[key]
	switch {
	case !ok:
		writeS3Error(w, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	case subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("X-Amz-Signature")), []byte(f.sig)) != 1:
		writeS3Error(w, http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	case r.Method == http.MethodPut && f.upload:
		f.data, f.uploaded = slices.Clone(body), true
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodGet && (!f.upload || f.uploaded):
		w.Header().Set("Content-Type", "application/zip")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(f.data)
	default:
		writeS3Error(w, http.StatusForbidden, "AccessDenied", "Access Denied")
	}
}

// writeS3Error answers as a file store does: XML.
func writeS3Error(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}

// zipDoc is one document of an uploaded zip.
type zipDoc struct {
	coll *collection
	id   string
	doc  map[string]any
}

// uploadedZip returns the documents of the zip uploaded under runKey, in
// the table's order. The caller holds s.mu.
func (s *Server) uploadedZip(runKey string) ([]zipDoc, error) {
	f := s.side.files[s.side.uploads[runKey]]
	if runKey == "" || f == nil {
		return nil, badRequest("invalid_runKey", "runKey", "runKey %q names no upload", runKey)
	}
	if !f.uploaded {
		return nil, badRequest("invalid_runKey", "runKey", "nothing was uploaded under runKey %q", runKey)
	}
	zr, err := zip.NewReader(bytes.NewReader(f.data), int64(len(f.data)))
	if err != nil {
		return nil, badRequest("invalid_zip", "", "the upload is not a zip: %v", err)
	}
	var out []zipDoc
	for _, zf := range zr.File {
		dir, file := path.Split(zf.Name)
		c := s.colls[strings.TrimSuffix(dir, "/")]
		if c == nil || !slices.Contains(templateKinds, c.name) || !strings.HasSuffix(file, ".json") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, badRequest("invalid_zip", "", "%s: %v", zf.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxBody))
		rc.Close()
		var doc map[string]any
		if err != nil || decodeJSON(b, &doc) != nil || doc == nil {
			return nil, badRequest("invalid_zip", "", "%s is not a JSON object", zf.Name)
		}
		id, _ := doc["_id"].(string)
		if id == "" {
			id = strings.TrimSuffix(file, ".json")
		}
		out = append(out, zipDoc{coll: c, id: id, doc: doc})
	}
	order := map[string]int{}
	for i, rs := range s.table {
		order[rs.name] = i
	}
	slices.SortStableFunc(out, func(a, b zipDoc) int { return order[a.coll.name] - order[b.coll.name] })
	if len(out) == 0 {
		return nil, badRequest("invalid_zip", "", "the zip holds no documents")
	}
	return out, nil
}

// installTemplate serves POST /integrations/template: every document of
// the uploaded zip but its connections is created under a new id, with
// each id of the zip, wherever it appears, replaced by the new one; the
// zip's connections are not created but mapped, by connectionMap, to
// connections of this account: each connection the zip holds or its
// exports and imports use must be mapped (else 400
// invalid_connectionMap) to a stored connection (else 400 invalid_ref).
// Flows are created disabled. The runKey is used up. Answers 201 with
// the created documents, [{"model","_id","name"}], the integration
// first.
func (s *Server) installTemplate(w http.ResponseWriter, r *http.Request) error {
	body, err := requestObject(r, false)
	if err != nil {
		return err
	}
	runKey, _ := body["runKey"].(string)
	opts, err := parseCloneBody(map[string]any{"connectionMap": body["connectionMap"]})
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	docs, err := s.uploadedZip(runKey)
	if err != nil {
		return err
	}
	conns := s.colls["connections"]
	ids := map[string]string{} // the zip's ids → this account's
	var missing []string
	need := func(cid string) {
		to, ok := opts.connectionMap[cid]
		if !ok {
			if !slices.Contains(missing, cid) {
				missing = append(missing, cid)
			}
			return
		}
		ids[cid] = to
	}
	for _, d := range docs {
		if d.coll == conns {
			need(d.id)
		} else if cid, _ := d.doc["_connectionId"].(string); cid != "" && (d.coll.name == "exports" || d.coll.name == "imports") {
			need(cid)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return badRequest("invalid_connectionMap", "connectionMap", "connectionMap does not map the template's connection(s) %s", strings.Join(missing, ", "))
	}
	for _, to := range ids {
		if _, ok := conns.get(to); !ok {
			return badRequest("invalid_ref", "connectionMap", "connectionMap maps to %s, which names no connection", to)
		}
	}
	t := s.tick()
	for _, d := range docs {
		if d.coll != conns {
			ids[d.id] = s.freshID(d.coll, t, nil)
		}
	}
	created := []map[string]any{}
	for _, d := range docs {
		if d.coll == conns {
			continue
		}
		doc := replaceIDs(d.doc, ids).(map[string]any)
		for _, k := range readOnlyMembers {
			delete(doc, k)
		}
		if d.coll.name == "flows" {
			doc["disabled"] = true
		}
		if _, err := s.insertAs(d.coll, ids[d.id], s.tick(), doc); err != nil {
			return err
		}
		created = append(created, map[string]any{"model": d.coll.model, "_id": ids[d.id], "name": doc["name"]})
	}
	delete(s.side.files, s.side.uploads[runKey])
	delete(s.side.uploads, runKey)
	writeJSON(w, http.StatusCreated, created)
	return nil
}

// replaceIDs returns v with every string that ids maps replaced.
func replaceIDs(v any, ids map[string]string) any {
	switch x := v.(type) {
	case string:
		if to, ok := ids[x]; ok {
			return to
		}
	case map[string]any:
		for k, e := range x {
			x[k] = replaceIDs(e, ids)
		}
	case []any:
		for i, e := range x {
			x[i] = replaceIDs(e, ids)
		}
	}
	return v
}
