package main

// The service interfaces. A service is declared by hand as an unexported
// interface whose name ends in "Service" (flowsService), which may embed
// other interfaces of the package (Documents[Flow], Lister[Flow,
// ResourceListOptions], StateStore). From it this file writes the
// exported interface (FlowsService) into services_gen.go with every
// method spelled out, type parameters replaced by the embedding's type
// arguments, and the doc comment of the method's declaration, so that
// go doc and pkg.go.dev show each method of each service. A method the
// service declares itself as well as through an embedded interface keeps
// the service's declaration (its signature must be the embedded one's;
// Go refuses a different one) and its doc comment, in the place of the
// embedded one. The exported interface takes the unexported one's doc
// comment, which is therefore written for the exported name.

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/scanner"
	"go/token"
	"slices"
	"strings"
	"unicode"
)

const servicesName = "services_gen.go"

// ifaceDecl is an interface type of the package.
type ifaceDecl struct {
	spec *ast.TypeSpec
	doc  *ast.CommentGroup
}

// svcMethod is one method of a generated service interface.
type svcMethod struct {
	name string
	doc  []string // the comment lines, markers included
	sig  string   // "(ctx context.Context, id string) (*Flow, error)"
	from string   // the interface that declares it, for messages
}

// service is one generated interface.
type service struct {
	Name, Hidden string
	Doc          []string
	Methods      []svcMethod
}

// serviceGen collects the package's interfaces and the paths of the
// packages its files import, by name.
type serviceGen struct {
	fset    *token.FileSet
	ifaces  map[string]ifaceDecl
	imports map[string]string // package name: import path
}

// generateServices returns services_gen.go for the files of the package.
func generateServices(fset *token.FileSet, files []*ast.File) ([]byte, error) {
	g := &serviceGen{fset: fset, ifaces: map[string]ifaceDecl{}, imports: map[string]string{}}
	for _, f := range files {
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			name := path[strings.LastIndex(path, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			g.imports[name] = path
		}
	}
	eachTypeSpec(files, func(gd *ast.GenDecl, ts *ast.TypeSpec) {
		if _, ok := ts.Type.(*ast.InterfaceType); !ok {
			return
		}
		doc := ts.Doc
		if doc == nil && len(gd.Specs) == 1 {
			doc = gd.Doc
		}
		g.ifaces[ts.Name.Name] = ifaceDecl{spec: ts, doc: doc}
	})
	var names []string
	for n := range g.ifaces {
		if strings.HasSuffix(n, "Service") && len(n) > len("Service") && unicode.IsLower(rune(n[0])) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var services []service
	for _, hidden := range names {
		d := g.ifaces[hidden]
		exported := strings.ToUpper(hidden[:1]) + hidden[1:]
		if other, ok := g.ifaces[exported]; ok {
			return nil, fmt.Errorf("%s: %s is declared by hand; declare only %s and let the generator write %s", g.fset.Position(other.spec.Pos()), exported, hidden, exported)
		}
		if d.spec.TypeParams != nil {
			return nil, fmt.Errorf("%s: a service interface cannot have type parameters", g.fset.Position(d.spec.Pos()))
		}
		if d.doc == nil {
			return nil, fmt.Errorf("%s: %s has no doc comment (write it for %s)", g.fset.Position(d.spec.Pos()), hidden, exported)
		}
		methods, err := g.methods(hidden, nil, true, nil)
		if err != nil {
			return nil, err
		}
		for _, m := range methods {
			if len(m.doc) == 0 {
				return nil, fmt.Errorf("method %s of %s (declared in %s) has no doc comment", m.name, hidden, m.from)
			}
		}
		services = append(services, service{Name: exported, Hidden: hidden, Doc: commentLines(d.doc), Methods: methods})
	}
	return g.render(services)
}

// methods lists the methods of the interface name, with its type
// parameters bound to args, in declaration order, embedded interfaces
// expanded in place.
func (g *serviceGen) methods(name string, args []string, top bool, seen []string) ([]svcMethod, error) {
	if slices.Contains(seen, name) {
		return nil, fmt.Errorf("interface %s embeds itself", name)
	}
	seen = append(seen, name)
	d, ok := g.ifaces[name]
	if !ok {
		return nil, fmt.Errorf("%s embeds %s, which is not an interface declared in the package", seen[0], name)
	}
	subst := map[string]string{}
	var params []string
	if tp := d.spec.TypeParams; tp != nil {
		for _, f := range tp.List {
			for _, n := range f.Names {
				params = append(params, n.Name)
			}
		}
	}
	if len(params) != len(args) {
		return nil, fmt.Errorf("%s: %s has %d type parameters, given %d", g.fset.Position(d.spec.Pos()), name, len(params), len(args))
	}
	for i, p := range params {
		subst[p] = args[i]
	}
	// First the service's own declarations, which take the place of an
	// embedded method of the same name.
	fields := d.spec.Type.(*ast.InterfaceType).Methods.List
	own := map[string]svcMethod{}
	if top {
		for _, f := range fields {
			if len(f.Names) == 0 {
				continue
			}
			ms, err := g.declared(f, subst, name)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				own[m.name] = m
			}
		}
	}
	var out []svcMethod
	add := func(m svcMethod) {
		if o, ok := own[m.name]; ok {
			m = o
		}
		if !slices.ContainsFunc(out, func(o svcMethod) bool { return o.name == m.name }) {
			out = append(out, m)
		}
	}
	for _, f := range fields {
		if len(f.Names) > 0 {
			ms, err := g.declared(f, subst, name)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				add(m)
			}
			continue
		}
		emb, embArgs, err := g.embedded(f.Type, subst)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", g.fset.Position(f.Pos()), err)
		}
		ms, err := g.methods(emb, embArgs, false, seen)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			add(m)
		}
	}
	return out, nil
}

