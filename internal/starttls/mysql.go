package starttls

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tlstrace/tlstrace/internal/trace"
)

func init() {
	register(&Protocol{
		Name: "mysql", Title: "MySQL", Port: 3306,
		Upgrade: mysqlUpgrade,
	})
}

// MySQL's capability flags that the upgrade reads or sends (MySQL's
// Client/Server Protocol, "Capability Flags").
const (
	mysqlLongPassword       = 0x00000001
	mysqlProtocol41         = 0x00000200
	mysqlSSL                = 0x00000800
	mysqlSecureConnection   = 0x00008000
	mysqlHandshakeV10       = 10
	mysqlErrPacket          = 0xff
	mysqlMaxPacket          = 1 << 24 // the SSLRequest's max packet size: 16 MiB
	mysqlCharsetUTF8        = 33      // utf8_general_ci, as openssl s_client sends
	mysqlSSLRequestLen      = 32
	mysqlClientCapabilities = mysqlLongPassword | mysqlProtocol41 | mysqlSSL | mysqlSecureConnection
)

// maxMySQLGreeting bounds the server's first packet: a Handshake v10 is
// about a hundred bytes (its longest parts are the server's version and
// the name of an authentication plugin).
const maxMySQLGreeting = 4 << 10

// mysqlHandshake is what the upgrade reads of a server's Handshake v10
// packet (MySQL's Client/Server Protocol, "Protocol::HandshakeV10").
type mysqlHandshake struct {
	// Version is the server's version string ("11.8.3-MariaDB-0+deb13u1").
	Version string
	// ConnID is the connection's id.
	ConnID uint32
	// Capabilities holds the lower 16 bits of the flags, and the upper
	// 16 when the packet has them.
	Capabilities uint32
	// Charset is the server's character set, 0 when the packet ends
	// before it.
	Charset uint8
	// Long says whether the packet goes past the lower capability flags.
	Long bool
}

// mysqlError is a server's ERR packet in place of its greeting (MySQL's
// Client/Server Protocol, "ERR_Packet"): too many connections, a host
// not allowed to connect.
type mysqlError struct {
	Code    uint16
	Message string
}

// errMySQLShort is a packet that ends inside a field.
var errMySQLShort = errors.New("the packet ends inside a field")

// parseMySQLGreeting reads the payload of a server's first packet: a
// Handshake v10 or an ERR packet (one of the two is nil).
func parseMySQLGreeting(b []byte) (*mysqlHandshake, *mysqlError, error) {
	if len(b) == 0 {
		return nil, nil, errMySQLShort
	}
	switch b[0] {
	case mysqlErrPacket:
		if len(b) < 3 {
			return nil, nil, errMySQLShort
		}
		e := &mysqlError{Code: binary.LittleEndian.Uint16(b[1:3])}
		msg := b[3:]
		// A '#' and a five-character SQL state come before the message.
		if len(msg) >= 6 && msg[0] == '#' {
			msg = msg[6:]
		}
		e.Message = string(msg)
		return nil, e, nil
	case mysqlHandshakeV10:
	default:
		return nil, nil, fmt.Errorf("protocol version %d, not 10", b[0])
	}
	b = b[1:]
	end := bytes.IndexByte(b, 0)
	if end < 0 {
		return nil, nil, errors.New("the server version has no terminating NUL")
	}
	h := &mysqlHandshake{Version: string(b[:end])}
	b = b[end+1:]
	// connection id (4), auth-plugin-data-part-1 (8), filler (1),
	// capability flags, lower 2 bytes.
	if len(b) < 4+8+1+2 {
		return nil, nil, errMySQLShort
	}
	h.ConnID = binary.LittleEndian.Uint32(b[0:4])
	h.Capabilities = uint32(binary.LittleEndian.Uint16(b[13:15]))
	b = b[15:]
	if len(b) == 0 {
		return h, nil, nil
	}
	// character set (1), status flags (2), capability flags, upper 2
	// bytes; the rest (the authentication data and plugin) is not read.
	if len(b) < 1+2+2 {
		return nil, nil, errMySQLShort
	}
	h.Long = true
	h.Charset = b[0]
	h.Capabilities |= uint32(binary.LittleEndian.Uint16(b[3:5])) << 16
	return h, nil, nil
}

