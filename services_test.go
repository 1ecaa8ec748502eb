package integratorio

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportedInterfaces parses the package's source (no tests) and returns
// every exported interface type by name, with the file it is declared in.
func exportedInterfaces(t *testing.T) (map[string]*ast.InterfaceType, map[string]string) {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	ifaces, files := map[string]*ast.InterfaceType{}, map[string]string{}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, parser.ParseComments|parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				if it, ok := ts.Type.(*ast.InterfaceType); ok && ts.Name.IsExported() {
					ifaces[ts.Name.Name], files[ts.Name.Name] = it, n
				}
			}
		}
	}
	return ifaces, files
}

// go doc and pkg.go.dev show only what an interface declares itself: every
// service (each exported interface named …Service, each interface a Client
// field holds, and each interface a service's method returns, such as
// StateStore) declares every method directly (no embedded interface) with
// a doc comment that starts with the method's name. The services are
// generated from their declarations (services_gen.go); see
// docs/adding-a-resource.md. Building blocks such as Documents[T] may
// embed others: no service shows them.
func TestEveryServiceMethodIsDeclaredAndDocumentedInItsInterface(t *testing.T) {
	ifaces, files := exportedInterfaces(t)
	pkg := reflect.TypeFor[Client]().PkgPath()
	services := map[string]reflect.Type{}
	var reach func(reflect.Type)
	reach = func(typ reflect.Type) {
		if typ.Kind() != reflect.Interface || typ.PkgPath() != pkg || services[typ.Name()] != nil {
			return
		}
		services[typ.Name()] = typ
		for i := range typ.NumMethod() {
			for j := range typ.Method(i).Type.NumOut() {
				reach(typ.Method(i).Type.Out(j))
			}
		}
	}
	client := reflect.TypeFor[Client]()
	for i := range client.NumField() {
		if f := client.Field(i); f.IsExported() {
			require.Equal(t, reflect.Interface, f.Type.Kind(), "Client.%s", f.Name)
			reach(f.Type)
		}
	}
	for name := range ifaces {
		if strings.HasSuffix(name, "Service") && services[name] == nil {
			services[name] = nil // not reachable from Client, still a service
		}
	}
	assert.GreaterOrEqual(t, len(services), 10)
	for name, typ := range services {
		it, ok := ifaces[name]
		if !assert.True(t, ok, "%s is not an interface declared in the package", name) {
			continue
		}
		declared := 0
		for _, f := range it.Methods.List {
			if len(f.Names) == 0 {
				t.Errorf("%s (%s) embeds %s: go doc cannot show its methods; declare the service unexported and run go generate", name, files[name], types(f.Type))
				continue
			}
			for _, n := range f.Names {
				declared++
				doc := ""
				if f.Doc != nil {
					doc = f.Doc.Text()
				}
				assert.True(t, strings.HasPrefix(doc, n.Name+" "), "%s.%s (%s) has no doc comment starting with its name: %q", name, n.Name, files[name], doc)
			}
		}
		if typ != nil {
			assert.Equal(t, typ.NumMethod(), declared, "%s: every method of its method set is declared", name)
		}
		if strings.HasSuffix(name, "Service") {
			assert.Equal(t, "services_gen.go", files[name], "%s is not generated: declare it unexported and run go generate", name)
		}
	}
}

func types(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.IndexExpr:
		return types(e.X) + "[…]"
	case *ast.IndexListExpr:
		return types(e.X) + "[…]"
	}
	return "an interface"
}
