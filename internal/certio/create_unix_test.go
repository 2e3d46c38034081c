//go:build unix

package certio

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCreateMode: Create gives an existing regular file the mode asked
// for, and leaves a file that is not regular (a FIFO here, /dev/null
// elsewhere) as it is.
func TestCreateMode(t *testing.T) {
	dir := t.TempDir()
	regular := filepath.Join(dir, "secrets")
	if err := os.WriteFile(regular, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(regular, 0o600, true)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if st, _ := os.Stat(regular); st.Mode().Perm() != 0o600 || st.Size() != 0 {
		t.Errorf("existing regular file: mode %v, size %d; want 0600, emptied", st.Mode().Perm(), st.Size())
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// A reader, so that opening the FIFO for writing does not wait.
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if f, err = Create(fifo, 0o600, true); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if st, _ := os.Stat(fifo); st.Mode().Perm() != 0o644 {
		t.Errorf("FIFO: mode %v, want it left at 0644", st.Mode().Perm())
	}
}
