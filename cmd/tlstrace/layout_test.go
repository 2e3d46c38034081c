package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// cmdImports are the packages this package may use, outside its tests:
// nil allows the whole package, a list only the names given. The command
// line keeps flags, dispatch, exit codes and the words that name flags
// (docs/architecture.md); the work they start is done below cmd. A
// package or name that is not listed is work that belongs in one of the
// internal packages: moving it there is the fix, not adding it here.
var cmdImports = map[string][]string{
	"context": nil, "embed": nil, "errors": nil, "fmt": nil, "io": nil, "math": nil, "os": nil,
	"os/signal": nil, "path/filepath": nil, "strconv": nil, "strings": nil, "time": nil,
	"github.com/spf13/cobra": nil, "github.com/spf13/pflag": nil,
	// The names a flag or a hint needs.
	"crypto/tls":    {"VersionName", "VersionTLS10", "VersionTLS11", "VersionTLS12", "VersionTLS13"},
	"crypto/x509":   {"Certificate", "ExtKeyUsageClientAuth", "ExtKeyUsageServerAuth"},
	"net":           {"Listen", "OpError", "SplitHostPort"},
	"net/url":       {"Parse", "UserPassword"},
	"runtime/debug": {"ReadBuildInfo", "SetGCPercent"},
	"syscall":       {"SIGTERM"},
}

// cmdUses returns, for each file of dir that is not a test, the packages it
// imports that cmdImports does not allow, and the names of allowed
// packages it uses that are not listed: "file: path" or "file: path.Name".
func cmdUses(t *testing.T, dir string) []string {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(name)
		// The name each import is used by in this file.
		byName := map[string]string{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/tlstrace/tlstrace/internal/") {
				continue
			}
			if _, ok := cmdImports[path]; !ok {
				bad = append(bad, base+": "+path)
				continue
			}
			local := path[strings.LastIndex(path, "/")+1:]
			if imp.Name != nil {
				local = imp.Name.Name
			}
			byName[local] = path
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok || id.Obj != nil {
				return true
			}
			path, ok := byName[id.Name]
			if !ok || cmdImports[path] == nil {
				return true
			}
			for _, allowed := range cmdImports[path] {
				if sel.Sel.Name == allowed {
					return true
				}
			}
			bad = append(bad, base+": "+path+"."+sel.Sel.Name)
			return true
		})
	}
	sort.Strings(bad)
	return bad
}

// TestCmdHoldsNoDomainLogic checks that this package uses only the
// packages and names cmdImports allows: certificates made, chains
// verified, bytes decoded or connections dialled here would be work the
// internal packages' tests do not reach (issue 9).
func TestCmdHoldsNoDomainLogic(t *testing.T) {
	for _, b := range cmdUses(t, ".") {
		t.Errorf("%s: not for the command line; move the work it does below cmd", b)
	}

	// The check itself, on a made-up package.
	dir := t.TempDir()
	src := `package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"fmt"
	u "net/url"
)

var _ = ecdsa.GenerateKey
var _ = x509.CreateCertificate
var _ x509.Certificate
var _ = fmt.Sprintf
var _ = u.Parse
var _ = u.PathEscape
`
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{"x.go: crypto/ecdsa", "x.go: crypto/x509.CreateCertificate", "x.go: net/url.PathEscape"}
	if got := cmdUses(t, dir); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("cmdUses of a made-up package = %q, want %q", got, want)
	}
}
