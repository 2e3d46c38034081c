package starttls

import (
	"encoding/binary"
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

// The server's greeting is read by the decoder's parser, which reads it
// in captures too.
type mysqlHandshake = trace.MySQLHandshake

var parseMySQLGreeting = trace.ParseMySQLGreeting

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
	d.Show(trace.Server, h.Line(len(payload), seq))
	if h.Capabilities&mysqlSSL == 0 {
		return &RefusedError{Protocol: d.Protocol.Name, Step: "greeting",
			Answer: fmt.Sprintf("capabilities 0x%08x without CLIENT_SSL: the server offers no TLS", h.Capabilities), Want: "CLIENT_SSL"}
	}
	d.Show(trace.Client, trace.MySQLSSLRequestLine(appendMySQLSSLRequest(nil)[4:], 1))
	return d.Write(appendMySQLSSLRequest(nil))
}
