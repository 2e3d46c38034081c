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
	net.Conn
	// in holds the client's bytes read but not yet framed; out those
	// framed and given to the server; hs the client's handshake bytes
	// not yet cut into messages.
	in, out, hs []byte
	// keyExchange: the client's ClientKeyExchange came; injected: an
	// early ChangeCipherSpec was taken; open: the client's own
	// ChangeCipherSpec came, and its records are encrypted from there.
	keyExchange, injected, open bool
	// cbc: the suite of the server's ServerHello encrypts in CBC mode;
	// hello: the ServerHello was written.
	cbc, hello bool
}

func (c *ccsConn) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.open && len(c.in) > 0 {
			c.out, c.in = c.in, nil
			break
		}
		buf := make([]byte, 16<<10)
		n, err := c.Conn.Read(buf)
		if c.open {
			c.out = append(c.in, buf[:n]...)
			c.in = nil
		} else {
			c.in = append(c.in, buf[:n]...)
			if err := c.frame(); err != nil {
				return 0, err
			}
		}
		if len(c.out) == 0 && err != nil {
			return 0, err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// frame moves the whole records of c.in to c.out up to the client's
// ChangeCipherSpec, taking an early one out of the stream and failing
// the record after it.
func (c *ccsConn) frame() error {
	for !c.open && len(c.in) >= 5 {
		n := 5 + (int(c.in[3])<<8 | int(c.in[4]))
		if len(c.in) < n {
			return nil
		}
		rec := c.in[:n]
		c.in = c.in[n:]
		if c.injected {
			// Read under the keys of the early ChangeCipherSpec: it
			// does not decrypt.
			alert := byte(20) // bad_record_mac
			if c.cbc {
				alert = 21 // decryption_failed
			}
			_, _ = c.Conn.Write([]byte{21, rec[1], rec[2], 0, 2, 2, alert})
			return errCCSInjected
		}
		switch rec[0] {
		case 22: // handshake
			c.hs = append(c.hs, rec[5:]...)
			for len(c.hs) >= 4 {
				m := 4 + (int(c.hs[1])<<16 | int(c.hs[2])<<8 | int(c.hs[3]))
				if len(c.hs) < m {
					break
				}
				if c.hs[0] == 16 { // client_key_exchange
					c.keyExchange = true
				}
				c.hs = c.hs[m:]
			}
		case 20: // change_cipher_spec
			if !c.keyExchange {
				c.injected = true
				continue
			}
			c.open = true
		}
		c.out = append(c.out, rec...)
	}
	return nil
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