// declared returns the exported methods a field of an interface declares.
func (g *serviceGen) declared(f *ast.Field, subst map[string]string, iface string) ([]svcMethod, error) {
	ft, ok := f.Type.(*ast.FuncType)
	if !ok {
		return nil, fmt.Errorf("%s: not a method", g.fset.Position(f.Pos()))
	}
	sig, err := g.signature(ft, subst)
	if err != nil {
		return nil, err
	}
	var out []svcMethod
	for _, n := range f.Names {
		if ast.IsExported(n.Name) {
			out = append(out, svcMethod{name: n.Name, doc: commentLines(f.Doc), sig: sig, from: iface})
		}
	}
	return out, nil
}

// embedded resolves an embedded interface: its name and type arguments.
func (g *serviceGen) embedded(e ast.Expr, subst map[string]string) (string, []string, error) {
	var x ast.Expr
	var idx []ast.Expr
	switch e := e.(type) {
	case *ast.Ident:
		x = e
	case *ast.IndexExpr:
		x, idx = e.X, []ast.Expr{e.Index}
	case *ast.IndexListExpr:
		x, idx = e.X, e.Indices
	default:
		return "", nil, fmt.Errorf("embedded %s: only interfaces of the package can be embedded in a service", g.expr(e))
	}
	id, ok := x.(*ast.Ident)
	if !ok {
		return "", nil, fmt.Errorf("embedded %s: only interfaces of the package can be embedded in a service", g.expr(e))
	}
	var args []string
	for _, a := range idx {
		s, err := g.typeString(a, subst)
		if err != nil {
			return "", nil, err
		}
		args = append(args, s)
	}
	return id.Name, args, nil
}

// signature writes a method's parameters and results, type parameters
// replaced.
func (g *serviceGen) signature(ft *ast.FuncType, subst map[string]string) (string, error) {
	list := func(fl *ast.FieldList) (string, error) {
		if fl == nil {
			return "", nil
		}
		var parts []string
		for _, f := range fl.List {
			t, err := g.typeString(f.Type, subst)
			if err != nil {
				return "", err
			}
			var names []string
			for _, n := range f.Names {
				names = append(names, n.Name)
			}
			if len(names) > 0 {
				t = strings.Join(names, ", ") + " " + t
			}
			parts = append(parts, t)
		}
		return strings.Join(parts, ", "), nil
	}
	params, err := list(ft.Params)
	if err != nil {
		return "", err
	}
	results, err := list(ft.Results)
	if err != nil {
		return "", err
	}
	sig := "(" + params + ")"
	switch {
	case ft.Results == nil || len(ft.Results.List) == 0:
	case len(ft.Results.List) == 1 && len(ft.Results.List[0].Names) == 0:
		sig += " " + results
	default:
		sig += " (" + results + ")"
	}
	return sig, nil
}

