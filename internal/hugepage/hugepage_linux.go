package hugepage

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// Reserve grows the heap by n bytes in memory marked for huge pages
// (MADV_HUGEPAGE), then frees them, so that the allocations that follow
// fill it: the runtime allocates at the lowest free addresses first and
// keeps the mapping (returning idle pages to the system keeps the mark).
// It costs one garbage collection of a small heap. Where the kernel gives
// no huge pages, the mark is ignored and nothing changes.
func Reserve(n int) {
	// A large allocation comes straight from new memory, not yet
	// touched, and page aligned, as madvise needs.
	b := make([]byte, n)
	unix.Madvise(b, unix.MADV_HUGEPAGE)
	b = nil
	runtime.GC()
}
