//go:build !unix

package capture

import "io"

// mapping is only available on Unix systems.
type mapping struct{ data []byte }

func mapFile(io.Reader) (*mapping, bool) { return nil, false }
func (m *mapping) release(int64)         {}
func (m *mapping) close()                {}
