//go:build unix

package capture

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps a regular file read from its start into memory, so that
// packets are sliced from it instead of copied through a buffer. The
// mapping is private (copy on write): nothing the reader does reaches the
// file.
func mapFile(r io.Reader) (*mapping, bool) {
	f, ok := r.(*os.File)
	if !ok {
		return nil, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 || fi.Size() > 1<<40 {
		return nil, false
	}
	if pos, err := f.Seek(0, io.SeekCurrent); err != nil || pos != 0 {
		return nil, false
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		return nil, false
	}
	unix.Madvise(b, unix.MADV_SEQUENTIAL)
	return &mapping{data: b}, true
}

// mapping is a mapped capture file.
type mapping struct {
	data    []byte
	dropped int64 // bytes before this offset have been released
}

// release gives back the pages before off, so that resident memory stays
// flat however large the file (they would be read again from the file if
// touched, unchanged).
func (m *mapping) release(off int64) {
	const step = 16 << 20
	if off-m.dropped < step {
		return
	}
	end := off &^ (1<<12 - 1) // page aligned
	if end > m.dropped {
		unix.Madvise(m.data[m.dropped:end], unix.MADV_DONTNEED)
		m.dropped = end
	}
}

func (m *mapping) close() { unix.Munmap(m.data) }
