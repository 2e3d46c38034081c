// Package setting holds the error a package returns for a setting it
// cannot use. The error names the setting as the package's configuration
// does (a struct field); the command line maps that name to its flag, so
// that no package below cmd speaks of flags.
package setting

import "fmt"

// Error is a setting whose value cannot be used.
type Error struct {
	// Name is the setting's name in the package's configuration, e.g.
	// "Resolve" for client.Network.Resolve.
	Name string
	// Value is the value given, as written; "" when the setting as a whole
	// is wrong.
	Value string
	Err   error
	// File is set when the value names a file that cannot be read or
	// parsed: the input is wrong, not the setting.
	File bool
}

func (e *Error) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %v", e.Name, e.Err)
	}
	return fmt.Sprintf("%s %q: %v", e.Name, e.Value, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error for name and value with a formatted cause.
func Errorf(name, value, format string, args ...any) *Error {
	return &Error{Name: name, Value: value, Err: fmt.Errorf(format, args...)}
}
