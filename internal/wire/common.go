// Package wire decodes the TLS wire format: records, handshake messages,
// alerts, change_cipher_spec and extensions of SSL 3.0 and TLS 1.0 to 1.3,
// as specified by RFC 5246 and RFC 8446 and the RFCs that add extensions.
//
// It is pure: bytes in, decoded messages out, with no I/O and no
// cryptography. Every decoded value is also recorded, with its byte span, in
// a field.Node tree that renderers show. Unknown extensions are kept raw and
// anything unusual (trailing bytes, duplicate extensions, lengths that
// disagree, GREASE) is attached as an anomaly or note; it never stops
// decoding.
package wire

import "fmt"

// Limits on what one message may hold, so that hostile input cannot make the
// decoder allocate without bound.
const (
	// RecordHeaderLen is the size of a TLS record header (RFC 8446, Section 5.1).
	RecordHeaderLen = 5
	// MaxCiphertext is the largest record body accepted: 2^14 + 2048 bytes
	// for TLS 1.2 and earlier (RFC 5246, Section 6.2.3); TLS 1.3 allows
	// only 2^14 + 256 (RFC 8446, Section 5.2). Larger records are reported
	// and skipped.
	MaxCiphertext = 1<<14 + 2048
	// MaxCiphertextTLS13 is the largest protected record TLS 1.3 allows:
	// 2^14 + 256 bytes (RFC 8446, Section 5.2).
	MaxCiphertextTLS13 = 1<<14 + 256
	// MaxPlaintext is the largest plaintext one record may carry in any
	// version: 2^14 bytes (RFC 8446, Section 5.1; RFC 5246, Section 6.2.1).
	MaxPlaintext = 1 << 14
	// MaxHandshake is the largest handshake message reassembled. The
	// protocol allows 2^24-1 bytes; real messages (certificate chains) stay
	// well below 256 KiB, and crypto/tls caps them at 64 KiB
	// (maxHandshake in crypto/tls common.go).
	MaxHandshake = 256 << 10
	// maxAnomalies caps how many anomalies one message can carry.
	maxAnomalies = 64
)

// ContentType is the type of a TLS record (RFC 8446, Section 5.1).
type ContentType uint8

const (
	ContentChangeCipherSpec ContentType = 20
	ContentAlert            ContentType = 21
	ContentHandshake        ContentType = 22
	ContentApplicationData  ContentType = 23
	ContentHeartbeat        ContentType = 24 // RFC 6520
	ContentTLS12CID         ContentType = 25 // RFC 9146 (DTLS)
	ContentACK              ContentType = 26 // RFC 9147 (DTLS)
)

func (c ContentType) String() string {
	switch c {
	case ContentChangeCipherSpec:
		return "change_cipher_spec"
	case ContentAlert:
		return "alert"
	case ContentHandshake:
		return "handshake"
	case ContentApplicationData:
		return "application_data"
	case ContentHeartbeat:
		return "heartbeat"
	case ContentTLS12CID:
		return "tls12_cid"
	case ContentACK:
		return "ack"
	}
	return fmt.Sprintf("unknown_%d", uint8(c))
}

// HandshakeType identifies a handshake message (RFC 8446, Section 4; RFC
// 5246, Section 7.4). String returns the RFC name in snake_case, the `type`
// of events.
type HandshakeType uint8

const (
	TypeHelloRequest          HandshakeType = 0
	TypeClientHello           HandshakeType = 1
	TypeServerHello           HandshakeType = 2
	TypeHelloVerifyRequest    HandshakeType = 3
	TypeNewSessionTicket      HandshakeType = 4
	TypeEndOfEarlyData        HandshakeType = 5
	TypeHelloRetryRequest     HandshakeType = 6 // only as a name: on the wire HRR is a server_hello
	TypeEncryptedExtensions   HandshakeType = 8
	TypeRequestConnectionID   HandshakeType = 9
	TypeNewConnectionID       HandshakeType = 10
	TypeCertificate           HandshakeType = 11
	TypeServerKeyExchange     HandshakeType = 12
	TypeCertificateRequest    HandshakeType = 13
	TypeServerHelloDone       HandshakeType = 14
	TypeCertificateVerify     HandshakeType = 15
	TypeClientKeyExchange     HandshakeType = 16
	TypeClientCertificateURL  HandshakeType = 21
	TypeCertificateStatus     HandshakeType = 22
	TypeSupplementalData      HandshakeType = 23
	TypeKeyUpdate             HandshakeType = 24
	TypeCompressedCertificate HandshakeType = 25 // RFC 8879
	TypeEKTKey                HandshakeType = 26
	TypeFinished              HandshakeType = 20
	TypeMessageHash           HandshakeType = 254 // RFC 8446, Section 4.4.1
)

var handshakeNames = map[HandshakeType]string{
	TypeHelloRequest:          "hello_request",
	TypeClientHello:           "client_hello",
	TypeServerHello:           "server_hello",
	TypeHelloVerifyRequest:    "hello_verify_request",
	TypeNewSessionTicket:      "new_session_ticket",
	TypeEndOfEarlyData:        "end_of_early_data",
	TypeHelloRetryRequest:     "hello_retry_request",
	TypeEncryptedExtensions:   "encrypted_extensions",
	TypeRequestConnectionID:   "request_connection_id",
	TypeNewConnectionID:       "new_connection_id",
	TypeCertificate:           "certificate",
	TypeServerKeyExchange:     "server_key_exchange",
	TypeCertificateRequest:    "certificate_request",
	TypeServerHelloDone:       "server_hello_done",
	TypeCertificateVerify:     "certificate_verify",
	TypeClientKeyExchange:     "client_key_exchange",
	TypeClientCertificateURL:  "client_certificate_url",
	TypeCertificateStatus:     "certificate_status",
	TypeSupplementalData:      "supplemental_data",
	TypeKeyUpdate:             "key_update",
	TypeCompressedCertificate: "compressed_certificate",
	TypeEKTKey:                "ekt_key",
	TypeFinished:              "finished",
	TypeMessageHash:           "message_hash",
}

func (t HandshakeType) String() string {
	if s, ok := handshakeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("unknown_%d", uint8(t))
}

// Protocol versions (RFC 8446, Section 4.2.1).
const (
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// isGREASE reports whether v is one of the GREASE values of RFC 8701
// (0x0A0A, 0x1A1A, …, 0xFAFA).
func isGREASE(v uint16) bool {
	return v&0x0f0f == 0x0a0a && v>>8 == v&0xff
}

// IsGREASE reports whether v is a GREASE value (RFC 8701).
func IsGREASE(v uint16) bool { return isGREASE(v) }

// helloRetryRandom is the ServerHello.random that marks a HelloRetryRequest
// (RFC 8446, Section 4.1.3): SHA-256 of "HelloRetryRequest".
var helloRetryRandom = [32]byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

// downgradeTLS12 and downgradeTLS11 are the last 8 bytes of ServerHello.random
// that a TLS 1.3 server sets when it negotiates an older version (RFC 8446,
// Section 4.1.3).
var (
	downgradeTLS12 = [8]byte{0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01}
	downgradeTLS11 = [8]byte{0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00}
)
