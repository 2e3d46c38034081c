//go:build unix

package source

import "golang.org/x/sys/unix"

// recvNow reads into b what the socket fd holds, without waiting; 0 when
// it holds nothing or fails.
func recvNow(fd uintptr, b []byte) int {
	n, _, err := unix.Recvfrom(int(fd), b, unix.MSG_DONTWAIT)
	if err != nil {
		return 0
	}
	return n
}
