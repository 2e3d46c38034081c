package certio

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	f := Files{Stdout: &out}
	if err := f.Write("", "CERTIFICATE", []byte{1, 2}, false); err != nil || !strings.HasPrefix(out.String(), "-----BEGIN CERTIFICATE-----\n") {
		t.Fatalf("to standard output: %v, %q", err, out.String())
	}
	if err := f.Write("-", "PRIVATE KEY", []byte{1}, true); !errors.Is(err, ErrPrivateToStdout) {
		t.Errorf("a private key to standard output: %v", err)
	}
	key := filepath.Join(dir, "key")
	if err := f.Write(key, "", []byte("raw"), true); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private file: %v, %v", fi, err)
	}
	if b, _ := os.ReadFile(key); string(b) != "raw" {
		t.Errorf("typ \"\" wrote %q", b)
	}
	var ee *ExistsError
	if err := f.Write(key, "X", []byte{1}, false); !errors.As(err, &ee) || err.Error() != key+" exists" {
		t.Errorf("over an existing file: %v", err)
	}
	if err := f.Free("", "-", filepath.Join(dir, "new"), key); !errors.Is(err, os.ErrExist) {
		t.Errorf("Free of an existing file: %v", err)
	}
	f.Force, f.DER = true, true
	if err := f.Free(key); err != nil {
		t.Errorf("Free with Force: %v", err)
	}
	if err := f.Write(key, "X", []byte{7}, false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(key); !bytes.Equal(b, []byte{7}) {
		t.Errorf("DER wrote %q", b)
	}
}

func TestReadSigner(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadSigner(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("a missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSigner(bad); err == nil || !strings.HasPrefix(err.Error(), bad+": ") {
		t.Errorf("a file that is not a key: %v", err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	if _, err := ReadFile(missing, ""); !os.IsNotExist(err) || strings.HasPrefix(err.Error(), missing+": ") {
		t.Errorf("a missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(bad, ""); err == nil || !strings.HasPrefix(err.Error(), bad+": ") {
		t.Errorf("a file that does not parse: %v", err)
	}
}

func TestSameFile(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.pem")
	if err := os.WriteFile(a, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.pem")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{a, a, true},
		{a, dir + "/./sub/../a.pem", true},
		{filepath.Join(dir, "new"), filepath.Join(dir, "new"), true},
		{a, link, true},
		{a, filepath.Join(dir, "b.pem"), false},
		{filepath.Join(dir, "new"), filepath.Join(dir, "other"), false},
	} {
		if got := SameFile(c.a, c.b); got != c.same {
			t.Errorf("SameFile(%q, %q) = %v; want %v", c.a, c.b, got, c.same)
		}
	}
}
