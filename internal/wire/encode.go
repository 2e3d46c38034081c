// This file holds the encoders of handshake messages, extensions and alerts:
// cryptobyte builders beside the parsers, for the project's own handshake
// engine and for probes that write their own hellos. Each one writes the
// structure its parser reads, as the RFC named on it specifies; each returns
// a whole handshake message (4-byte header and body) unless said otherwise.
// Lengths that do not fit their prefix are errors, never truncated.

package wire

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
)

// Extension types the engine writes and reads (IANA "TLS ExtensionType
// Values").
const (
	ExtServerName           = extServerName
	ExtStatusRequest        = extStatusRequest
	ExtSupportedGroups      = extSupportedGroups
	ExtECPointFormats       = extECPointFormats
	ExtSignatureAlgorithms  = extSignatureAlgorithms
	ExtALPN                 = extALPN
	ExtSCT                  = extSCT
	ExtEncryptThenMAC       = extEncryptThenMAC
	ExtExtendedMasterSecret = extExtendedMasterSecret
	ExtRecordSizeLimit      = extRecordSizeLimit
	ExtSessionTicket        = extSessionTicket
	ExtPreSharedKey         = extPreSharedKey
	ExtEarlyData            = extEarlyData
	ExtSupportedVersions    = extSupportedVersions
	ExtCookie               = extCookie
	ExtPSKKeyExchangeModes  = extPSKKeyExchangeModes
	ExtCertAuthorities      = extCertificateAuthorities
	ExtPostHandshakeAuth    = extPostHandshakeAuth
	ExtSignatureAlgsCert    = extSignatureAlgsCert
	ExtKeyShare             = extKeyShare
	ExtRenegotiationInfo    = extRenegotiationInfo
)

// HelloRetryRandom is the ServerHello.random of a HelloRetryRequest (RFC
// 8446, Section 4.1.3).
var HelloRetryRandom = helloRetryRandom

// DowngradeTLS12 and DowngradeTLS11 are the last 8 bytes of the
// ServerHello.random of a TLS 1.3 server that negotiates TLS 1.2, or TLS 1.1
// and below (RFC 8446, Section 4.1.3).
var (
	DowngradeTLS12 = downgradeTLS12
	DowngradeTLS11 = downgradeTLS11
)

// errEmptyList is returned for a vector that must not be empty.
var errEmptyList = errors.New("wire: a list that must hold at least one entry is empty")

// handshakeMessage frames a body as a handshake message of type t (RFC
// 8446, Section 4).
func handshakeMessage(t HandshakeType, body func(b *cryptobyte.Builder)) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint8(uint8(t))
	b.AddUint24LengthPrefixed(body)
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("wire: encoding %s: %w", t, err)
	}
	return out, nil
}

// addExtensions writes an extensions block (RFC 8446, Section 4.2), even
// when empty.
func addExtensions(b *cryptobyte.Builder, exts []Extension) {
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, e := range exts {
			b.AddUint16(e.Type)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
		}
	})
}

func addUint16List(b *cryptobyte.Builder, vs []uint16) {
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, v := range vs {
			b.AddUint16(v)
		}
	})
}

// Marshal encodes a ClientHello (RFC 8446, Section 4.1.2; RFC 5246, Section
// 7.4.1.2) from Version, Random, SessionID, CipherSuites, Compression and
// Extensions, in that order; the other fields are views of the extensions
// and are ignored. Nil Compression writes the null method alone; nil
// Extensions writes no extensions block (a hello from before RFC 3546).
func (ch *ClientHello) Marshal() ([]byte, error) {
	if len(ch.Random) != 32 {
		return nil, fmt.Errorf("wire: ClientHello random is %d bytes, want 32", len(ch.Random))
	}
	if len(ch.SessionID) > 32 {
		return nil, fmt.Errorf("wire: ClientHello session ID is %d bytes, at most 32", len(ch.SessionID))
	}
	comp := ch.Compression
	if comp == nil {
		comp = []uint8{0}
	}
	return handshakeMessage(TypeClientHello, func(b *cryptobyte.Builder) {
		b.AddUint16(ch.Version)
		b.AddBytes(ch.Random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ch.SessionID) })
		addUint16List(b, ch.CipherSuites)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(comp) })
		if ch.Extensions != nil {
			addExtensions(b, ch.Extensions)
		}
	})
}

