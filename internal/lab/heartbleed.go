package lab

import (
	"bytes"
	"net"
)

// The heartbleed fault: a good crypto/tls server behind a conn that, until
// the client's ChangeCipherSpec, takes the client's heartbeat requests out
// of the stream and answers each as OpenSSL 1.0.1 to 1.0.1f did
// (CVE-2014-0160): with as many payload bytes as the request claims,
// whatever it carried, read from past it. Here those bytes are a made-up
// pattern, not memory. Clients that send no heartbeat (all of today's) see
// a good server.

// leakPattern fills the bytes a lying request did not carry.
var leakPattern = []byte("tlstrace lab: made-up server memory, no secret in it. ")

// bleedConn is the server's side of a connection of the heartbleed fault.
type bleedConn struct{ recordConn }

func newBleedConn(c net.Conn) *bleedConn {
	b := &bleedConn{recordConn{Conn: c}}
	b.record = b.heartbeat
	return b
}

// heartbeat answers a heartbeat request record, and takes it out of the
// stream; it passes the other records on.
func (c *bleedConn) heartbeat(rec []byte) (bool, error) {
	if rec[0] != 24 {
		return true, nil
	}
	return false, c.bleed(rec)
}

// bleed answers a heartbeat request record with a response of the payload
// length it claims, padded with 16 bytes, as a vulnerable OpenSSL did.
func (c *bleedConn) bleed(rec []byte) error {
	body := rec[5:]
	if len(body) < 3 || body[0] != 1 {
		return nil
	}
	claimed := int(body[1])<<8 | int(body[2])
	payload := bytes.Clone(body[3:min(len(body), 3+claimed)])
	for len(payload) < claimed {
		payload = append(payload, leakPattern[:min(len(leakPattern), claimed-len(payload))]...)
	}
	msg := append([]byte{2, byte(claimed >> 8), byte(claimed)}, payload...)
	msg = append(msg, make([]byte, 16)...)
	out := append([]byte{24, rec[1], rec[2], byte(len(msg) >> 8), byte(len(msg))}, msg...)
	_, err := c.Conn.Write(out)
	return err
}
