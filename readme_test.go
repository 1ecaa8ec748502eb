package integratorio_test

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// The documentation's Go snippets are compiled and vetted here: each
// ```go block of README.md and docs/*.md becomes the body of a function in
// a generated package main (a block that starts with "package" is a whole
// file of its own package), built with the go tool inside this module so
// that imports resolve offline. Positions in failures point into the
// Markdown file. After the build, the snippets are type-checked once more
// to prove they check every error they get.

// snippetImports maps the package names snippets may use to their import
// paths. A file gets the imports whose names it uses.
var snippetImports = map[string]string{
	"bundle":           "github.com/integratorio-go/integratorio/bundle",
	"bytes":            "bytes",
	"context":          "context",
	"errors":           "errors",
	"filepath":         "path/filepath",
	"fmt":              "fmt",
	"http":             "net/http",
	"httptest":         "net/http/httptest",
	"integratorio":     "github.com/integratorio-go/integratorio",
	"integratoriotest": "github.com/integratorio-go/integratorio/integratoriotest",
	"io":               "io",
	"json":             "encoding/json",
	"log":              "log",
	"os":               "os",
	"recording":        "github.com/integratorio-go/integratorio/integratoriotest/recording",
	"signal":           "os/signal",
	"slog":             "log/slog",
	"strings":          "strings",
	"sync":             "sync",
	"testing":          "testing",
	"time":             "time",
	"url":              "net/url",
}

// snippetPlaceholders are the names snippets may use without declaring
// them, standing for values the reader has. They are package-level
// variables, so a snippet that declares a name of its own shadows them,
// and the compiler still reports a snippet's own unused variables.
const snippetPlaceholders = `package main

import (
	"context"
	"testing"

	"github.com/integratorio-go/integratorio"
)

var (
	ctx         context.Context
	client      *integratorio.Client
	t           *testing.T
	id          string
	connectorID string
	exportID    string
	flowID      string
	stepID      string
)

func main() {}
`

// docSnippet is one ```go block of a Markdown file.
type docSnippet struct {
	file string // Markdown file, slash-separated, relative to the module root
	line int    // line of the block's first line of code
	src  string
}

// markdownFiles are the documentation files whose snippets are built.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(docs)
	return append([]string{"README.md"}, docs...)
}

var (
	goFence    = regexp.MustCompile("^\\s*```\\s*go\\s*$")
	anyFence   = regexp.MustCompile("^\\s*```")
	closeFence = regexp.MustCompile("^\\s*```\\s*$")
)

