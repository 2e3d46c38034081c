package certio

import (
	"errors"
	"os"
)

// WriteFile writes data to a new file with mode, or over an existing one
// when overwrite is set; without it, an existing file is an error that
// matches os.ErrExist. The mode is applied to an existing file too (a
// private key must not stay readable by others).
func WriteFile(name string, data []byte, mode os.FileMode, overwrite bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if overwrite {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(name, flags, mode)
	if err != nil {
		return err
	}
	err = f.Chmod(mode)
	if err == nil {
		_, err = f.Write(data)
	}
	return errors.Join(err, f.Close())
}
