package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/golden"
)

// goldenDir holds the transcripts these tests pin, named by command,
// protocol version and scenario (as crypto/tls names its testdata).
const goldenDir = "testdata/golden"

// runGolden runs tlstrace with args in process, expects exit code want and
// an empty stderr when want is 0, and compares stdout with the golden file.
func runGolden(t *testing.T, name string, want int, args ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append(args, "--color", "never"), &out, &errb)
	if code != want {
		t.Fatalf("tlstrace %s: exit %d, want %d\n%s", strings.Join(args, " "), code, want, errb.String())
	}
	if want == 0 && errb.Len() > 0 {
		t.Errorf("tlstrace %s: stderr not empty:\n%s", strings.Join(args, " "), errb.String())
	}
	if out.Len() == 0 {
		t.Fatalf("tlstrace %s: no output", strings.Join(args, " "))
	}
	golden.Check(t, filepath.Join(goldenDir, name), out.Bytes())
}

// readFormats are the outputs of tlstrace read, each with the suffix of its
// golden file.
var readFormats = []struct {
	flags []string
	ext   string
}{
	{nil, "txt"},
	{[]string{"-v"}, "v.txt"},
	{[]string{"-vv"}, "vv.txt"},
	{[]string{"--json"}, "json"},
	{[]string{"--json", "--raw"}, "raw.json"},
}

// TestGoldenRead pins every output of tlstrace read for every capture in
// testdata, with its key log and without.
func TestGoldenRead(t *testing.T) {
	captures := []struct{ version, dir string }{
		{"TLSv12", "illustrated-tls12"},
		{"TLSv13", "illustrated-tls13"},
	}
	for _, c := range captures {
		for _, keys := range []bool{true, false} {
			args := []string{"read", td + c.dir + "/capture.pcap"}
			scenario := "illustrated"
			if keys {
				args = append(args, "--keylog", td+c.dir+"/keylog.txt")
				scenario += "-keylog"
			}
			for _, f := range readFormats {
				name := "read-" + c.version + "-" + scenario + "." + f.ext
				t.Run(name, func(t *testing.T) {
					runGolden(t, name, 0, append(args, f.flags...)...)
				})
			}
		}
	}
}
