package certio

import (
	"encoding/pem"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes data to a new file with mode, or over an existing one
// when overwrite is set, as Create opens it.
func WriteFile(name string, data []byte, mode os.FileMode, overwrite bool) error {
	f, err := Create(name, mode, overwrite)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

// Create opens a new file with mode for writing, or an existing one
// emptied when overwrite is set; without it, an existing file is an error
// that matches os.ErrExist. The mode is applied to an existing regular
// file too (a private key, or a file that holds secrets, must not stay
// readable by others); a device or a pipe (/dev/null, /dev/stdout) is
// written as it is.
func Create(name string, mode os.FileMode, overwrite bool) (*os.File, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if overwrite {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(name, flags, mode)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && st.Mode().IsRegular() && st.Mode().Perm() != mode {
		err = f.Chmod(mode)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Files writes what a certificate command makes: PEM blocks, or DER, to
// files that are never overwritten unless Force is set, or to Stdout.
type Files struct {
	Stdout io.Writer
	// DER writes DER instead of PEM.
	DER bool
	// Force overwrites existing files.
	Force bool
}

// ExistsError is a file that Files does not overwrite. It matches
// os.ErrExist.
type ExistsError struct{ Name string }

func (e *ExistsError) Error() string { return e.Name + " exists" }

// Is reports whether target is os.ErrExist.
func (e *ExistsError) Is(target error) bool { return target == os.ErrExist }

// ErrPrivateToStdout is a private key (or a file holding one) to be written
// to standard output, which Files never does.
var ErrPrivateToStdout = errors.New("a private key is never written to standard output")

// Free returns an *ExistsError when one of the named files exists and
// Force is not set ("" and "-", standard output, are free). Call it before
// anything is made, so that a refusal writes no file at all.
func (f Files) Free(names ...string) error {
	if f.Force {
		return nil
	}
	for _, name := range names {
		if name == "" || name == "-" {
			continue
		}
		if _, err := os.Lstat(name); err == nil {
			return &ExistsError{Name: name}
		}
	}
	return nil
}

// Write writes der as a PEM block of type typ (or as DER; with typ "", as
// it is) to the file name, or to Stdout when name is "" or "-". A private
// file gets mode 0600 and is never written to Stdout; others get 0644.
func (f Files) Write(name, typ string, der []byte, private bool) error {
	data := der
	if !f.DER && typ != "" {
		data = pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	}
	if name == "" || name == "-" {
		if private {
			return ErrPrivateToStdout
		}
		_, err := f.Stdout.Write(data)
		return err
	}
	mode := os.FileMode(0o644)
	if private {
		mode = 0o600
	}
	err := WriteFile(name, data, mode, f.Force)
	if errors.Is(err, os.ErrExist) {
		return &ExistsError{Name: name}
	}
	return err
}

// SameFile reports whether the names a and b are one file: the same path
// once made absolute and cleaned, or, for files that exist, the same file
// reached by two paths (a link).
func SameFile(a, b string) bool {
	if abs(a) == abs(b) {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

func abs(name string) string {
	if p, err := filepath.Abs(name); err == nil {
		return p
	}
	return filepath.Clean(name)
}
