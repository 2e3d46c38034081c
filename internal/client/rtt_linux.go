package client

import (
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// tcpRTT reads the kernel's smoothed round-trip time of a TCP connection
// (TCP_INFO).
func tcpRTT(c net.Conn) (time.Duration, bool) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return 0, false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var info *unix.TCPInfo
	var ierr error
	if err := raw.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil || ierr != nil {
		return 0, false
	}
	return time.Duration(info.Rtt) * time.Microsecond, true
}
