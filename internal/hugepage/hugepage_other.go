//go:build !linux

package hugepage

// Reserve does nothing where transparent huge pages are not Linux's.
func Reserve(n int) {}
