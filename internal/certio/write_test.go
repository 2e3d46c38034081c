package certio

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "key.pem")
	if err := WriteFile(name, []byte("one"), 0o644, false); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(name, []byte("two"), 0o600, false); !errors.Is(err, os.ErrExist) {
		t.Errorf("over an existing file without overwrite: %v", err)
	}
	if err := WriteFile(name, []byte("three"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "three" || fi.Mode().Perm() != 0o600 {
		t.Errorf("file %q, mode %v; want \"three\", 0600", b, fi.Mode().Perm())
	}
}
