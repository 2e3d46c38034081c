package lab

import "net"

// recordConn is the server's side of a connection whose client records a
// fault reads before crypto/tls does, up to the client's ChangeCipherSpec
// (the records after it are encrypted, and go on unread): record is given
// each whole record and says whether to pass it on to the server, or ends
// the connection with an error.
type recordConn struct {
	net.Conn
	record func(rec []byte) (pass bool, err error)
	// in holds the client's bytes read but not yet framed; out those
	// framed and given to the server; open is set once the client's
	// ChangeCipherSpec was passed on.
	in, out []byte
	open    bool
}

func (c *recordConn) Read(p []byte) (int, error) {
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

// frame gives the whole records of c.in to record, and moves those it
// passes to c.out, up to the client's ChangeCipherSpec.
func (c *recordConn) frame() error {
	for !c.open && len(c.in) >= 5 {
		n := 5 + (int(c.in[3])<<8 | int(c.in[4]))
		if len(c.in) < n {
			return nil
		}
		rec := c.in[:n]
		c.in = c.in[n:]
		pass, err := c.record(rec)
		if err != nil {
			return err
		}
		if !pass {
			continue
		}
		if rec[0] == 20 { // change_cipher_spec
			c.open = true
		}
		c.out = append(c.out, rec...)
	}
	return nil
}

// handshakeMessages cuts the client's handshake records into messages.
type handshakeMessages struct{ buf []byte }

// add takes the body of a handshake record, and calls each with the type
// and body of every message it completes.
func (h *handshakeMessages) add(body []byte, each func(typ byte, msg []byte) error) error {
	h.buf = append(h.buf, body...)
	for len(h.buf) >= 4 {
		m := 4 + (int(h.buf[1])<<16 | int(h.buf[2])<<8 | int(h.buf[3]))
		if len(h.buf) < m {
			return nil
		}
		if err := each(h.buf[0], h.buf[4:m]); err != nil {
			return err
		}
		h.buf = h.buf[m:]
	}
	return nil
}
