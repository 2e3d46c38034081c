package capture

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// UDPTLS is a UDP flow of the capture that carries TLS in a way tlstrace
// does not decode: DTLS (RFC 6347, RFC 9147) or QUIC (RFC 9000, RFC 9001).
// It is said once per flow, at the first datagram that reads as one, so
// that such a capture does not read as empty.
type UDPTLS struct {
	Client, Server netip.AddrPort
	// FromClient: the datagram was sent by the client.
	FromClient bool
	Frame      int
	Time       time.Time
	// Protocol is "DTLS" or "QUIC".
	Protocol string
	// Version is what the datagram's header says: "DTLS 1.0" or "DTLS
	// 1.2" (the record version, which DTLS 1.3 records also carry),
	// "QUIC v1", "QUIC v2", "QUIC draft-NN", "QUIC version negotiation";
	// empty when the header does not say (a QUIC short header).
	Version string
	// First says what the datagram is: "ClientHello", "HelloVerifyRequest",
	// "ServerHello", another handshake message by number, "alert",
	// "application_data", "change_cipher_spec" for DTLS; the long header
	// packet type ("Initial", "0-RTT", "Handshake", "Retry") or "short
	// header" for QUIC.
	First string
	// ByPort says that the datagram was taken for QUIC by its port (443)
	// and its header's fixed bit alone: a short header carries no version.
	ByPort bool
}

// UDPTLSHandler is implemented by a Handler that is told of the DTLS and
// QUIC flows of the capture.
type UDPTLSHandler interface {
	UDPTLS(u UDPTLS)
}

// udpTLS looks at a UDP datagram that is not DNS: the first of its flow
// that reads as DTLS or QUIC is handed to the handler.
func (rd *reader) udpTLS(src, dst netip.AddrPort, ts time.Time, payload []byte) {
	h, ok := rd.h.(UDPTLSHandler)
	if !ok {
		return
	}
	k := keyOf(src, dst)
	if rd.udpSeen[k] || len(rd.udpSeen) >= rd.opts.MaxFlows {
		return
	}
	u, ok := classifyUDP(payload, src.Port() == 443 || dst.Port() == 443)
	if !ok {
		return
	}
	if rd.udpSeen == nil {
		rd.udpSeen = map[flowKey]bool{}
	}
	rd.udpSeen[k] = true
	// The sender of a ClientHello or of a QUIC Initial is the client;
	// otherwise the side on port 443, or the one with the higher
	// (ephemeral) port, as for TCP without a SYN.
	fromClient := u.First == "ClientHello" || (u.Protocol == "QUIC" && u.First == "Initial")
	if !fromClient && u.First != "HelloVerifyRequest" && u.First != "ServerHello" {
		switch {
		case dst.Port() == 443 && src.Port() != 443:
			fromClient = true
		case src.Port() == 443 && dst.Port() != 443:
		default:
			fromClient = src.Port() > dst.Port()
		}
	}
	u.Client, u.Server, u.FromClient = src, dst, fromClient
	if !fromClient {
		u.Client, u.Server = dst, src
	}
	u.Frame, u.Time = rd.frame, ts
	rd.stats.UDPTLS++
	h.UDPTLS(u)
}

// classifyUDP reads a datagram's first header as DTLS or QUIC. port443
// allows a QUIC short header, which says nothing of its protocol, to be
// taken for QUIC by its port.
func classifyUDP(b []byte, port443 bool) (UDPTLS, bool) {
	// DTLS record header (RFC 6347, Section 4.1; RFC 9147, Section 4):
	// type, version, epoch, sequence number (6 bytes), length.
	if len(b) >= 13 && b[0] >= 20 && b[0] <= 25 && b[1] == 0xFE && (b[2] == 0xFF || b[2] == 0xFD) {
		n := int(binary.BigEndian.Uint16(b[11:]))
		if n > 0 && n <= len(b)-13 {
			u := UDPTLS{Protocol: "DTLS", Version: map[byte]string{0xFF: "DTLS 1.0", 0xFD: "DTLS 1.2"}[b[2]]}
			epoch := binary.BigEndian.Uint16(b[3:])
			switch b[0] {
			case 20:
				u.First = "change_cipher_spec"
			case 21:
				u.First = "alert"
			case 22:
				u.First = "handshake"
				if epoch == 0 {
					// The handshake header (RFC 6347, Section 4.2.2):
					// its type first.
					u.First = map[byte]string{1: "ClientHello", 2: "ServerHello", 3: "HelloVerifyRequest"}[b[13]]
					if u.First == "" {
						u.First = fmt.Sprintf("handshake message %d", b[13])
					}
				}
			case 23:
				u.First = "application_data"
			case 24:
				u.First = "heartbeat"
			case 25:
				u.First = "tls12_cid"
			}
			return u, true
		}
	}
	if len(b) < 7 {
		return UDPTLS{}, false
	}
	if b[0]&0x80 == 0 {
		// A short header sets the fixed bit (RFC 9000, Section 17.3)
		// and names no version.
		if port443 && b[0]&0x40 != 0 && len(b) >= 21 {
			return UDPTLS{Protocol: "QUIC", First: "short header", ByPort: true}, true
		}
		return UDPTLS{}, false
	}
	// A long header (RFC 9000, Section 17.2): version, then the
	// destination and source connection IDs, each at most 20 bytes. The
	// fixed bit is set but in Version Negotiation (Section 17.2.1).
	v := binary.BigEndian.Uint32(b[1:])
	if v != 0 && b[0]&0x40 == 0 {
		return UDPTLS{}, false
	}
	dcid := int(b[5])
	if dcid > 20 || len(b) < 7+dcid {
		return UDPTLS{}, false
	}
	scid := int(b[6+dcid])
	if scid > 20 || len(b) < 7+dcid+scid {
		return UDPTLS{}, false
	}
	u := UDPTLS{Protocol: "QUIC"}
	types := [4]string{"Initial", "0-RTT", "Handshake", "Retry"}
	switch {
	case v == 0:
		u.Version, u.First = "QUIC version negotiation", "Version Negotiation"
		return u, true
	case v == 1:
		u.Version = "QUIC v1"
	case v == 0x6b3343cf:
		// QUIC v2 numbers its packet types otherwise (RFC 9369,
		// Section 3.2).
		u.Version = "QUIC v2"
		types = [4]string{"Retry", "Initial", "0-RTT", "Handshake"}
	case v>>8 == 0xff0000:
		u.Version = fmt.Sprintf("QUIC draft-%d", v&0xff)
	default:
		return UDPTLS{}, false
	}
	u.First = types[b[0]>>4&3]
	return u, true
}
