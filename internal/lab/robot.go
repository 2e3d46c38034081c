package lab

import (
	"crypto/rsa"
	"errors"
	"math/big"
	"net"
)

// The robot fault: a good crypto/tls server with an RSA key and suites of
// RSA key exchange, behind a conn that decrypts the client's
// ClientKeyExchange itself and checks the PKCS#1 v1.5 padding as the
// servers the ROBOT paper (2017) found did, telling the client what it
// found: a block that does not start 0x0002 gets the alert decrypt_error,
// one that does but has no 0x00 where a 48-byte secret begins gets
// handshake_failure, at once. A well-formed block (whatever its version
// bytes) goes on to crypto/tls, which fails a bad Finished with
// bad_record_mac, and completes a good handshake. So the server is a
// strong padding oracle (it tells 0x0002 from the rest), and clients,
// whose blocks are well formed (and which prefer ECDHE), see a good
// server.

// errRobotPadding ends the handshake of a connection whose premaster
// secret the fault refused.
var errRobotPadding = errors.New("lab: the premaster secret's padding is wrong")

// robotConn is the server's side of a connection of the robot fault.
type robotConn struct {
	net.Conn
	key *rsa.PrivateKey
	// in holds the client's bytes read but not yet framed; out those
	// framed and given to the server; hs the client's handshake bytes
	// not yet cut into messages.
	in, out, hs []byte
	// open: the client's ChangeCipherSpec came; its records are
	// encrypted from there, and passed on unread.
	open bool
}

func (c *robotConn) Read(p []byte) (int, error) {
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
// ChangeCipherSpec, checking the padding of a ClientKeyExchange's
// premaster secret on the way.
func (c *robotConn) frame() error {
	for !c.open && len(c.in) >= 5 {
		n := 5 + (int(c.in[3])<<8 | int(c.in[4]))
		if len(c.in) < n {
			return nil
		}
		rec := c.in[:n]
		c.in = c.in[n:]
		switch rec[0] {
		case 22: // handshake
			c.hs = append(c.hs, rec[5:]...)
			for len(c.hs) >= 4 {
				m := 4 + (int(c.hs[1])<<16 | int(c.hs[2])<<8 | int(c.hs[3]))
				if len(c.hs) < m {
					break
				}
				if c.hs[0] == 16 { // client_key_exchange
					if alert := c.checkPadding(c.hs[4:m]); alert != 0 {
						_, _ = c.Conn.Write([]byte{21, rec[1], rec[2], 0, 2, 2, alert})
						return errRobotPadding
					}
				}
				c.hs = c.hs[m:]
			}
		case 20: // change_cipher_spec
			c.open = true
		}
		c.out = append(c.out, rec...)
	}
	return nil
}

// checkPadding decrypts the premaster secret of a ClientKeyExchange body
// (TLS 1.0 on: behind two length bytes) and returns the alert the fault
// answers its padding with, 0 for a block it passes on.
func (c *robotConn) checkPadding(body []byte) byte {
	k := (c.key.N.BitLen() + 7) / 8
	if len(body) != 2+k || int(body[0])<<8|int(body[1]) != k {
		return 0 // not the fault's to judge: crypto/tls refuses it
	}
	m := new(big.Int).Exp(new(big.Int).SetBytes(body[2:]), c.key.D, c.key.N).FillBytes(make([]byte, k))
	if m[0] != 0x00 || m[1] != 0x02 {
		return 51 // decrypt_error
	}
	sep := 2
	for sep < k && m[sep] != 0 {
		sep++
	}
	if sep != k-49 {
		return 40 // handshake_failure
	}
	return 0
}
