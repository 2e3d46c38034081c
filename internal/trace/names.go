package trace

import "github.com/tlstrace/tlstrace/internal/wire"

// Names from wire's IANA registries, for consumers that read typed
// payloads holding bare code points (the scan's results) and do not
// import wire.

// VersionTLS13 is TLS 1.3's version number (RFC 8446, Section 4.2.1).
const VersionTLS13 = wire.VersionTLS13

// VersionEnum names a protocol version (SSL 2.0 to TLS 1.3).
func VersionEnum(v uint16) Enum { return enum16(v, wire.VersionName) }

// SuiteEnum names a cipher suite ("GREASE" for a GREASE value); Name is
// "" for one the registry lacks.
func SuiteEnum(s uint16) Enum { return enum16(s, wire.SuiteNameOrGREASE) }

// GroupEnum names a key exchange group.
func GroupEnum(g uint16) Enum { return enum16(g, wire.GroupName) }

// SignatureSchemeEnum names a signature scheme; Name is "" for one the
// registry lacks.
func SignatureSchemeEnum(s uint16) Enum { return enum16(s, wire.SignatureSchemeName) }

// SuiteKeyExchange names the key exchange of a cipher suite: RSA, DHE,
// ECDHE, TLS 1.3, …
func SuiteKeyExchange(s uint16) string { return wire.CipherSuiteKeyExchange(s).String() }

// SSLv2CipherEnum names an SSL 2.0 cipher kind.
func SSLv2CipherEnum(k uint32) Enum {
	return Enum{Name: wire.SSLv2CipherName(k), Value: uint64(k)}
}
