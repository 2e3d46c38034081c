package wire

import (
	"github.com/tlstrace/tlstrace/internal/field"
)

// Context is what the decoder knows about the connection when a message
// arrives. Several messages cannot be decoded without it: the form of
// certificate, certificate_request and new_session_ticket depends on the
// version, that of server_key_exchange and client_key_exchange on the key
// exchange of the cipher suite.
type Context struct {
	// Version is the negotiated version, 0 before the ServerHello.
	Version uint16
	// CipherSuite is the negotiated cipher suite, 0 before the ServerHello.
	CipherSuite uint16
	// FromServer reports whether the message was sent by the server.
	FromServer bool
	// HelloRetry reports whether the server_hello being decoded is a
	// HelloRetryRequest; set by ParseHandshake itself.
	HelloRetry bool
}

// Message is one decoded handshake message.
type Message struct {
	// Type is the message type as on the wire, except that a
	// HelloRetryRequest (a server_hello with the special random) has type
	// TypeHelloRetryRequest.
	Type HandshakeType
	// Raw is the whole message: the 4-byte header and the body. It is not
	// copied; callers that keep it past the buffer's life must copy it.
	Raw []byte
	// Fields is the decoded field tree (an Object). Offsets are relative to
	// Raw[0].
	Fields *field.Node
	// Anomalies lists what was unusual about the message.
	Anomalies []field.Anomaly
	// Err is set when the message could not be decoded to the end; Fields
	// then holds what was read before the failure.
	Err error

	// Typed views of the messages the connection decoder acts on.
	ClientHello *ClientHello // client_hello
	ServerHello *ServerHello // server_hello and hello_retry_request
	KeyUpdate   *KeyUpdate   // key_update
	// Certificate is set for certificate messages.
	Certificate *Certificate
	// Signed is set for the messages that carry a signature or key
	// exchange parameters: certificate_verify, server_key_exchange.
	Signed *Signed
	// Ticket is set for new_session_ticket.
	Ticket *NewSessionTicket
	// EncryptedExtensions is set for encrypted_extensions.
	EncryptedExtensions *EncryptedExtensions
	// ClientKeyExchange is set for client_key_exchange.
	ClientKeyExchange *ClientKeyExchange
	// Finished is set for finished.
	Finished *Finished
	// CertificateRequest is set for certificate_request.
	CertificateRequest *CertificateRequest
	// CertificateStatus is set for certificate_status.
	CertificateStatus *CertificateStatus
}

// CertificateStatus is the OCSP response a TLS 1.0-1.2 server staples
// after its Certificate (RFC 6066, Section 8). Not copied.
type CertificateStatus struct {
	// StatusType is status_type: 1 (ocsp) is the only one RFC 6066
	// defines.
	StatusType uint8
	// OCSPResponse is the DER OCSPResponse (RFC 6960, Section 4.2.1).
	OCSPResponse []byte
}

// CertificateRequest is what a server asks of a client certificate (RFC
// 8446, Section 4.3.2; RFC 5246, Section 7.4.4).
type CertificateRequest struct {
	// SignatureSchemes are the signature algorithms it accepts (TLS 1.2
	// and 1.3; none before TLS 1.2).
	SignatureSchemes []uint16
	// Authorities are the distinguished names of the CAs it names, as
	// text ("" for one that does not parse); none when it names none.
	Authorities []string
}

// Finished holds the verify_data of a Finished message (RFC 8446, Section
// 4.4.4; RFC 5246, Section 7.4.9); for SSL 3.0, md5_hash and sha_hash
// one after the other (RFC 6101, Section 5.6.9). Not copied.
type Finished struct {
	VerifyData []byte
	// Fields are the nodes of the field tree that hold it: verify_data,
	// or md5_hash and sha_hash.
	Fields []*field.Node
}

// ssl3FinishedLen is the length of an SSL 3.0 Finished: md5_hash and
// sha_hash (RFC 6101, Section 5.6.9).
const ssl3FinishedLen = 16 + 20

