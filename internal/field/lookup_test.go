package field_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoLookupsByName keeps the display tree a display tree: outside the
// packages that build it (wire, trace) and this one, no code looks a field
// up by name (n.Get("host_name")). Consumers read the typed payloads of
// trace.Event instead; a renamed field can then never silently drop
// output. HTTP header and URL query lookups (Header.Get, Query().Get) are
// not field lookups.
func TestNoLookupsByName(t *testing.T) {
	root := filepath.Join("..", "..")
	allowed := map[string]bool{"wire": true, "trace": true, "field": true}
	var found []string
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if top == "internal" && allowed[d.Name()] {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, b, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Get" {
					return true
				}
				if lit, ok := call.Args[0].(*ast.BasicLit); !ok || lit.Kind != token.STRING {
					return true
				}
				if isHeaderOrQuery(sel.X) {
					return true
				}
				found = append(found, fset.Position(call.Pos()).String())
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range found {
		t.Errorf("%s: a field looked up by name; read the event's typed payload instead", f)
	}
}

// isHeaderOrQuery reports whether x is an HTTP header or URL query value
// (…Header, …Trailer, ….Query()).
func isHeaderOrQuery(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.SelectorExpr:
		return x.Sel.Name == "Header" || x.Sel.Name == "Trailer"
	case *ast.Ident:
		return strings.HasSuffix(x.Name, "Header") || x.Name == "hdr"
	case *ast.CallExpr:
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
			return sel.Sel.Name == "Query"
		}
	}
	return false
}