// Marshal encodes a ServerHello or HelloRetryRequest (RFC 8446, Sections
// 4.1.3 and 4.1.4; RFC 5246, Section 7.4.1.3) from Version, Random,
// SessionID, CipherSuite, Compression and Extensions. A HelloRetry with no
// Random gets the HelloRetryRequest random. Nil Extensions writes no
// extensions block.
func (sh *ServerHello) Marshal() ([]byte, error) {
	random := sh.Random
	if sh.HelloRetry && random == nil {
		random = helloRetryRandom[:]
	}
	if len(random) != 32 {
		return nil, fmt.Errorf("wire: ServerHello random is %d bytes, want 32", len(random))
	}
	if len(sh.SessionID) > 32 {
		return nil, fmt.Errorf("wire: ServerHello session ID is %d bytes, at most 32", len(sh.SessionID))
	}
	return handshakeMessage(TypeServerHello, func(b *cryptobyte.Builder) {
		b.AddUint16(sh.Version)
		b.AddBytes(random)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sh.SessionID) })
		b.AddUint16(sh.CipherSuite)
		b.AddUint8(sh.Compression)
		if sh.Extensions != nil {
			addExtensions(b, sh.Extensions)
		}
	})
}

// Marshal encodes an EncryptedExtensions message (RFC 8446, Section 4.3.1)
// from Extensions; ALPN is a view and is ignored.
func (ee *EncryptedExtensions) Marshal() ([]byte, error) {
	return handshakeMessage(TypeEncryptedExtensions, func(b *cryptobyte.Builder) {
		addExtensions(b, ee.Extensions)
	})
}

// CertificateEntry is one certificate of a TLS 1.3 Certificate message with
// its extensions (RFC 8446, Section 4.4.2).
type CertificateEntry struct {
	Data       []byte // DER
	Extensions []Extension
}

// MarshalCertificate13 encodes a TLS 1.3 Certificate message (RFC 8446,
// Section 4.4.2). An empty list is a client that has no certificate.
func MarshalCertificate13(requestContext []byte, entries []CertificateEntry) ([]byte, error) {
	return handshakeMessage(TypeCertificate, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(requestContext) })
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range entries {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(e.Data) })
				addExtensions(b, e.Extensions)
			}
		})
	})
}

// MarshalCertificate12 encodes a Certificate message of TLS 1.0 to 1.2
// (RFC 5246, Section 7.4.2): the chain, leaf first.
func MarshalCertificate12(chain [][]byte) ([]byte, error) {
	return handshakeMessage(TypeCertificate, func(b *cryptobyte.Builder) {
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, c := range chain {
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(c) })
			}
		})
	})
}

// MarshalCertificateRequest13 encodes a TLS 1.3 CertificateRequest (RFC
// 8446, Section 4.3.2); the extensions must include signature_algorithms.
func MarshalCertificateRequest13(requestContext []byte, exts []Extension) ([]byte, error) {
	return handshakeMessage(TypeCertificateRequest, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(requestContext) })
		addExtensions(b, exts)
	})
}

// MarshalCertificateRequest12 encodes a CertificateRequest of TLS 1.0 to 1.2
// (RFC 5246, Section 7.4.4): certificate types, signature schemes (TLS 1.2
// only; ignored before) and the DER distinguished names of acceptable CAs.
func MarshalCertificateRequest12(version uint16, certTypes []uint8, schemes []uint16, authorities [][]byte) ([]byte, error) {
	if len(certTypes) == 0 || (version >= VersionTLS12 && len(schemes) == 0) {
		return nil, errEmptyList
	}
	return handshakeMessage(TypeCertificateRequest, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(certTypes) })
		if version >= VersionTLS12 {
			addUint16List(b, schemes)
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, dn := range authorities {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(dn) })
			}
		})
	})
}

