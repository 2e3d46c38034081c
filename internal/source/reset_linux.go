package source

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// tcpClosed reports whether the kernel holds c, a TCP connection, as
// closed (TCP_INFO's state TCP_CLOSE) while it is still open here: the
// peer reset it, and a write would go nowhere.
func tcpClosed(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var info *unix.TCPInfo
	var ierr error
	if err := raw.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil || ierr != nil {
		return false
	}
	const tcpClose = 7 // TCP_CLOSE of include/net/tcp_states.h
	return info.State == tcpClose
}
