//go:build !linux

package client

import (
	"net"
	"time"
)

// tcpRTT is only available on Linux (TCP_INFO).
func tcpRTT(net.Conn) (time.Duration, bool) { return 0, false }
