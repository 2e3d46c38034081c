// Package hugepage lets a command that streams hundreds of megabytes
// through a heap of tens ask for that heap in transparent huge pages.
//
// Each 4 KiB page of fresh memory costs a page fault on first touch. On
// bare metal that is a fraction of a microsecond; on a virtual machine
// whose page tables the hypervisor shadows it is about 12 µs, so the 16 MB
// heap of `tlstrace read` cost some 50 ms of its 190 (bench/read.sh). A
// 2 MiB huge page costs one fault instead of 512. The Go runtime does not
// ask for huge pages for its heap (it stopped in Go 1.21.1, for workloads
// whose memory they bloat), and Linux in "madvise" mode gives them only
// to memory that asks, so Reserve grows the heap by a block that asks, and
// frees it for the allocations that follow.
package hugepage