// MarshalCertificateVerify encodes a CertificateVerify (RFC 8446, Section
// 4.4.3; RFC 5246, Section 7.4.8). Before TLS 1.2 the message has no
// algorithm field and scheme is ignored.
func MarshalCertificateVerify(version, scheme uint16, signature []byte) ([]byte, error) {
	return handshakeMessage(TypeCertificateVerify, func(b *cryptobyte.Builder) {
		addSignature(b, version, scheme, signature)
	})
}

// addSignature writes a digitally-signed element: the scheme from TLS 1.2
// on, then the signature behind a 2-byte length (RFC 5246, Section 4.7).
func addSignature(b *cryptobyte.Builder, version, scheme uint16, signature []byte) {
	if version == 0 || version >= VersionTLS12 {
		b.AddUint16(scheme)
	}
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(signature) })
}

// MarshalFinished encodes a Finished message (RFC 8446, Section 4.4.4; RFC
// 5246, Section 7.4.9).
func MarshalFinished(verifyData []byte) ([]byte, error) {
	return handshakeMessage(TypeFinished, func(b *cryptobyte.Builder) { b.AddBytes(verifyData) })
}

// NewSessionTicket13 is a TLS 1.3 NewSessionTicket (RFC 8446, Section
// 4.6.1).
type NewSessionTicket13 struct {
	Lifetime   uint32
	AgeAdd     uint32
	Nonce      []byte
	Ticket     []byte
	Extensions []Extension
}

// Marshal encodes the message.
func (t *NewSessionTicket13) Marshal() ([]byte, error) {
	if len(t.Ticket) == 0 {
		return nil, errEmptyList
	}
	return handshakeMessage(TypeNewSessionTicket, func(b *cryptobyte.Builder) {
		b.AddUint32(t.Lifetime)
		b.AddUint32(t.AgeAdd)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(t.Nonce) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(t.Ticket) })
		addExtensions(b, t.Extensions)
	})
}

// MarshalNewSessionTicket12 encodes a NewSessionTicket of TLS 1.0 to 1.2
// (RFC 5077, Section 3.3).
func MarshalNewSessionTicket12(lifetimeHint uint32, ticket []byte) ([]byte, error) {
	return handshakeMessage(TypeNewSessionTicket, func(b *cryptobyte.Builder) {
		b.AddUint32(lifetimeHint)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(ticket) })
	})
}

// MarshalKeyUpdate encodes a KeyUpdate (RFC 8446, Section 4.6.3).
func MarshalKeyUpdate(updateRequested bool) ([]byte, error) {
	return handshakeMessage(TypeKeyUpdate, func(b *cryptobyte.Builder) {
		if updateRequested {
			b.AddUint8(1)
		} else {
			b.AddUint8(0)
		}
	})
}

// MarshalServerHelloDone encodes a ServerHelloDone (RFC 5246, Section
// 7.4.5).
func MarshalServerHelloDone() []byte {
	return []byte{uint8(TypeServerHelloDone), 0, 0, 0}
}

// ECDHEParams returns the ServerECDHParams of RFC 8422, Section 5.4: a named
// curve and the server's public value. These bytes are what the server
// signs, after the two randoms.
func ECDHEParams(group uint16, public []byte) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddUint8(3) // named_curve
	b.AddUint16(group)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(public) })
	return b.Bytes()
}

// DHEParams returns the ServerDHParams of RFC 5246, Section 7.4.3: dh_p,
// dh_g and dh_Ys, big-endian without leading zeros as the peer sent or the
// group defines them. These bytes are what the server signs, after the two
// randoms.
func DHEParams(p, g, ys []byte) ([]byte, error) {
	var b cryptobyte.Builder
	for _, v := range [][]byte{p, g, ys} {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(v) })
	}
	return b.Bytes()
}

