package lab

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
)

// The ccs-injection fault: a good crypto/tls server behind a conn that
// takes a ChangeCipherSpec the client sends before its ClientKeyExchange
// as OpenSSL before 1.0.1h did (CVE-2014-0224): without an alert (crypto/tls
// would send unexpected_message), the server from then on reading records
// under keys made from an empty master secret. The lab makes no such keys:
// the next record the client sends fails, as under them it would, with
// the alert OpenSSL 1.0.1 sent (decryption_failed for a CBC suite's record
// shorter than a block, bad_record_mac for the others), in the clear,
// since the server's own writing keys did not change. Clients that send
// their ChangeCipherSpec in its place (all of them) see a good server.

// errCCSInjected ends the handshake of a connection whose early
// ChangeCipherSpec was taken.
var errCCSInjected = errors.New("lab: a record after the early ChangeCipherSpec failed")

// ccsConn is the server's side of a connection of the ccs-injection fault.
type ccsConn struct {
	recordConn
	hs handshakeMessages
	// keyExchange: the client's ClientKeyExchange came; injected: an
	// early ChangeCipherSpec was taken.
	keyExchange, injected bool
	// cbc: the suite of the server's ServerHello encrypts in CBC mode;
	// hello: the ServerHello was written.
	cbc, hello bool
}

func newCCSConn(c net.Conn) *ccsConn {
	cc := &ccsConn{recordConn: recordConn{Conn: c}}
	cc.record = cc.take
	return cc
}

// take takes an early ChangeCipherSpec out of the stream, and fails the
// record after it; it passes the other records on.
func (c *ccsConn) take(rec []byte) (bool, error) {
	if c.injected {
		// Read under the keys of the early ChangeCipherSpec: it
		// does not decrypt.
		alert := byte(20) // bad_record_mac
		if c.cbc {
			alert = 21 // decryption_failed
		}
		_, _ = c.Conn.Write([]byte{21, rec[1], rec[2], 0, 2, 2, alert})
		return false, errCCSInjected
	}
	switch rec[0] {
	case 22: // handshake
		_ = c.hs.add(rec[5:], func(typ byte, _ []byte) error {
			c.keyExchange = c.keyExchange || typ == 16 // client_key_exchange
			return nil
		})
	case 20: // change_cipher_spec
		if !c.keyExchange {
			c.injected = true
			return false, nil
		}
	}
	return true, nil
}

// Write passes the server's records on, reading the suite its ServerHello
// chose.
func (c *ccsConn) Write(p []byte) (int, error) {
	// A ServerHello record: header, handshake header, version, random,
	// session ID, then the suite.
	if !c.hello && len(p) > 5+4+2+32+1 && p[0] == 22 && p[5] == 2 {
		c.hello = true
		if at := 5 + 4 + 2 + 32 + 1 + int(p[5+4+2+32]); len(p) >= at+2 {
			c.cbc = strings.Contains(tls.CipherSuiteName(uint16(p[at])<<8|uint16(p[at+1])), "_CBC_")
		}
	}
	return c.Conn.Write(p)
}