// goSnippets returns the ```go blocks of the Markdown file.
func goSnippets(t *testing.T, file string) []docSnippet {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []docSnippet
	var cur *docSnippet
	var body []string
	inOther := false
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case cur != nil && closeFence.MatchString(line):
			cur.src = strings.Join(body, "\n") + "\n"
			out = append(out, *cur)
			cur, body = nil, nil
		case cur != nil:
			body = append(body, line)
		case inOther:
			inOther = !closeFence.MatchString(line)
		case goFence.MatchString(line):
			cur = &docSnippet{file: filepath.ToSlash(file), line: i + 2}
		case anyFence.MatchString(line):
			inOther = true
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: ```go block is not closed", file, cur.line-1)
	}
	return out
}

// isWholeFile reports whether the snippet is a Go file of its own, starting
// with a package clause.
func isWholeFile(src string) bool {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(src)), []byte(src), nil, 0)
	_, tok, _ := s.Scan()
	return tok == token.PACKAGE
}

// importsFor returns the import paths of the package names src uses, as
// in fmt.Println: comments and strings do not count.
func importsFor(src string) []string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(src)), []byte(src), nil, 0)
	seen := map[string]bool{}
	prev, prevLit := token.ILLEGAL, ""
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.PERIOD && prev == token.IDENT {
			if p, ok := snippetImports[prevLit]; ok {
				seen[p] = true
			}
		}
		prev, prevLit = tok, lit
	}
	var paths []string
	for p := range seen {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// lineDirective makes the compiler report what follows it at the
// snippet's own position in the Markdown file. The path is absolute: a
// relative one would be taken relative to the generated file.
func lineDirective(sn docSnippet) string {
	path, err := filepath.Abs(filepath.FromSlash(sn.file))
	if err != nil {
		path = sn.file
	}
	return fmt.Sprintf("/*line %s:%d:1*/", path, sn.line)
}

// snippetFile is the generated file holding a snippet as a function body.
func snippetFile(sn docSnippet) string {
	var b strings.Builder
	b.WriteString("package main\n\n")
	if imps := importsFor(sn.src); len(imps) > 0 {
		b.WriteString("import (\n")
		for _, p := range imps {
			fmt.Fprintf(&b, "\t%q\n", p)
		}
		b.WriteString(")\n\n")
	}
	name := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return '_'
	}, sn.file)
	fmt.Fprintf(&b, "func snippet_%s_%d() {\n%s%s}\n", name, sn.line, lineDirective(sn), sn.src)
	return b.String()
}

// goTool finds the go command. go test puts its own GOROOT/bin first on
// the PATH of the tests it runs.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("no go command found to build the documentation's snippets")
	return ""
}

// goEnv is the environment for the go command: the module as go.mod and
// go.sum pin it, never updated, so that the build needs no network.
func goEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GOFLAGS=") || strings.HasPrefix(kv, "GOWORK=") {
			continue
		}
		env = append(env, kv)
	}
	var flags []string
	for _, f := range strings.Fields(os.Getenv("GOFLAGS")) {
		if !strings.HasPrefix(f, "-mod=") {
			flags = append(flags, f)
		}
	}
	flags = append(flags, "-mod=readonly")
	return append(env, "GOFLAGS="+strings.Join(flags, " "), "GOWORK=off")
}

func runGo(t *testing.T, goCmd string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(goCmd, args...)
	cmd.Env = goEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

// snippetPackage is a generated package and the snippets it holds.
type snippetPackage struct {
	dir   string          // relative to the module root
	files map[string]bool // the generated files holding snippets
}

// writeSnippetPackages writes the snippets into a directory of the module
// whose name starts with "_", so that ./... ignores it, and removes it when
// the test ends.
func writeSnippetPackages(t *testing.T, snippets []docSnippet) []snippetPackage {
	t.Helper()
	root, err := os.MkdirTemp(".", "_readme_snippets_")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(root); err != nil {
			t.Errorf("removing the generated snippets: %v", err)
		}
	})
	write := func(path, src string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bodies := snippetPackage{dir: filepath.Join(root, "snippets"), files: map[string]bool{}}
	write(filepath.Join(bodies.dir, "placeholders.go"), snippetPlaceholders)
	pkgs := []snippetPackage{bodies}
	for i, sn := range snippets {
		if isWholeFile(sn.src) {
			p := snippetPackage{dir: filepath.Join(root, fmt.Sprintf("file%02d", i)), files: map[string]bool{}}
			path := filepath.Join(p.dir, "snippet.go")
			write(path, lineDirective(sn)+sn.src)
			p.files[path] = true
			pkgs = append(pkgs, p)
			continue
		}
		path := filepath.Join(bodies.dir, fmt.Sprintf("snippet%02d.go", i))
		write(path, snippetFile(sn))
		bodies.files[path] = true
	}
	return pkgs
}

// TestReadmeSnippetsCompileAndCheckErrors builds every Go snippet of
// README.md and docs/*.md, then checks that none of them drops an error.
func TestReadmeSnippetsCompileAndCheckErrors(t *testing.T) {
	t.Parallel()
	var snippets []docSnippet
	for _, f := range markdownFiles(t) {
		snippets = append(snippets, goSnippets(t, f)...)
	}
	if len(snippets) == 0 {
		t.Fatal("README.md has no ```go blocks")
	}
	goCmd := goTool(t)
	pkgs := writeSnippetPackages(t, snippets)
	args := []string{"vet"}
	for _, p := range pkgs {
		args = append(args, "./"+filepath.ToSlash(p.dir))
	}
	if out, err := runGo(t, goCmd, args...); err != nil {
		t.Fatalf("the documentation's Go snippets do not build (%v); positions are in the Markdown files:\n%s", err, out)
	}

	// The build passed, so the export data of every package the snippets
	// import is in the build cache: type-check them once more, to look at
	// what happens to each error.
	listArgs := []string{"list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}
	out, err := runGo(t, goCmd, append(listArgs, args[1:]...)...)
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	exports := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if path, file, ok := strings.Cut(line, "\t"); ok && file != "" {
			exports[path] = file
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %q", path)
		}
		return os.Open(file)
	})
	for _, p := range pkgs {
		var files []*ast.File
		var checked []*ast.File
		entries, err := os.ReadDir(p.dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			path := filepath.Join(p.dir, e.Name())
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
			if p.files[path] {
				checked = append(checked, f)
			}
		}
		info := &types.Info{
			Types: map[ast.Expr]types.TypeAndValue{},
			Defs:  map[*ast.Ident]types.Object{},
			Uses:  map[*ast.Ident]types.Object{},
		}
		conf := types.Config{Importer: imp}
		if _, err := conf.Check(p.dir, fset, files, info); err != nil {
			t.Fatalf("type-checking the snippets again: %v", err)
		}
		for _, f := range checked {
			for _, problem := range uncheckedErrors(fset, info, f) {
				t.Error(problem)
			}
		}
	}
}