// appendMySQLSSLRequest appends the SSLRequest packet (MySQL's
// Client/Server Protocol, "Protocol::SSLRequest"): the header (length 32,
// sequence id 1), then the capability flags with CLIENT_SSL, the max
// packet size, the character set and 23 zero bytes.
func appendMySQLSSLRequest(b []byte) []byte {
	b = append(b, mysqlSSLRequestLen, 0, 0, 1)
	b = binary.LittleEndian.AppendUint32(b, mysqlClientCapabilities)
	b = binary.LittleEndian.AppendUint32(b, mysqlMaxPacket)
	b = append(b, mysqlCharsetUTF8)
	return append(b, make([]byte, 23)...)
}

// readMySQLPacket reads one packet (MySQL's Client/Server Protocol,
// "MySQL Packets"): a 3-byte little-endian length, a sequence id, then
// the payload, of at most max bytes.
func readMySQLPacket(d *Dialog, max int) (payload []byte, seq byte, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(d.Reader(), hdr[:]); err != nil {
		return nil, 0, &ClosedError{Protocol: d.Protocol.Name, Err: err}
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if n > max {
		d.Show(trace.Server, fmt.Sprintf("a packet of %d bytes (seq %d), too long for a greeting", n, hdr[3]))
		return nil, 0, &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the server's first packet is %d bytes long, more than the %d of a greeting", n, max)}
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(d.Reader(), payload); err != nil {
		return nil, 0, &ClosedError{Protocol: d.Protocol.Name, Err: err}
	}
	return payload, hdr[3], nil
}

// mysqlUpgrade reads the server's greeting, a Handshake v10 that offers
// CLIENT_SSL, then sends the SSLRequest that starts TLS (MySQL's
// Client/Server Protocol, "SSL Handshake").
func mysqlUpgrade(d *Dialog) error {
	payload, seq, err := readMySQLPacket(d, maxMySQLGreeting)
	if err != nil {
		return err
	}
	h, e, err := parseMySQLGreeting(payload)
	switch {
	case err != nil:
		d.Show(trace.Server, fmt.Sprintf("a packet of %d bytes (seq %d) that is no Handshake v10: %v", len(payload), seq, err))
		return &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the server's greeting is no Handshake v10: %v", err)}
	case e != nil:
		d.Show(trace.Server, fmt.Sprintf("ERR packet (%d bytes, seq %d): error %d: %q", len(payload), seq, e.Code, e.Message))
		return &RefusedError{Protocol: d.Protocol.Name, Step: "greeting", Answer: fmt.Sprintf("error %d: %s", e.Code, e.Message), Want: "a Handshake v10 packet"}
	}
	ssl := "SSL offered (CLIENT_SSL)"
	if h.Capabilities&mysqlSSL == 0 {
		ssl = "SSL not offered (no CLIENT_SSL)"
	}
	d.Show(trace.Server, fmt.Sprintf("Handshake v10 (%d bytes, seq %d): server %q, connection %d, capabilities 0x%08x, %s",
		len(payload), seq, h.Version, h.ConnID, h.Capabilities, ssl))
	if h.Capabilities&mysqlSSL == 0 {
		return &RefusedError{Protocol: d.Protocol.Name, Step: "greeting",
			Answer: fmt.Sprintf("capabilities 0x%08x without CLIENT_SSL: the server offers no TLS", h.Capabilities), Want: "CLIENT_SSL"}
	}
	d.Show(trace.Client, fmt.Sprintf("SSLRequest (%d bytes, seq 1): capabilities 0x%08x with CLIENT_SSL, max packet %d, character set %d",
		mysqlSSLRequestLen, mysqlClientCapabilities, mysqlMaxPacket, mysqlCharsetUTF8))
	return d.Write(appendMySQLSSLRequest(nil))
}
