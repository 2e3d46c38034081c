package trace

import (
	"math/big"
	"slices"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// This file holds the typed payloads of the tls layer: what consumers read
// of a handshake message, an alert or a record, instead of looking fields
// up by name in the display tree (which stays the -v view and the JSON
// `fields`). Each is filled by the decoder from wire's typed views, with
// names resolved from wire's registries so that renderers need not import
// wire. A payload is not modified after its event is emitted.

// Event types of the tls layer named after handshake messages (RFC 8446,
// Section 4; RFC 5246, Section 7.4), as in the JSON contract.
const (
	TypeClientHello         = "client_hello"
	TypeServerHello         = "server_hello"
	TypeHelloRetryRequest   = "hello_retry_request"
	TypeNewSessionTicket    = "new_session_ticket"
	TypeEncryptedExtensions = "encrypted_extensions"
	TypeCertificate         = "certificate"
	TypeServerKeyExchange   = "server_key_exchange"
	TypeCertificateRequest  = "certificate_request"
	TypeServerHelloDone     = "server_hello_done"
	TypeCertificateVerify   = "certificate_verify"
	TypeClientKeyExchange   = "client_key_exchange"
	TypeFinished            = "finished"
	TypeCertificateStatus   = "certificate_status"
	TypeKeyUpdate           = "key_update"
)

// Message is the payload of a handshake message event. MsgType is always
// set; the view of the message's own type is set when the message was
// decoded far enough to fill it.
type Message struct {
	// MsgType is msg_type as on the wire (a HelloRetryRequest has 2).
	MsgType Enum
	// HasMsgType reports whether the bytes held a msg_type at all.
	HasMsgType bool

	ClientHello *ClientHello     // client_hello
	ServerHello *ServerHello     // server_hello, hello_retry_request
	Certificate *CertificateList // certificate
	Signed      *Signed          // certificate_verify, server_key_exchange
	// ClientKeyExchange is set for client_key_exchange.
	ClientKeyExchange *ClientKeyExchange
	Ticket            *NewSessionTicket // new_session_ticket
	KeyUpdate         *KeyUpdate        // key_update
	// EncryptedExtensions is set for encrypted_extensions.
	EncryptedExtensions *EncryptedExtensions
	// CertificateRequest is set for certificate_request.
	CertificateRequest *CertificateRequest
	// FinishedVerified reports whether the verify_data of an SSL 3.0 or
	// TLS 1.0-1.2 finished was checked and matches the master secret and
	// the handshake messages; false when it was not checked (no master
	// secret) or does not match (the event's Error says so).
	FinishedVerified bool
}

// CertificateRequest is what a server asks of the client's certificate
// (RFC 8446, Section 4.3.2; RFC 5246, Section 7.4.4).
type CertificateRequest struct {
	// SignatureAlgorithms are the signature algorithms it accepts; none
	// before TLS 1.2.
	SignatureAlgorithms []Enum
	// Authorities are the CAs it names, as distinguished names in text
	// ("" for one that does not parse); none when it names none, as a
	// server that takes a certificate from any CA does.
	Authorities []string
}

// EncryptedExtensions lists the extensions a TLS 1.3 server sent
// encrypted (RFC 8446, Section 4.3.1).
type EncryptedExtensions struct {
	Extensions []Enum
	// ALPN is the protocol the server selected (one name when well
	// formed); nil if absent.
	ALPN []string
	// EarlyData says, when the ClientHello offered early data, whether
	// the server accepted it: an early_data extension here (RFC 8446,
	// Section 4.2.10). Rejected, the client's 0-RTT records were
	// discarded. Nil when none was offered.
	EarlyData *bool
}

// ALPN returns the protocols a ServerHello or EncryptedExtensions selected,
// nil for other messages or when there was no ALPN extension.
func (m *Message) ALPN() []string {
	switch {
	case m.ServerHello != nil:
		return m.ServerHello.ALPN
	case m.EncryptedExtensions != nil:
		return m.EncryptedExtensions.ALPN
	}
	return nil
}

// ClientHello is what a client offered (RFC 8446, Section 4.1.2; RFC 5246,
// Section 7.4.1.2). A list is nil when its field or extension was absent
// and empty (not nil) when it was present with no entries.
type ClientHello struct {
	// LegacyVersion is legacy_version (client_version before TLS 1.3).
	LegacyVersion Enum
	// SSLv2 reports whether the hello came in the SSL 2.0 compatible
	// format (RFC 5246, Appendix E.2).
	SSLv2 bool
	// ServerName is the first host_name of server_name (RFC 6066,
	// Section 3), "" if none.
	ServerName string
	// HasServerName reports whether a host_name was sent.
	HasServerName bool

	CipherSuites        []Enum
	Compression         []Enum
	Extensions          []Enum // extension types, in the order sent
	SupportedVersions   []Enum
	Groups              []Enum // supported_groups
	KeyShares           []Enum // the groups of key_share
	SignatureAlgorithms []Enum
	PointFormats        []Enum
	ALPN                []string
	// PSKIdentities counts the pre_shared_key identities offered.
	PSKIdentities int
	// EarlyData reports whether the early_data extension was sent.
	EarlyData bool
}

// ServerHello is what a server chose (RFC 8446, Section 4.1.3), or asked
// for in a HelloRetryRequest (Section 4.1.4). Pointers are nil for what
// the message did not hold.
type ServerHello struct {
	HelloRetry    bool
	LegacyVersion *Enum
	// SelectedVersion is the supported_versions extension.
	SelectedVersion *Enum
	CipherSuite     *Enum
	Compression     *Enum
	// KeyShare is the group of the server's key share, or the group a
	// HelloRetryRequest asks for.
	KeyShare *Enum
	// ALPN is the application_layer_protocol_negotiation extension (one
	// protocol when well formed); nil if absent.
	ALPN                 []string
	Extensions           []Enum
	SelectedPSK          bool
	EncryptThenMAC       bool
	ExtendedMasterSecret bool
}

// Version returns the version the server chose: supported_versions if
// present, legacy_version otherwise; nil if neither was read.
func (s *ServerHello) Version() *Enum {
	if s.SelectedVersion != nil {
		return s.SelectedVersion
	}
	return s.LegacyVersion
}

// CertificateList is a Certificate message's list (RFC 8446, Section
// 4.4.2): one subject per certificate, "" for one that does not parse.
type CertificateList struct {
	Subjects []string
	// DER holds each certificate as sent.
	DER [][]byte
}

// Signed names the signature (and ECDHE group) of a CertificateVerify or
// ServerKeyExchange; nil when the message does not hold it.
type Signed struct {
	Scheme *Enum
	Group  *Enum
	// DHPrimeBits is the size in bits of the prime (dh_p) of a DHE or
	// DH_anon ServerKeyExchange (RFC 5246, Section 7.4.3), leading zero
	// bits not counted; 0 when the message has none.
	DHPrimeBits int
	// PSKIdentityHint is the psk_identity_hint of a ServerKeyExchange of
	// a PSK suite (RFC 4279, Sections 2 to 4; RFC 5489, Section 2); nil
	// when the message has none (an empty hint is empty, not nil).
	PSKIdentityHint []byte
	// RSAParams is the temporary RSA key of an RSA_EXPORT
	// ServerKeyExchange (ServerRSAParams, RFC 2246, Section 7.4.3); its
	// signature's scheme, from TLS 1.2 on, is Scheme.
	RSAParams *RSAParams
}

// RSAParams is the ServerRSAParams of an RSA_EXPORT ServerKeyExchange
// (RFC 2246, Section 7.4.3).
type RSAParams struct {
	Modulus, Exponent []byte
	// ModulusBits is the size of the modulus in bits, leading zero bits
	// not counted (512 at most for an export suite).
	ModulusBits int
}

// ClientKeyExchange is what a ClientKeyExchange names (RFC 5246, Section
// 7.4.7): the psk_identity of a PSK suite (RFC 4279, Sections 2 to 4; RFC
// 5489, Section 2).
type ClientKeyExchange struct {
	// PSKIdentity is nil when the message has none (an empty identity is
	// empty, not nil).
	PSKIdentity []byte
}

// NewSessionTicket is a ticket's lifetime (RFC 8446, Section 4.6.1: a
// lifetime; RFC 5077, Section 3.3: a lifetime hint).
type NewSessionTicket struct {
	TLS13 bool
	// Lifetime in seconds; nil if the message ended before it.
	Lifetime *uint32
}

// KeyUpdate is a KeyUpdate's request_update (RFC 8446, Section 4.6.3).
type KeyUpdate struct {
	Request Enum
}

// Alert is an alert record's level and description (RFC 8446, Section 6);
// nil for what the record did not hold.
type Alert struct {
	Level       *Enum
	Description *Enum
}

// Fatal reports whether the alert's level is fatal (2).
func (a *Alert) Fatal() bool { return a.Level != nil && a.Level.Value == uint64(wire.AlertFatal) }

// Data is the payload of application_data, heartbeat and other content
// records, and of encrypted_record: the plaintext length, and the
// plaintext itself when it was read (nil for an encrypted_record). The
// bytes are lent like the event's (see Event.Clone).
type Data struct {
	Length int
	Bytes  []byte
	// ErrorSaid is set on an encrypted_record whose Error an earlier
	// encrypted_record of the connection already gave (with no key, every
	// record fails for one reason): a view for people says it once. The
	// event still carries the Error.
	ErrorSaid bool
	// Masked are the spans of Bytes (the event's Raw) that tlstrace
	// overwrote with '*' before the event was shown: a password it sent
	// (client.Conversation.Withhold). They are not the bytes sent.
	Masked []Span
}

// Span is a run of bytes: its offset and length.
type Span struct {
	Offset, Length int
}

func enum16(v uint16, name func(uint16) string) Enum {
	return Enum{Name: name(v), Value: uint64(v)}
}

func enums16(v []uint16, name func(uint16) string) []Enum {
	if v == nil {
		return nil
	}
	out := make([]Enum, len(v))
	for i, x := range v {
		out[i] = enum16(x, name)
	}
	return out
}

func enums8(v []uint8, name func(uint8) string) []Enum {
	if v == nil {
		return nil
	}
	out := make([]Enum, len(v))
	for i, x := range v {
		out[i] = Enum{Name: name(x), Value: uint64(x)}
	}
	return out
}

func enumPtr(e Enum) *Enum { return &e }

// NewMessage turns wire's typed views into the event payload; msgType is
// the msg_type byte, or -1 when the bytes held none.
func NewMessage(m *wire.Message, msgType int) *Message {
	p := &Message{}
	if msgType >= 0 {
		p.MsgType = Enum{Name: wire.HandshakeType(msgType).String(), Value: uint64(msgType)}
		p.HasMsgType = true
	}
	if ch := m.ClientHello; ch != nil {
		h := &ClientHello{
			LegacyVersion:       enum16(ch.Version, wire.VersionName),
			SSLv2:               ch.SSLv2,
			ServerName:          ch.ServerName,
			HasServerName:       ch.HasServerName,
			CipherSuites:        enums16(ch.CipherSuites, wire.SuiteNameOrGREASE),
			Compression:         enums8(ch.Compression, wire.CompressionMethodName),
			SupportedVersions:   enums16(ch.SupportedVersions, wire.VersionName),
			Groups:              enums16(ch.Groups, wire.GroupName),
			KeyShares:           enums16(ch.KeyShareGroups, wire.GroupName),
			SignatureAlgorithms: enums16(ch.SignatureSchemes, wire.SignatureSchemeName),
			PointFormats:        enums8(ch.PointFormats, wire.ECPointFormatName),
			ALPN:                ch.ALPN,
			PSKIdentities:       ch.PSKIdentities,
			EarlyData:           ch.EarlyData,
		}
		for _, e := range ch.Extensions {
			h.Extensions = append(h.Extensions, enum16(e.Type, wire.ExtensionName))
		}
		p.ClientHello = h
	}
	if sh := m.ServerHello; sh != nil {
		s := &ServerHello{
			HelloRetry:           sh.HelloRetry,
			ALPN:                 sh.ALPN,
			SelectedPSK:          sh.SelectedPSK,
			EncryptThenMAC:       sh.EncryptThenMAC,
			ExtendedMasterSecret: sh.ExtendedMasterSecret,
		}
		if sh.Has&wire.HasLegacyVersion != 0 {
			s.LegacyVersion = enumPtr(enum16(sh.Version, wire.VersionName))
		}
		if sh.Has&wire.HasCipherSuite != 0 {
			s.CipherSuite = enumPtr(enum16(sh.CipherSuite, wire.CipherSuiteName))
		}
		if sh.Has&wire.HasCompression != 0 {
			s.Compression = enumPtr(Enum{Name: wire.CompressionMethodName(sh.Compression), Value: uint64(sh.Compression)})
		}
		if sh.Has&wire.HasSelectedVersion != 0 {
			s.SelectedVersion = enumPtr(enum16(sh.SelectedVersion, wire.VersionName))
		}
		if sh.Has&wire.HasKeyShare != 0 {
			s.KeyShare = enumPtr(enum16(sh.KeyShareGroup, wire.GroupName))
		}
		for _, e := range sh.Extensions {
			s.Extensions = append(s.Extensions, enum16(e.Type, wire.ExtensionName))
		}
		p.ServerHello = s
	}
	if c := m.Certificate; c != nil && c.Certs != nil {
		p.Certificate = &CertificateList{Subjects: c.Subjects, DER: c.Certs}
	}
	if sg := m.Signed; sg != nil {
		s := &Signed{DHPrimeBits: sg.DHPrimeBits}
		if sg.HasScheme {
			s.Scheme = enumPtr(enum16(sg.Scheme, wire.SignatureSchemeName))
		}
		if sg.HasGroup {
			s.Group = enumPtr(enum16(sg.Group, wire.GroupName))
		}
		if sg.HasPSKIdentityHint {
			s.PSKIdentityHint = append([]byte{}, sg.PSKIdentityHint...)
		}
		if sg.RSAModulus != nil {
			s.RSAParams = &RSAParams{Modulus: clone(sg.RSAModulus), Exponent: clone(sg.RSAExponent),
				ModulusBits: new(big.Int).SetBytes(sg.RSAModulus).BitLen()}
		}
		p.Signed = s
	}
	if k := m.ClientKeyExchange; k != nil && k.HasPSKIdentity {
		p.ClientKeyExchange = &ClientKeyExchange{PSKIdentity: append([]byte{}, k.PSKIdentity...)}
	}
	if t := m.Ticket; t != nil {
		n := &NewSessionTicket{TLS13: t.TLS13}
		if t.HasLifetime {
			l := t.Lifetime
			n.Lifetime = &l
		}
		p.Ticket = n
	}
	if ee := m.EncryptedExtensions; ee != nil {
		e := &EncryptedExtensions{ALPN: ee.ALPN}
		for _, x := range ee.Extensions {
			e.Extensions = append(e.Extensions, enum16(x.Type, wire.ExtensionName))
		}
		p.EncryptedExtensions = e
	}
	if cr := m.CertificateRequest; cr != nil {
		p.CertificateRequest = &CertificateRequest{SignatureAlgorithms: enums16(cr.SignatureSchemes, wire.SignatureSchemeName),
			Authorities: slices.Clone(cr.Authorities)}
	}
	if k := m.KeyUpdate; k != nil {
		p.KeyUpdate = &KeyUpdate{Request: Enum{Name: wire.KeyUpdateRequestName(k.Request), Value: uint64(k.Request)}}
	}
	return p
}

// alertPayload reads an alert record's two bytes (RFC 8446, Section 6).
func alertPayload(b []byte) *Alert {
	a := &Alert{}
	if len(b) >= 1 {
		a.Level = &Enum{Name: wire.AlertLevel(b[0]).String(), Value: uint64(b[0])}
	}
	if len(b) >= 2 {
		a.Description = &Enum{Name: wire.AlertDescription(b[1]).String(), Value: uint64(b[1])}
	}
	return a
}

// HandshakeFragment is the payload of a handshake_fragment event: a
// handshake record that completes no message, holding part of one that
// spans records (RFC 8446, Section 5.1; RFC 5246, Section 6.2.1), or
// nothing at all (an empty record, which those sections forbid).
type HandshakeFragment struct {
	// Message is the type of the message it is part of; its Name is ""
	// for an empty record while no message is begun.
	Message Enum
	// Bytes is how many bytes of the message the record holds; Held how
	// many have come so far, this record's included.
	Bytes, Held int
	// Length is the message's length with its 4-byte header, 0 while the
	// header itself is not whole.
	Length int
}

// Tree is the fields of the event (JSON).
func (p *HandshakeFragment) Tree() *field.Node {
	f := field.NewObject("")
	if p.Message.Name != "" {
		f.AddEnum("message", p.Message.Value, p.Message.Name)
	}
	f.AddUint("bytes", uint64(p.Bytes))
	f.AddUint("held", uint64(p.Held))
	if p.Length > 0 {
		f.AddUint("length", uint64(p.Length))
	}
	return f
}