// RSAExportParams encodes the ServerRSAParams of an RSA_EXPORT
// ServerKeyExchange (RFC 2246, Section 7.4.3): the temporary RSA key's
// modulus and exponent.
func RSAExportParams(modulus, exponent []byte) ([]byte, error) {
	var b cryptobyte.Builder
	for _, v := range [][]byte{modulus, exponent} {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(v) })
	}
	return b.Bytes()
}

// MarshalServerKeyExchange encodes a signed ServerKeyExchange (RFC 5246,
// Section 7.4.3; RFC 8422, Section 5.4): params as returned by ECDHEParams,
// DHEParams or RSAExportParams, then the signature, with its scheme from TLS 1.2 on.
func MarshalServerKeyExchange(version uint16, params []byte, scheme uint16, signature []byte) ([]byte, error) {
	return handshakeMessage(TypeServerKeyExchange, func(b *cryptobyte.Builder) {
		b.AddBytes(params)
		addSignature(b, version, scheme, signature)
	})
}

// MarshalClientKeyExchangeRSA encodes the ClientKeyExchange of the RSA key
// exchange (RFC 5246, Section 7.4.7.1): the encrypted premaster secret,
// behind a 2-byte length from TLS 1.0 on, bare in SSL 3.0.
func MarshalClientKeyExchangeRSA(version uint16, encrypted []byte) ([]byte, error) {
	return handshakeMessage(TypeClientKeyExchange, func(b *cryptobyte.Builder) {
		if version == VersionSSL30 {
			b.AddBytes(encrypted)
			return
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(encrypted) })
	})
}

// MarshalClientKeyExchangeECDHE encodes the ClientKeyExchange of ECDHE (RFC
// 8422, Section 5.7): the client's public value behind a 1-byte length.
func MarshalClientKeyExchangeECDHE(public []byte) ([]byte, error) {
	return handshakeMessage(TypeClientKeyExchange, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(public) })
	})
}

// MarshalClientKeyExchangeDHE encodes the ClientKeyExchange of DHE (RFC
// 5246, Section 7.4.7.2): dh_Yc behind a 2-byte length.
func MarshalClientKeyExchangeDHE(yc []byte) ([]byte, error) {
	return handshakeMessage(TypeClientKeyExchange, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(yc) })
	})
}

// MarshalAlert returns the 2-byte body of an alert record (RFC 8446,
// Section 6).
func MarshalAlert(level AlertLevel, desc AlertDescription) []byte {
	return []byte{byte(level), byte(desc)}
}

// AppendRecord appends a plaintext record (header and fragment) of content
// type t to dst (RFC 8446, Section 5.1). It fails if the fragment is longer
// than MaxPlaintext.
func AppendRecord(dst []byte, t ContentType, version uint16, fragment []byte) ([]byte, error) {
	if len(fragment) > MaxPlaintext {
		return dst, fmt.Errorf("wire: record fragment is %d bytes, at most %d", len(fragment), MaxPlaintext)
	}
	dst = append(dst, byte(t), byte(version>>8), byte(version), byte(len(fragment)>>8), byte(len(fragment)))
	return append(dst, fragment...), nil
}

// The extension builders below return an Extension with its body encoded.

func extension(t uint16, body func(b *cryptobyte.Builder)) (Extension, error) {
	var b cryptobyte.Builder
	body(&b)
	data, err := b.Bytes()
	if err != nil {
		return Extension{}, fmt.Errorf("wire: encoding extension %s: %w", extName(t), err)
	}
	return Extension{Type: t, Data: data}, nil
}

// EmptyExtension returns an extension with an empty body, such as
// extended_master_secret, encrypt_then_mac, session_ticket in a ClientHello
// without a ticket, or post_handshake_auth.
func EmptyExtension(t uint16) Extension { return Extension{Type: t, Data: []byte{}} }