var errorType = types.Universe.Lookup("error").Type()

// position is pos in its Markdown file, relative to the module root.
func position(fset *token.FileSet, pos token.Pos) string {
	p := fset.Position(pos)
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, p.Filename); err == nil {
			p.Filename = filepath.ToSlash(rel)
		}
	}
	return p.String()
}

func isError(t types.Type) bool { return t != nil && types.Identical(t, errorType) }

func isBlank(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "_"
}

// uncheckedErrors reports every error the file drops: a call whose error
// result is ignored, an error assigned to _, a range over an iterator whose
// error is not taken, and an error variable overwritten (or left unread at
// the end of its function) before it was looked at.
func uncheckedErrors(fset *token.FileSet, info *types.Info, f *ast.File) []string {
	var problems []string
	report := func(pos token.Pos, format string, args ...any) {
		problems = append(problems, position(fset, pos)+": "+fmt.Sprintf(format, args...))
	}
	returnsError := func(call *ast.CallExpr) bool {
		switch t := info.TypeOf(call).(type) {
		case *types.Tuple:
			for i := range t.Len() {
				if isError(t.At(i).Type()) {
					return true
				}
			}
			return false
		default:
			return isError(t)
		}
	}
	// Printing to a terminal or a writer: the error is not worth a check.
	printing := func(call *ast.CallExpr) bool {
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		x, ok := sel.X.(*ast.Ident)
		if !ok {
			return false
		}
		pkg, ok := info.Uses[x].(*types.PkgName)
		return ok && pkg.Imported().Path() == "fmt" && strings.Contains(sel.Sel.Name, "rint")
	}
	blanks := func(lhs, rhs []ast.Expr) {
		if len(rhs) == 1 && len(lhs) > 1 {
			tuple, ok := info.TypeOf(rhs[0]).(*types.Tuple)
			if !ok {
				return
			}
			for i, l := range lhs {
				if i < tuple.Len() && isBlank(l) && isError(tuple.At(i).Type()) {
					report(l.Pos(), "an error is assigned to _")
				}
			}
			return
		}
		for i, l := range lhs {
			if i < len(rhs) && isBlank(l) && isError(info.TypeOf(rhs[i])) {
				report(l.Pos(), "an error is assigned to _")
			}
		}
	}
	funcBodies := map[*ast.BlockStmt]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncDecl:
			funcBodies[n.Body] = true
		case *ast.FuncLit:
			funcBodies[n.Body] = true
		case *ast.ExprStmt:
			if call, ok := ast.Unparen(n.X).(*ast.CallExpr); ok && returnsError(call) && !printing(call) {
				report(call.Pos(), "the error returned by this call is not checked")
			}
		case *ast.AssignStmt:
			blanks(n.Lhs, n.Rhs)
		case *ast.ValueSpec:
			lhs := make([]ast.Expr, len(n.Names))
			for i, name := range n.Names {
				lhs[i] = name
			}
			blanks(lhs, n.Values)
		case *ast.RangeStmt:
			sig, ok := info.TypeOf(n.X).Underlying().(*types.Signature)
			if !ok || sig.Params().Len() != 1 {
				break
			}
			yield, ok := sig.Params().At(0).Type().Underlying().(*types.Signature)
			if ok && yield.Params().Len() == 2 && isError(yield.Params().At(1).Type()) && (n.Value == nil || isBlank(n.Value)) {
				report(n.Pos(), "the iterator's errors are not taken")
			}
		}
		return true
	})
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BlockStmt:
			problems = append(problems, overwrittenErrors(fset, info, n.List, funcBodies[n])...)
		case *ast.CaseClause:
			problems = append(problems, overwrittenErrors(fset, info, n.Body, false)...)
		case *ast.CommClause:
			problems = append(problems, overwrittenErrors(fset, info, n.Body, false)...)
		}
		return true
	})
	return problems
}

