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
	return tcpState(c) == "reset"
}

// tcpState says how the peer has ended c, a TCP connection still open
// here, as the kernel holds it (TCP_INFO's state): "closed" when its FIN
// has come (CLOSE_WAIT), "reset" when its RST has (CLOSE), "" otherwise.
func tcpState(c net.Conn) string {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return ""
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return ""
	}
	var info *unix.TCPInfo
	var ierr error
	if err := raw.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil || ierr != nil {
		return ""
	}
	// The states of include/net/tcp_states.h.
	const (
		tcpClose     = 7
		tcpCloseWait = 8
	)
	switch info.State {
	case tcpClose:
		return "reset"
	case tcpCloseWait:
		return "closed"
	}
	return ""
}
