package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func parseFiles(t *testing.T, srcs ...string) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for i, src := range srcs {
		f, err := parser.ParseFile(fset, "f"+string(rune('0'+i))+".go", src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}

const layerSrc = `package integratorio

import (
	"context"
	"iter"
)

// Documents is shared.
type Documents[T any] interface {
	// Get returns one document.
	Get(ctx context.Context, id string) (*T, error)
	// Delete deletes it.
	Delete(ctx context.Context, id string) error
}

// Lister lists.
type Lister[T, O any] interface {
	// All iterates.
	All(ctx context.Context, opts *O) iter.Seq2[*T, error]
}
`

// A service's embedded interfaces are spelled out in place, type
// parameters replaced; a method the service declares itself replaces the
// embedded one, doc included, at the embedded one's place.
func TestServicesAreSpelledOut(t *testing.T) {
	fset, files := parseFiles(t, layerSrc, `package integratorio

import "context"

// WidgetsService manages widgets.
type widgetsService interface {
	// Documents gives Get and Delete.
	Documents[Widget]
	Lister[Widget, Options]
	// Spin spins a widget.
	Spin(ctx context.Context, id string) error
	// Delete deletes the widget, and its gears.
	Delete(ctx context.Context, id string) error
}
`)
	out, err := generateServices(fset, files)
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	for _, want := range []string{
		"// WidgetsService manages widgets.\ntype WidgetsService interface {",
		"\t// Get returns one document.\n\tGet(ctx context.Context, id string) (*Widget, error)\n" +
			"\t// Delete deletes the widget, and its gears.\n\tDelete(ctx context.Context, id string) error\n" +
			"\t// All iterates.\n\tAll(ctx context.Context, opts *Options) iter.Seq2[*Widget, error]\n" +
			"\t// Spin spins a widget.\n\tSpin(ctx context.Context, id string) error\n}",
		"\"context\"\n\t\"iter\"\n",
		"_ WidgetsService = widgetsService(nil)",
		"_ widgetsService = WidgetsService(nil)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the output lacks\n%s\n\ngot:\n%s", want, got)
		}
	}
	if strings.Contains(got, "Delete deletes it.") {
		t.Errorf("the embedded Delete's doc is kept beside the service's own:\n%s", got)
	}
}

// What the convention refuses: a method without a doc comment, a service
// without one, an exported twin written by hand, an embedded interface of
// another package.
func TestServicesRefuseWhatCannotBeDocumented(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"undocumented method": {`package integratorio
// AService does a.
type aService interface {
	A()
}`, "method A of aService"},
		"undocumented embedded method": {`package integratorio
// AService does a.
type aService interface {
	b
}
type b interface{ B() }`, "method B of aService (declared in b)"},
		"undocumented service": {`package integratorio
type aService interface {
	// A does a.
	A()
}`, "aService has no doc comment"},
		"hand-written twin": {`package integratorio
// AService does a.
type aService interface {
	// A does a.
	A()
}
// AService does a.
type AService interface {
	// A does a.
	A()
}`, "AService is declared by hand"},
		"foreign embedding": {`package integratorio
import "io"
// AService does a.
type aService interface {
	io.Reader
}`, "only interfaces of the package"},
	} {
		t.Run(name, func(t *testing.T) {
			fset, files := parseFiles(t, tc.src)
			_, err := generateServices(fset, files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
