package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/client"
)

// longFlag is a long command-line flag (--cacert, --tlsv1.2) in a text.
var longFlag = regexp.MustCompile(`(^|[^-\w])--[a-z][a-z0-9.-]*`)

// flagLiteral is a string literal of a package below cmd that names a
// flag: the file, relative to the tree scanned, and the literal's value.
type flagLiteral struct{ file, value string }

// keptFlagLiterals are the literals below cmd allowed to name a flag, each
// with why.
var keptFlagLiterals = map[flagLiteral]string{
	{"internal/trace/local.go", "--resolve"}: "the resolver of a lookup whose addresses the settings gave (trace.ResolverGiven): " +
		"a value of the JSON contract (docs/json.md), said by the trace package that writes the event's fields; the client sets a bool",
	{"internal/trace/local.go", "NOT trusted; going on because of --insecure"}: "the verdict of a chain the run went on past (trace.VerdictInsecure): " +
		"a value of the JSON contract (docs/json.md), said by the trace package that writes the event's fields; the client sets a bool",
}

// flagLiterals returns the string literals of the Go files under root's
// internal directory that name a long flag, outside comments, tests,
// testdata, and the lab and tlstest packages (whose servers and helpers
// speak other programs' command lines).
func flagLiterals(t *testing.T, root string) []flagLiteral {
	var found []flagLiteral
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "lab", "tlstest":
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
		f, err := parser.ParseFile(token.NewFileSet(), path, b, 0)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && longFlag.MatchString(s) {
				found = append(found, flagLiteral{filepath.ToSlash(rel), s})
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestNoFlagsBelowCmd checks that no package below cmd names a flag
// (issue 9): a remedy that involves a setting is a typed client.Advice
// and a setting's error a setting.Error, which this package words with
// its flags. Only keptFlagLiterals may, and each of them must still be
// there.
func TestNoFlagsBelowCmd(t *testing.T) {
	kept := map[flagLiteral]bool{}
	for _, l := range flagLiterals(t, filepath.Join("..", "..")) {
		if _, ok := keptFlagLiterals[l]; ok {
			kept[l] = true
			continue
		}
		t.Errorf("%s: %q names a flag: return a typed advice or setting error, and word it in cmd/tlstrace", l.file, l.value)
	}
	for l := range keptFlagLiterals {
		if !kept[l] {
			t.Errorf("%s: %q is allowed to name a flag but is gone: drop it from keptFlagLiterals", l.file, l.value)
		}
	}

	// The check itself: a literal is found, a comment and a lab file are
	// not.
	dir := t.TempDir()
	for name, src := range map[string]string{
		"internal/client/x.go": "package client\n\n// Hint names --cacert in a comment.\nvar hint = \"trust it with --cacert FILE\"\n\nvar dash = \"a -- b, x--y\"\n",
		"internal/lab/x.go":    "package lab\n\nvar args = []string{\"--port\"}\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := []flagLiteral{{"internal/client/x.go", "trust it with --cacert FILE"}}
	if got := flagLiterals(t, dir); len(got) != 1 || got[0] != want[0] {
		t.Errorf("flagLiterals of a made-up tree = %q, want %q", got, want)
	}
}

// TestAdviceWorded checks that every client.Advice is worded in advice,
// so that no remedy of the client reaches the user as an empty hint. The
// constants are read from their declaration, NoAdvice first, in iota
// order.
func TestAdviceWorded(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "..", "internal", "client", "advice.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				names = append(names, n.Name)
			}
		}
	}
	if len(names) < 2 || names[0] != "NoAdvice" {
		t.Fatalf("advice.go declares %q; want NoAdvice, then the advice in iota order", names)
	}
	for i, name := range names[1:] {
		if advice[client.Advice(i+1)] == "" {
			t.Errorf("client.%s has no words in advice", name)
		}
	}
	if len(advice) != len(names)-1 {
		t.Errorf("advice words %d advice, client declares %d", len(advice), len(names)-1)
	}
}