// ClientKeyExchange holds what the connection decoder needs of a
// ClientKeyExchange (RFC 5246, Section 7.4.7).
type ClientKeyExchange struct {
	// PSKIdentity is the psk_identity of a PSK, DHE_PSK, ECDHE_PSK or
	// RSA_PSK ClientKeyExchange (RFC 4279, Sections 2 to 4; RFC 5489,
	// Section 2), if HasPSKIdentity; not copied.
	PSKIdentity    []byte
	HasPSKIdentity bool
	// EncryptedPreMasterSecret is the RSA-encrypted premaster secret of an
	// RSA key exchange (RFC 5246, Section 7.4.7.1), not copied; nil for
	// other key exchanges or when the message ended before it.
	EncryptedPreMasterSecret []byte
}

// EncryptedExtensions holds the extensions of an EncryptedExtensions
// message (RFC 8446, Section 4.3.1).
type EncryptedExtensions struct {
	Extensions []Extension
	// ALPN is the application_layer_protocol_negotiation extension's
	// protocol_name_list, nil if absent.
	ALPN []string
}

// Certificate lists the certificates of a Certificate message (RFC 8446,
// Section 4.4.2; RFC 5246, Section 7.4.2), in the order sent.
type Certificate struct {
	// Certs holds each certificate's DER (not copied).
	Certs [][]byte
	// Subjects holds each certificate's subject, "" for one that does not
	// parse.
	Subjects []string
	// Errs holds, for each certificate, why it does not parse (nil when
	// it parses).
	Errs []error
}

// Signed holds what identifies the signature and key exchange of a
// CertificateVerify (RFC 8446, Section 4.4.3) or ServerKeyExchange (RFC
// 5246, Section 7.4.3; RFC 8422, Section 5.4).
type Signed struct {
	// Scheme is the signature scheme, if HasScheme (the message names
	// none before TLS 1.2).
	Scheme    uint16
	HasScheme bool
	// Group is the named curve of an ECDHE ServerKeyExchange, if HasGroup.
	Group    uint16
	HasGroup bool
	// DHPrimeBits is the size in bits of dh_p of a DHE or DH_anon
	// ServerKeyExchange (RFC 5246, Section 7.4.3), leading zero bits not
	// counted; 0 when the message has no prime.
	DHPrimeBits int
	// DHPrime and DHGenerator are dh_p and dh_g of a DHE or DH_anon
	// ServerKeyExchange as sent (big-endian), nil when the message ended
	// before them; not copied.
	DHPrime, DHGenerator []byte
	// PSKIdentityHint is the psk_identity_hint of a PSK, DHE_PSK,
	// ECDHE_PSK or RSA_PSK ServerKeyExchange (RFC 4279, Sections 2 to
	// 4; RFC 5489, Section 2), if HasPSKIdentityHint; not copied.
	PSKIdentityHint    []byte
	HasPSKIdentityHint bool
	// Signature is the signature of a CertificateVerify and
	// SignatureField its node in the field tree; nil for other messages
	// and when the message ended before it. Not copied.
	Signature      []byte
	SignatureField *field.Node
	// RSAModulus and RSAExponent are the ServerRSAParams of an
	// RSA_EXPORT ServerKeyExchange (RFC 2246, Section 7.4.3), nil when
	// the message ended before them; not copied.
	RSAModulus, RSAExponent []byte
}

// NewSessionTicket holds a NewSessionTicket (RFC 8446, Section 4.6.1; RFC
// 5077, Section 3.3).
type NewSessionTicket struct {
	// Lifetime is ticket_lifetime (TLS 1.3) or ticket_lifetime_hint
	// (before), in seconds, if HasLifetime.
	Lifetime    uint32
	HasLifetime bool
	// TLS13 reports whether the message has the TLS 1.3 form.
	TLS13 bool
	// Ticket is the ticket (not copied), nil if the message ended before.
	Ticket []byte
}

// Extension is one extension as it was on the wire.
type Extension struct {
	Type uint16
	Data []byte
}

// ClientHello holds the ClientHello fields the connection decoder needs
// (RFC 8446, Section 4.1.2; RFC 5246, Section 7.4.1.2).
type ClientHello struct {
	Version      uint16 // legacy_version
	Random       []byte
	SessionID    []byte
	CipherSuites []uint16
	Extensions   []Extension
	// SupportedVersions lists the supported_versions extension, if present.
	SupportedVersions []uint16
	// KeyShareGroups lists the groups of the key_share extension.
	KeyShareGroups []uint16
	// PSKIdentities counts the pre_shared_key identities offered.
	PSKIdentities int
	// EarlyData reports whether the client sent the early_data extension.
	EarlyData bool
	// ServerName is the first host_name of the server_name extension;
	// HasServerName reports whether there was one.
	ServerName    string
	HasServerName bool
	// Groups lists the supported_groups extension.
	Groups []uint16
	// SignatureSchemes lists the signature_algorithms extension.
	SignatureSchemes []uint16
	// PointFormats lists the ec_point_formats extension.
	PointFormats []uint8
	// ALPN lists the protocols of the application_layer_protocol_negotiation
	// extension.
	ALPN []string
	// Lists above are nil when their field or extension was absent, and
	// empty (not nil) when present with no entries.
	// Compression lists legacy_compression_methods.
	Compression []uint8
	// SSLv2 reports whether the hello came in the SSL 2.0 compatible format.
	SSLv2 bool
}