// ServerNameExtension returns a server_name extension naming one host (RFC
// 6066, Section 3).
func ServerNameExtension(host string) (Extension, error) {
	if host == "" {
		return Extension{}, errors.New("wire: empty server name")
	}
	return extension(extServerName, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint8(0) // host_name
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(host)) })
		})
	})
}

// SupportedVersionsExtension returns the ClientHello form of
// supported_versions (RFC 8446, Section 4.2.1).
func SupportedVersionsExtension(versions []uint16) (Extension, error) {
	if len(versions) == 0 {
		return Extension{}, errEmptyList
	}
	return extension(extSupportedVersions, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, v := range versions {
				b.AddUint16(v)
			}
		})
	})
}

// SelectedVersionExtension returns the ServerHello form of
// supported_versions (RFC 8446, Section 4.2.1).
func SelectedVersionExtension(version uint16) Extension {
	return Extension{Type: extSupportedVersions, Data: []byte{byte(version >> 8), byte(version)}}
}

// uint16ListExtension returns an extension holding a vector of uint16
// behind a 2-byte length.
func uint16ListExtension(t uint16, vs []uint16) (Extension, error) {
	if len(vs) == 0 {
		return Extension{}, errEmptyList
	}
	return extension(t, func(b *cryptobyte.Builder) { addUint16List(b, vs) })
}

// SupportedGroupsExtension returns supported_groups (RFC 8446, Section
// 4.2.7).
func SupportedGroupsExtension(groups []uint16) (Extension, error) {
	return uint16ListExtension(extSupportedGroups, groups)
}

// SignatureAlgorithmsExtension returns signature_algorithms, or with t =
// ExtSignatureAlgsCert signature_algorithms_cert (RFC 8446, Section 4.2.3).
func SignatureAlgorithmsExtension(t uint16, schemes []uint16) (Extension, error) {
	return uint16ListExtension(t, schemes)
}

// ECPointFormatsExtension returns ec_point_formats with the uncompressed
// format alone (RFC 8422, Section 5.1.2).
func ECPointFormatsExtension() Extension {
	return Extension{Type: extECPointFormats, Data: []byte{1, 0}}
}

// ALPNExtension returns application_layer_protocol_negotiation (RFC 7301,
// Section 3.1); a server sends one protocol.
func ALPNExtension(protocols []string) (Extension, error) {
	if len(protocols) == 0 {
		return Extension{}, errEmptyList
	}
	for _, p := range protocols {
		if p == "" || len(p) > 255 {
			return Extension{}, fmt.Errorf("wire: ALPN protocol name of %d bytes", len(p))
		}
	}
	return extension(extALPN, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, p := range protocols {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
			}
		})
	})
}

// StatusRequestExtension returns the ClientHello status_request asking for
// OCSP with no responder IDs or request extensions (RFC 6066, Section 8).
func StatusRequestExtension() Extension {
	return Extension{Type: extStatusRequest, Data: []byte{1, 0, 0, 0, 0}}
}

// OCSPStatusExtension returns the status_request extension of a TLS 1.3
// certificate entry: a CertificateStatus holding an OCSP response (RFC 8446,
// Section 4.4.2.1).
func OCSPStatusExtension(response []byte) (Extension, error) {
	return extension(extStatusRequest, func(b *cryptobyte.Builder) {
		addCertificateStatus(b, response)
	})
}

func addCertificateStatus(b *cryptobyte.Builder, response []byte) {
	b.AddUint8(1) // ocsp
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(response) })
}

// MarshalCertificateStatus encodes a CertificateStatus message with an OCSP
// response (RFC 6066, Section 8).
func MarshalCertificateStatus(response []byte) ([]byte, error) {
	return handshakeMessage(TypeCertificateStatus, func(b *cryptobyte.Builder) {
		addCertificateStatus(b, response)
	})
}

