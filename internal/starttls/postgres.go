package starttls

import (
	"encoding/binary"
	"fmt"

	"github.com/tlstrace/tlstrace/internal/trace"
)

func init() {
	// PostgreSQL 17's direct TLS (sslnegotiation=direct) starts TLS at
	// once on the usual port, with ALPN "postgresql" (the documentation's
	// Frontend/Backend Protocol chapter, "SSL Session Encryption"); it has
	// no port or URL scheme of its own.
	register(&Protocol{
		Name: "postgres", Title: "PostgreSQL", Port: 5432, ALPN: "postgresql",
		Upgrade: postgresUpgrade,
	})
}

// sslRequestCode is the code of PostgreSQL's SSLRequest: 1234 in the
// high 16 bits and 5679 in the low (the documentation's Frontend/Backend
// Protocol chapter, "Message Formats").
const sslRequestCode = 80877103

// postgresUpgrade is PostgreSQL's SSLRequest ("SSL Session Encryption"):
// 8 bytes, the message's length then the code; the
// server answers one byte, 'S' to go on with TLS or 'N' to refuse it.
// Nothing may follow the 'S' before the TLS handshake (CVE-2021-23222):
// Upgrade's check of the unread bytes finds it.
func postgresUpgrade(d *Dialog) error {
	var req [8]byte
	binary.BigEndian.PutUint32(req[0:4], 8)
	binary.BigEndian.PutUint32(req[4:8], sslRequestCode)
	d.Show(trace.Client, fmt.Sprintf("SSLRequest (8 bytes, code %d)", sslRequestCode))
	if err := d.Write(req[:]); err != nil {
		return err
	}
	b, err := d.Reader().ReadByte()
	if err != nil {
		return &ClosedError{Protocol: d.Protocol.Name, Err: err}
	}
	switch b {
	case 'S':
		d.Show(trace.Server, "S (TLS accepted)")
		return nil
	case 'N':
		d.Show(trace.Server, "N (TLS refused)")
		return &RefusedError{Protocol: d.Protocol.Name, Step: "SSLRequest", Answer: "N", Want: "S"}
	case 'E':
		// A server older than SSLRequest answers with an ErrorResponse
		// ("Message Formats"); its text is not read, for it may be long.
		d.Show(trace.Server, "E (an ErrorResponse, not an answer to SSLRequest)")
		return &ProtocolError{Protocol: d.Protocol.Name, Reason: "the server answered the SSLRequest with an ErrorResponse ('E'), not 'S' or 'N'"}
	}
	d.Show(trace.Server, fmt.Sprintf("0x%02x (neither S nor N)", b))
	return &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the server answered the SSLRequest with the byte 0x%02x, not 'S' or 'N'", b)}
}
