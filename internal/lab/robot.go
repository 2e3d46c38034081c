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
	recordConn
	key *rsa.PrivateKey
	hs  handshakeMessages
}

func newRobotConn(c net.Conn, key *rsa.PrivateKey) *robotConn {
	r := &robotConn{recordConn: recordConn{Conn: c}, key: key}
	r.record = r.check
	return r
}

// check answers a ClientKeyExchange whose padding the fault refuses with
// its alert, ending the connection; it passes the other records on.
func (c *robotConn) check(rec []byte) (bool, error) {
	if rec[0] != 22 { // handshake
		return true, nil
	}
	err := c.hs.add(rec[5:], func(typ byte, msg []byte) error {
		if typ != 16 { // client_key_exchange
			return nil
		}
		if alert := c.checkPadding(msg); alert != 0 {
			_, _ = c.Conn.Write([]byte{21, rec[1], rec[2], 0, 2, 2, alert})
			return errRobotPadding
		}
		return nil
	})
	return err == nil, err
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