// RenegotiationInfoExtension returns renegotiation_info (RFC 5746, Section
// 3.2): empty on an initial handshake, the verify_data of the previous one
// on a renegotiation.
func RenegotiationInfoExtension(renegotiated []byte) (Extension, error) {
	return extension(extRenegotiationInfo, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(renegotiated) })
	})
}

// SessionTicketExtension returns session_ticket (RFC 5077, Section 3.2)
// holding a ticket, or empty.
func SessionTicketExtension(ticket []byte) Extension {
	return Extension{Type: extSessionTicket, Data: append([]byte{}, ticket...)}
}

// PSKModesExtension returns psk_key_exchange_modes (RFC 8446, Section
// 4.2.9).
func PSKModesExtension(modes []uint8) (Extension, error) {
	if len(modes) == 0 {
		return Extension{}, errEmptyList
	}
	return extension(extPSKKeyExchangeModes, func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(modes) })
	})
}

// CookieExtension returns cookie (RFC 8446, Section 4.2.2).
func CookieExtension(cookie []byte) (Extension, error) {
	if len(cookie) == 0 {
		return Extension{}, errEmptyList
	}
	return extension(extCookie, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cookie) })
	})
}

// KeyShare is a KeyShareEntry (RFC 8446, Section 4.2.8).
type KeyShare struct {
	Group uint16
	Data  []byte
}

// ClientKeyShareExtension returns the ClientHello form of key_share; an
// empty list asks the server to pick a group with a HelloRetryRequest.
func ClientKeyShareExtension(shares []KeyShare) (Extension, error) {
	return extension(extKeyShare, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, s := range shares {
				addKeyShare(b, s)
			}
		})
	})
}

func addKeyShare(b *cryptobyte.Builder, s KeyShare) {
	b.AddUint16(s.Group)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(s.Data) })
}

// ServerKeyShareExtension returns the ServerHello form of key_share.
func ServerKeyShareExtension(share KeyShare) (Extension, error) {
	return extension(extKeyShare, func(b *cryptobyte.Builder) { addKeyShare(b, share) })
}

// HelloRetryKeyShareExtension returns the HelloRetryRequest form of
// key_share: the selected group.
func HelloRetryKeyShareExtension(group uint16) Extension {
	return Extension{Type: extKeyShare, Data: []byte{byte(group >> 8), byte(group)}}
}

// PSKIdentity is a PskIdentity (RFC 8446, Section 4.2.11).
type PSKIdentity struct {
	Identity            []byte
	ObfuscatedTicketAge uint32
}

// PreSharedKeyExtension returns the ClientHello form of pre_shared_key (RFC
// 8446, Section 4.2.11): identities and one binder each. It must be the
// last extension of the hello.
func PreSharedKeyExtension(ids []PSKIdentity, binders [][]byte) (Extension, error) {
	if len(ids) == 0 || len(ids) != len(binders) {
		return Extension{}, fmt.Errorf("wire: pre_shared_key with %d identities and %d binders", len(ids), len(binders))
	}
	return extension(extPreSharedKey, func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, id := range ids {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(id.Identity) })
				b.AddUint32(id.ObfuscatedTicketAge)
			}
		})
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, bd := range binders {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(bd) })
			}
		})
	})
}

// SelectedPSKExtension returns the ServerHello form of pre_shared_key.
func SelectedPSKExtension(index uint16) Extension {
	return Extension{Type: extPreSharedKey, Data: []byte{byte(index >> 8), byte(index)}}
}

// PSKBindersLen returns the length of the binders list that
// PreSharedKeyExtension writes for binders of the given lengths, its 2-byte
// length included: the bytes at the end of a ClientHello that the binders
// do not cover (RFC 8446, Section 4.2.11.2).
func PSKBindersLen(binderLens []int) int {
	n := 2
	for _, l := range binderLens {
		n += 1 + l
	}
	return n
}