// overwrittenErrors follows each error variable assigned by a statement of
// the list: the next statement of the list that names it must read it.
// At the end of a function's body, an error assigned and never read is
// reported too.
func overwrittenErrors(fset *token.FileSet, info *types.Info, list []ast.Stmt, funcBody bool) []string {
	var problems []string
	for i, stmt := range list {
		as, ok := stmt.(*ast.AssignStmt)
		if !ok {
			continue
		}
		for _, l := range as.Lhs {
			id, ok := l.(*ast.Ident)
			if !ok || id.Name == "_" {
				continue
			}
			v, ok := info.ObjectOf(id).(*types.Var)
			if !ok || !isError(v.Type()) {
				continue
			}
			where := position(fset, id.Pos())
			found := false
			for _, next := range list[i+1:] {
				named, read := mentions(info, next, v)
				if !named {
					continue
				}
				found = true
				if !read {
					problems = append(problems, fmt.Sprintf("%s: %s is overwritten at %s before it is checked", where, id.Name, position(fset, next.Pos())))
				}
				break
			}
			if !found && funcBody {
				problems = append(problems, fmt.Sprintf("%s: %s is never checked", where, id.Name))
			}
		}
	}
	return problems
}

// mentions reports whether stmt names v, and whether it reads it (rather
// than only assigning to it). A bare return reads every result.
func mentions(info *types.Info, stmt ast.Stmt, v *types.Var) (named, read bool) {
	written := map[*ast.Ident]bool{}
	ast.Inspect(stmt, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok {
					written[id] = true
				}
			}
		case *ast.ReturnStmt:
			if len(n.Results) == 0 {
				read = true
			}
		case *ast.Ident:
			if info.ObjectOf(n) == v {
				named = true
				if !written[n] {
					read = true
				}
			}
		}
		return true
	})
	return named, read
}

// TestReadmeStartsWithTheTwoCommands keeps the README's first block what
// a reader should run first.
func TestReadmeStartsWithTheTwoCommands(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < 5 || !strings.HasPrefix(lines[0], "# ") || lines[1] != "```sh" ||
		!strings.HasPrefix(lines[2], "go run ./examples/quickstart ") ||
		!strings.HasPrefix(lines[3], "go test ./... ") || lines[4] != "```" {
		t.Errorf("README.md must open, under its title, with the sh block of `go run ./examples/quickstart` and `go test ./...`; it opens with:\n%s",
			strings.Join(lines[:min(len(lines), 5)], "\n"))
	}
}

