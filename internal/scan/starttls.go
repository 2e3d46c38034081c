package scan

import (
	"net"

	"github.com/tlstrace/tlstrace/internal/starttls"
)

// startTLS runs the clear-text upgrade dialog of proto on c, before a
// probe's hello, as `tlstrace connect --starttls` speaks it.
func startTLS(c net.Conn, proto, host string) error {
	p, err := starttls.Lookup(proto)
	if err != nil {
		return err
	}
	return starttls.Upgrade(c, p, host, nil)
}

// host is the server's name for the protocols that name it: the SNI name,
// else the host of the address.
func (p *prober) host() string {
	if p.serverName != "" {
		return p.serverName
	}
	h, _, err := net.SplitHostPort(p.addr)
	if err != nil {
		return p.addr
	}
	return h
}
