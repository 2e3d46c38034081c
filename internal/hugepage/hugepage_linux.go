package hugepage

import (
	"runtime"
	"runtime/debug"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// arenaSize is the size and alignment of the runtime's heap arenas on
// 64-bit Linux.
const arenaSize = 64 << 20

var mu sync.Mutex

// Reserve grows the heap by n bytes and marks them for huge pages
// (MADV_HUGEPAGE), with the heap below them in the same arena, then frees
// them, so that the allocations that follow fill marked memory: the
// runtime allocates at the lowest free addresses first, which may begin in
// a gap just below the block, and keeps the mapping (returning idle pages
// to the system keeps the mark). It costs one garbage collection of a
// small heap, which leaves the caller waiting some milliseconds: a
// command calls it on a goroutine of its own while it prepares. Where the
// kernel gives no huge pages, the mark is ignored and nothing changes.
func Reserve(n int) {
	// Calls in parallel would restore each other's GC percent.
	mu.Lock()
	defer mu.Unlock()
	// The block is over any small heap's goal: without this, allocating
	// it would start a collection that runtime.GC below must wait for,
	// and which cannot free the block (it is still in use).
	percent := debug.SetGCPercent(-1)
	// A large allocation comes straight from new memory, page aligned.
	b := make([]byte, n)
	end := uintptr(unsafe.Pointer(&b[0])) + uintptr(n)
	start := (end - uintptr(n)) &^ (arenaSize - 1)
	// The range is passed as numbers: no Go pointer to memory that is
	// not an object is made. Below the heap's first mapping it is not
	// mapped, and madvise marks what is (the error says the rest).
	unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_HUGEPAGE)
	runtime.KeepAlive(b)
	b = nil
	debug.SetGCPercent(percent)
	runtime.GC()
}