var (
	mdLink    = regexp.MustCompile(`\]\(([^()\s]+)\)`)
	mdHeading = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*$`)
)

// mdAnchors returns the anchors of a Markdown file's headings, as GitHub
// makes them.
func mdAnchors(data []byte) map[string]bool {
	anchors := map[string]bool{}
	inFence := false
	for _, line := range strings.Split(string(data), "\n") {
		if anyFence.MatchString(line) {
			inFence = !inFence
			continue
		}
		m := mdHeading.FindStringSubmatch(line)
		if inFence || m == nil {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(m[1]) {
			switch {
			case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		base := b.String()
		a := base
		for n := 1; anchors[a]; n++ {
			a = fmt.Sprintf("%s-%d", base, n)
		}
		anchors[a] = true
	}
	return anchors
}

// TestReadmeLinksResolve checks that the README's and the docs' relative
// links lead to files that exist, and to headings that exist.
func TestReadmeLinksResolve(t *testing.T) {
	t.Parallel()
	for _, file := range markdownFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
			}
			st, err := os.Stat(dest)
			if err != nil {
				t.Errorf("%s: link %q: %v", file, target, err)
				continue
			}
			if anchor == "" || st.IsDir() || !strings.HasSuffix(dest, ".md") {
				continue
			}
			destData, err := os.ReadFile(dest)
			if err != nil {
				t.Fatal(err)
			}
			if !mdAnchors(destData)[anchor] {
				t.Errorf("%s: link %q: %s has no heading with anchor #%s", file, target, dest, anchor)
			}
		}
	}
}

// TestReadmeListsEverySentinelError keeps the README's table of errors in
// step with errors.go.
func TestReadmeListsEverySentinelError(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, spec := range gd.Specs {
			for _, name := range spec.(*ast.ValueSpec).Names {
				if !name.IsExported() || !strings.HasPrefix(name.Name, "Err") {
					continue
				}
				n++
				if !bytes.Contains(readme, []byte("`"+name.Name+"`")) {
					t.Errorf("README.md does not list %s, a sentinel error of errors.go", name.Name)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("found no sentinel errors in errors.go")
	}
}

// TestReadmeDocsListEveryDependency keeps docs/dependencies.md in step with
// the direct requirements of go.mod.
func TestReadmeDocsListEveryDependency(t *testing.T) {
	t.Parallel()
	mod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("docs", "dependencies.md"))
	if err != nil {
		t.Fatal(err)
	}
	var direct []string
	inBlock := false
	for _, line := range strings.Split(string(mod), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "require (":
			inBlock = true
			continue
		case inBlock && line == ")":
			inBlock = false
			continue
		case strings.HasPrefix(line, "require "):
			line = strings.TrimPrefix(line, "require ")
		case !inBlock:
			continue
		}
		if fields := strings.Fields(line); len(fields) >= 2 && !strings.Contains(line, "// indirect") {
			direct = append(direct, fields[0])
		}
	}
	if len(direct) == 0 {
		t.Fatal("found no requirements in go.mod")
	}
	for _, m := range direct {
		if !bytes.Contains(doc, []byte("`"+m+"`")) {
			t.Errorf("docs/dependencies.md does not say why %s is required", m)
		}
	}
	// Every module the table names is still required.
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		if !slices.Contains(direct, m[1]) {
			t.Errorf("docs/dependencies.md explains %s, which go.mod does not require directly", m[1])
		}
	}
}

// TestReadmeDocsNameExistingTests checks that every test or fuzz target
// docs/reliability.md cites as a proof exists.
func TestReadmeDocsNameExistingTests(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("docs", "reliability.md"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`)
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllSubmatch(src, -1) {
			defined[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cited := regexp.MustCompile("`((?:Test|Fuzz)[A-Z0-9]\\w*)`")
	n := 0
	for _, m := range cited.FindAllStringSubmatch(string(doc), -1) {
		n++
		if !defined[m[1]] {
			t.Errorf("docs/reliability.md cites %s, which no _test.go file defines", m[1])
		}
	}
	if n == 0 {
		t.Fatal("docs/reliability.md cites no tests")
	}
}
