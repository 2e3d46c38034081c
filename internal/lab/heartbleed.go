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
type bleedConn struct {
	net.Conn
	// in holds the client's bytes read but not yet framed; out those
	// framed and given to the server; open is set once the client's
	// ChangeCipherSpec came (records are encrypted after it).
	in, out []byte
	open    bool
}

func (c *bleedConn) Read(p []byte) (int, error) {
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

// frame moves the whole records of c.in to c.out, answering the heartbeat
// requests among them instead, up to the client's ChangeCipherSpec.
func (c *bleedConn) frame() error {
	for !c.open && len(c.in) >= 5 {
		n := 5 + (int(c.in[3])<<8 | int(c.in[4]))
		if len(c.in) < n {
			return nil
		}
		rec := c.in[:n]
		c.in = c.in[n:]
		switch rec[0] {
		case 24: // heartbeat
			if err := c.bleed(rec); err != nil {
				return err
			}
			continue
		case 20: // change_cipher_spec
			c.open = true
		}
		c.out = append(c.out, rec...)
	}
	return nil
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
