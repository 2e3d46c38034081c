package main

import (
	"io"
	"strings"
	"testing"
)

// Every help/NAME.txt is the long help of the command NAME (the root's is
// tlstrace.txt): a file that no command shows is stale.
func TestHelpFilesShown(t *testing.T) {
	root := newRoot(io.Discard, io.Discard)
	entries, err := helpFiles.ReadDir("help")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no help files embedded")
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".txt")
		cmd := root
		if name != "tlstrace" {
			if cmd, _, err = root.Find([]string{name}); err != nil {
				t.Errorf("%s: %v", e.Name(), err)
				continue
			}
		}
		if cmd.Name() != name || cmd.Long != help(name) {
			t.Errorf("%s is not the long help of command %q (found %q)", e.Name(), name, cmd.Name())
		}
	}
}
