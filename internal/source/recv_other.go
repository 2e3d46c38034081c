//go:build !unix

package source

// recvNow reads nothing where a socket cannot be read without waiting
// through golang.org/x/sys/unix: Tap.Drain then finds nothing.
func recvNow(fd uintptr, b []byte) int { return 0 }