// typeString prints a type, every identifier that names a type parameter
// (and is not a selector's field) replaced by its argument.
func (g *serviceGen) typeString(e ast.Expr, subst map[string]string) (string, error) {
	src := g.expr(e)
	if len(subst) == 0 {
		return src, nil
	}
	var s scanner.Scanner
	fs := token.NewFileSet()
	file := fs.AddFile("", fs.Base(), len(src))
	var serr error
	s.Init(file, []byte(src), func(_ token.Position, msg string) { serr = fmt.Errorf("scanning %q: %s", src, msg) }, 0)
	var b strings.Builder
	last, prev := 0, token.ILLEGAL
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		off := file.Offset(pos)
		if tok == token.IDENT && prev != token.PERIOD {
			if r, ok := subst[lit]; ok {
				b.WriteString(src[last:off])
				b.WriteString(r)
				last = off + len(lit)
			}
		}
		prev = tok
	}
	b.WriteString(src[last:])
	return b.String(), serr
}

func (g *serviceGen) expr(e ast.Expr) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, g.fset, e)
	return b.String()
}

// commentLines returns a comment group's lines as written, markers
// included; directives (//go:…) are left out.
func commentLines(cg *ast.CommentGroup) []string {
	if cg == nil {
		return nil
	}
	var out []string
	for _, c := range cg.List {
		if strings.HasPrefix(c.Text, "//go:") || strings.HasPrefix(c.Text, "//lint:") {
			continue
		}
		out = append(out, strings.Split(c.Text, "\n")...)
	}
	return out
}

// render writes services_gen.go: each service, and assignments that make
// the compiler prove each has the method set of its declaration.
func (g *serviceGen) render(services []service) ([]byte, error) {
	var body bytes.Buffer
	for _, s := range services {
		body.WriteString("\n")
		for _, l := range s.Doc {
			body.WriteString(l + "\n")
		}
		fmt.Fprintf(&body, "type %s interface {\n", s.Name)
		for _, m := range s.Methods {
			for _, l := range m.doc {
				body.WriteString("\t" + l + "\n")
			}
			fmt.Fprintf(&body, "\t%s%s\n", m.name, m.sig)
		}
		body.WriteString("}\n")
	}
	if len(services) > 0 {
		body.WriteString("\n// Each generated interface has the method set of its declaration.\nvar (\n")
		for _, s := range services {
			fmt.Fprintf(&body, "\t_ %s = %s(nil)\n\t_ %s = %s(nil)\n", s.Name, s.Hidden, s.Hidden, s.Name)
		}
		body.WriteString(")\n")
	}
	// The imports: the packages the signatures name.
	probe, err := parser.ParseFile(token.NewFileSet(), servicesName, "package p\n"+body.String(), 0)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %v\n%s", servicesName, err, body.Bytes())
	}
	used := map[string]bool{}
	ast.Inspect(probe, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	var paths []string
	for name := range used {
		path, ok := g.imports[name]
		if !ok {
			return nil, fmt.Errorf("writing %s: no file of the package imports a package named %s", servicesName, name)
		}
		if path[strings.LastIndex(path, "/")+1:] != name {
			path = name + " " + `"` + path + `"`
		} else {
			path = `"` + path + `"`
		}
		paths = append(paths, path)
	}
	slices.Sort(paths)
	var out bytes.Buffer
	out.WriteString("// Code generated by internal/cmd/genmodels; DO NOT EDIT.\n\npackage integratorio\n")
	if len(paths) > 0 {
		out.WriteString("\nimport (\n")
		for _, p := range paths {
			out.WriteString("\t" + p + "\n")
		}
		out.WriteString(")\n")
	}
	out.Write(body.Bytes())
	src, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting %s: %w\n%s", servicesName, err, out.Bytes())
	}
	return src, nil
}
