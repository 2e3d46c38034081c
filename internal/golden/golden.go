// Package golden compares test output with golden files, the transcripts
// that pin what tlstrace prints. Run the tests of a package that uses it
// with -update to rewrite its golden files, then read the diff before
// committing it: every changed line is a change in what users see.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Update is the -update flag: rewrite the golden files instead of comparing.
var Update = flag.Bool("update", false, "rewrite the golden files with the current output")

// Check compares got with the golden file at path. With -update it writes
// got to path instead. A difference fails the test with a line diff.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if abs, err := filepath.Abs(path); err == nil {
		mu.Lock()
		checked[abs] = true
		mu.Unlock()
	}
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (go test -update writes it)", err)
	}
	if bytes.Equal(want, got) {
		return
	}
	t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, Diff(string(want), string(got)))
}

var (
	mu      sync.Mutex
	checked = map[string]bool{} // absolute paths given to Check
)

// TestingM is what Run needs of *testing.M.
type TestingM interface{ Run() int }

// Run runs the tests of m, then, when every test ran and passed, looks for
// golden files in dirs that no test compared: left over from a renamed or
// removed scenario. With -update it removes them; otherwise it fails. Call
// it from TestMain: os.Exit(golden.Run(m, "testdata/golden")), or wrap m
// with Wrap.
func Run(m TestingM, dirs ...string) int {
	code := m.Run()
	if code != 0 || !allRan() {
		return code
	}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "golden: %v\n", err)
			return 1
		}
		for _, e := range entries {
			path, err := filepath.Abs(filepath.Join(dir, e.Name()))
			if err != nil || e.IsDir() || checked[path] {
				continue
			}
			if *Update {
				fmt.Fprintf(os.Stderr, "golden: removing %s, which no test compares\n", filepath.Join(dir, e.Name()))
				if err := os.Remove(path); err != nil {
					fmt.Fprintf(os.Stderr, "golden: %v\n", err)
					code = 1
				}
				continue
			}
			fmt.Fprintf(os.Stderr, "golden: no test compares %s (go test -update removes it)\n", filepath.Join(dir, e.Name()))
			code = 1
		}
	}
	return code
}

// Wrap returns m with Run replaced by golden's Run over dirs, for a
// TestMain that hands m to another runner (testscript.Main).
func Wrap(m TestingM, dirs ...string) TestingM { return wrapped{m, dirs} }

type wrapped struct {
	m    TestingM
	dirs []string
}

func (w wrapped) Run() int { return Run(w.m, w.dirs...) }

// allRan reports whether the test binary was asked to run every test: no
// -run, -skip or -short selection, no fuzzing, benchmarks or list.
func allRan() bool {
	for _, name := range []string{"test.run", "test.skip", "test.list", "test.fuzz", "test.bench"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return false
		}
	}
	if f := flag.Lookup("test.short"); f != nil && f.Value.String() == "true" {
		return false
	}
	return true
}

// Diff returns a line diff of want and got: lines only in want start with
// "-", lines only in got with "+", and up to three unchanged lines around
// each change with " ". Each hunk starts with the line numbers of want and
// got. A missing final newline is shown as such.
func Diff(want, got string) string {
	a, b := lines(want), lines(got)
	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:]; golden files are small enough for the quadratic table.
	lcs := make([][]int32, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		text string
		i, j int // line numbers (0-based) in a and b before this op
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i, j})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', a[i], i, j})
			i++
		default:
			ops = append(ops, op{'+', b[j], i, j})
			j++
		}
	}
	const context = 3
	var out strings.Builder
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		// A hunk: from context lines before the change to context lines
		// after the last change that is at most 2*context lines from the
		// next.
		start := max(0, k-context)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			n := end
			for n < len(ops) && ops[n].kind == ' ' && n-end < 2*context {
				n++
			}
			if n < len(ops) && ops[n].kind != ' ' {
				end = n
				continue
			}
			break
		}
		stop := min(len(ops), end+context)
		fmt.Fprintf(&out, "@@ want line %d, got line %d @@\n", ops[start].i+1, ops[start].j+1)
		for _, o := range ops[start:stop] {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			out.WriteByte('\n')
		}
		k = stop
	}
	return out.String()
}

// lines splits s into lines without their newlines; a last line without a
// newline is marked.
func lines(s string) []string {
	if s == "" {
		return nil
	}
	l := strings.Split(s, "\n")
	if l[len(l)-1] == "" {
		return l[:len(l)-1]
	}
	l[len(l)-1] += " (no newline at end)"
	return l
}