// ServerHello holds the ServerHello fields the connection decoder needs.
type ServerHello struct {
	Version     uint16 // legacy_version
	Random      []byte
	SessionID   []byte
	CipherSuite uint16
	Compression uint8
	Extensions  []Extension
	// SelectedVersion is the supported_versions extension, 0 if absent.
	SelectedVersion uint16
	// HelloRetry reports whether this is a HelloRetryRequest.
	HelloRetry bool
	// SelectedPSK reports whether the server accepted a pre_shared_key.
	SelectedPSK bool
	// KeyShareGroup is the group of the server's key_share (or the group
	// asked for by a HelloRetryRequest).
	KeyShareGroup uint16
	// EncryptThenMAC and ExtendedMasterSecret report the RFC 7366 and RFC
	// 7627 extensions.
	EncryptThenMAC       bool
	ExtendedMasterSecret bool
	// ALPN lists the protocol_name_list of the server's
	// application_layer_protocol_negotiation extension (one name when well
	// formed), nil if absent.
	ALPN []string
	// Has says which of the fixed fields and extensions above were read.
	Has ServerHelloFields
}

// ServerHelloFields is a set of ServerHello fields, for ServerHello.Has.
type ServerHelloFields uint8

// The fields of ServerHello.Has.
const (
	HasLegacyVersion ServerHelloFields = 1 << iota
	HasCipherSuite
	HasCompression
	HasSelectedVersion
	HasKeyShare
)

// NegotiatedVersion returns the version the server chose: the
// supported_versions extension if present, legacy_version otherwise.
func (s *ServerHello) NegotiatedVersion() uint16 {
	if s.SelectedVersion != 0 {
		return s.SelectedVersion
	}
	return s.Version
}

// KeyUpdate holds a KeyUpdate message (RFC 8446, Section 4.6.3).
type KeyUpdate struct {
	// UpdateRequested reports whether the sender asked the peer to update
	// its keys too.
	UpdateRequested bool
	// Request is request_update as on the wire (0 or 1 when valid).
	Request uint8
}

// HandshakeHeaderLen is the size of a handshake message header: type and a
// 24-bit length (RFC 8446, Section 4).
const HandshakeHeaderLen = 4

// ParseHandshake decodes one whole handshake message (header and body). It
// never fails outright: a malformed message yields Err and the fields read
// so far.
func ParseHandshake(ctx Context, raw []byte) *Message {
	m := &Message{Raw: raw, Fields: field.NewObject("")}
	d := &decoder{}
	if len(raw) < HandshakeHeaderLen {
		d.msg = "handshake"
		d.fail(0, "header", "need 4 bytes")
		m.Err = d.err
		return m
	}
	m.Type = HandshakeType(raw[0])
	if m.Type == TypeServerHello && len(raw) >= 4+2+32 && [32]byte(raw[6:38]) == helloRetryRandom {
		m.Type = TypeHelloRetryRequest
		ctx.HelloRetry = true
	}
	d.msg = m.Type.String()
	r := newReader(d, raw, 0, m.Fields)
	r.enum8("msg_type", func(v uint64) string { return HandshakeType(v).String() })
	n, _ := r.u24("length")
	body := r.s
	if int(n) != len(body) {
		d.anomaly(1, "length field says %d bytes, message holds %d", n, len(body))
		if int(n) < len(body) {
			body = body[:n]
		}
	}
	br := newReader(d, body, HandshakeHeaderLen, m.Fields)
	parseBody(&ctx, br, m)
	if d.err == nil {
		br.done(m.Type.String())
	}
	m.Anomalies = d.anomalies
	if d.err != nil {
		m.Err = d.err
	}
	return m
}
