package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestManPagesRender writes every manual page and has groff, the
// formatter man runs, render each: groff must warn of nothing, and each
// command's page must show its flags as --help lists them.
func TestManPagesRender(t *testing.T) {
	tlstest.RequirePeer(t, "groff")
	dir := t.TempDir()
	root := newRoot(&bytes.Buffer{}, &bytes.Buffer{})
	root.InitDefaultCompletionCmd()
	if err := writeManPages(root, dir, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	pages, err := filepath.Glob(filepath.Join(dir, "*.1"))
	if err != nil || len(pages) < 15 {
		t.Fatalf("%d pages written (%v)", len(pages), err)
	}
	for _, page := range pages {
		cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-P", "-cbou", "-rLL=200n", page)
		var out, errs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errs
		if err := cmd.Run(); err != nil || errs.Len() > 0 {
			t.Errorf("groff %s: %v\n%s", filepath.Base(page), err, errs.String())
		}
		if filepath.Base(page) != "tlstrace-serve.1" {
			continue
		}
		text := out.String()
		for _, want := range []string{"TLSTRACE-SERVE(1)", "December 2026", "--self-signed\n", "--listen string", "(default: 127.0.0.1:4433)", "(default: echo)", "tlstrace serve --self-signed --mode www", "tlstrace(1)"} {
			if !strings.Contains(text, want) {
				t.Errorf("tlstrace-serve(1) lacks %q:\n%s", want, text)
			}
		}
	}
	if st, err := os.Stat(filepath.Join(dir, "tlstrace.1")); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("tlstrace.1: %v, %v", st, err)
	}
}
