package wire

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the IANA "Transport Layer Security (TLS) Parameters"
// registries that the decoder names values from. Values absent from a
// table are shown by number.

// CipherSuiteName returns the IANA name of a cipher suite, "" if unknown.
func CipherSuiteName(id uint16) string { return cipherSuites[id] }

// SuiteNameOrGREASE is CipherSuiteName, with "GREASE" for a GREASE value
// (RFC 8701) as the other registries' namers give it.
func SuiteNameOrGREASE(id uint16) string {
	if isGREASE(id) {
		return "GREASE"
	}
	return cipherSuites[id]
}

// KeyExchange is the key exchange a TLS 1.0-1.2 cipher suite uses, which
// decides the form of server_key_exchange and client_key_exchange.
type KeyExchange uint8

const (
	KexUnknown KeyExchange = iota
	KexRSA
	KexDHE
	KexDH
	KexECDHE
	KexECDH
	KexPSK
	KexDHEPSK
	KexECDHEPSK
	KexRSAPSK
	KexSRP
	KexDHAnon
	KexECDHAnon
	KexTLS13
	KexNull
)

var kexNames = [...]string{"unknown", "RSA", "DHE", "DH", "ECDHE", "ECDH", "PSK", "DHE_PSK", "ECDHE_PSK", "RSA_PSK", "SRP", "DH_anon", "ECDH_anon", "TLS 1.3", "NULL"}

func (k KeyExchange) String() string {
	if int(k) < len(kexNames) {
		return kexNames[k]
	}
	return fmt.Sprintf("kex_%d", uint8(k))
}

// CipherSuiteKeyExchange derives the key exchange from the suite's IANA name
// (TLS_<kex>_WITH_<cipher>_<mac>).
func CipherSuiteKeyExchange(id uint16) KeyExchange {
	name := cipherSuites[id]
	if name == "" {
		return KexUnknown
	}
	kex, _, ok := strings.Cut(strings.TrimPrefix(name, "TLS_"), "_WITH_")
	if !ok {
		// TLS 1.3 suites name no key exchange: RFC 8446's (0x13xx),
		// RFC 8998's ShangMi suites (TLS_SM4_GCM_SM3, TLS_SM4_CCM_SM3)
		// and RFC 9150's integrity-only ones (TLS_SHA256_SHA256,
		// TLS_SHA384_SHA384).
		if id>>8 == 0x13 || id == 0x00C6 || id == 0x00C7 || strings.HasPrefix(name, "TLS_SHA") {
			return KexTLS13
		}
		return KexUnknown
	}
	switch {
	case kex == "NULL":
		return KexNull
	case kex == "RSA" || strings.HasPrefix(kex, "RSA_EXPORT"):
		return KexRSA
	case kex == "RSA_PSK":
		return KexRSAPSK
	case kex == "PSK":
		return KexPSK
	case kex == "DHE_PSK" || kex == "PSK_DHE":
		return KexDHEPSK
	case kex == "ECDHE_PSK":
		return KexECDHEPSK
	case strings.HasPrefix(kex, "DHE_"):
		return KexDHE
	case strings.HasPrefix(kex, "DH_anon"):
		return KexDHAnon
	case strings.HasPrefix(kex, "DH_"):
		return KexDH
	case strings.HasPrefix(kex, "ECDHE_"):
		return KexECDHE
	case strings.HasPrefix(kex, "ECDH_anon"):
		return KexECDHAnon
	case strings.HasPrefix(kex, "ECDH_"):
		return KexECDH
	case strings.HasPrefix(kex, "SRP"):
		return KexSRP
	}
	return KexUnknown
}

// CertificatePlace names the certificate at index i of a Certificate
// message's chain as every output of tlstrace numbers them: from 0, the
// leaf, as the depth of a chain's links and the listings of a scan
// count them ("certificate 0 (the leaf)", "certificate 2").
func CertificatePlace(i int) string {
	if i == 0 {
		return "certificate 0 (the leaf)"
	}
	return "certificate " + strconv.Itoa(i)
}

// VersionName returns a readable protocol version ("TLS 1.3").
func VersionName(v uint16) string {
	switch v {
	case 0x0002:
		return "SSL 2.0"
	case VersionSSL30:
		return "SSL 3.0"
	case VersionTLS10:
		return "TLS 1.0"
	case VersionTLS11:
		return "TLS 1.1"
	case VersionTLS12:
		return "TLS 1.2"
	case VersionTLS13:
		return "TLS 1.3"
	case 0xfeff:
		return "DTLS 1.0"
	case 0xfefd:
		return "DTLS 1.2"
	case 0xfefc:
		return "DTLS 1.3"
	}
	if isGREASE(v) {
		return "GREASE"
	}
	if v>>8 == 0x7f {
		return fmt.Sprintf("TLS 1.3 draft %d", v&0xff)
	}
	return fmt.Sprintf("0x%04X", v)
}

// GroupName names a supported group (RFC 8446, Section 4.2.7; RFC 8422;
// RFC 7919; draft-ietf-tls-ecdhe-mlkem).
func GroupName(g uint16) string {
	if n, ok := groups[g]; ok {
		return n
	}
	if isGREASE(g) {
		return "GREASE"
	}
	return ""
}

var groups = map[uint16]string{
	1: "sect163k1", 2: "sect163r1", 3: "sect163r2", 4: "sect193r1", 5: "sect193r2", 6: "sect233k1",
	7: "sect233r1", 8: "sect239k1", 9: "sect283k1", 10: "sect283r1", 11: "sect409k1", 12: "sect409r1",
	13: "sect571k1", 14: "sect571r1", 15: "secp160k1", 16: "secp160r1", 17: "secp160r2", 18: "secp192k1",
	19: "secp192r1", 20: "secp224k1", 21: "secp224r1", 22: "secp256k1",
	23: "secp256r1", 24: "secp384r1", 25: "secp521r1",
	26: "brainpoolP256r1", 27: "brainpoolP384r1", 28: "brainpoolP512r1",
	29: "x25519", 30: "x448",
	31: "brainpoolP256r1tls13", 32: "brainpoolP384r1tls13", 33: "brainpoolP512r1tls13",
	34: "GC256A", 35: "GC256B", 36: "GC256C", 37: "GC256D", 38: "GC512A", 39: "GC512B", 40: "GC512C",
	41:  "curveSM2",
	256: "ffdhe2048", 257: "ffdhe3072", 258: "ffdhe4096", 259: "ffdhe6144", 260: "ffdhe8192",
	0x0200: "MLKEM512", 0x0201: "MLKEM768", 0x0202: "MLKEM1024",
	0x11EB: "SecP256r1MLKEM768", 0x11EC: "X25519MLKEM768", 0x11ED: "SecP384r1MLKEM1024",
	0x6399: "X25519Kyber768Draft00", 0x639A: "SecP256r1Kyber768Draft00",
	0xFF01: "arbitrary_explicit_prime_curves", 0xFF02: "arbitrary_explicit_char2_curves",
}

// IsHybridPQ reports whether g is a hybrid of a classical and a
// post-quantum key exchange.
func IsHybridPQ(g uint16) bool {
	switch g {
	case 0x11EB, 0x11EC, 0x11ED, 0x6399, 0x639A:
		return true
	}
	return false
}

// IsPQ reports whether g resists quantum attacks (pure ML-KEM or a hybrid).
func IsPQ(g uint16) bool { return IsHybridPQ(g) || (g >= 0x0200 && g <= 0x0202) }

// SignatureSchemeName names a signature scheme (RFC 8446, Section 4.2.3),
// or for TLS 1.2 a (hash, signature) pair of RFC 5246, Section 7.4.1.4.1.
func SignatureSchemeName(s uint16) string {
	if n, ok := schemes[s]; ok {
		return n
	}
	if isGREASE(s) {
		return "GREASE"
	}
	h, sig := HashAlgorithmName(uint8(s>>8)), SignatureAlgorithmName(uint8(s))
	if h != "" && sig != "" {
		return h + "_" + sig
	}
	return ""
}

var schemes = map[uint16]string{
	0x0201: "rsa_pkcs1_sha1", 0x0203: "ecdsa_sha1", 0x0202: "dsa_sha1",
	0x0401: "rsa_pkcs1_sha256", 0x0501: "rsa_pkcs1_sha384", 0x0601: "rsa_pkcs1_sha512",
	0x0403: "ecdsa_secp256r1_sha256", 0x0503: "ecdsa_secp384r1_sha384", 0x0603: "ecdsa_secp521r1_sha512",
	0x0804: "rsa_pss_rsae_sha256", 0x0805: "rsa_pss_rsae_sha384", 0x0806: "rsa_pss_rsae_sha512",
	0x0807: "ed25519", 0x0808: "ed448",
	0x0809: "rsa_pss_pss_sha256", 0x080A: "rsa_pss_pss_sha384", 0x080B: "rsa_pss_pss_sha512",
	0x081A: "ecdsa_brainpoolP256r1tls13_sha256", 0x081B: "ecdsa_brainpoolP384r1tls13_sha384", 0x081C: "ecdsa_brainpoolP512r1tls13_sha512",
	0x0904: "mldsa44", 0x0905: "mldsa65", 0x0906: "mldsa87",
	0x0704: "eccsi_sha256", 0x0705: "iso_ibs1", 0x0706: "iso_ibs2", 0x0707: "iso_chinese_ibs",
	0x0708: "sm2sig_sm3",
	0x0709: "gostr34102012_256a", 0x070A: "gostr34102012_256b", 0x070B: "gostr34102012_256c", 0x070C: "gostr34102012_256d",
	0x070D: "gostr34102012_512a", 0x070E: "gostr34102012_512b", 0x070F: "gostr34102012_512c",
	0x0420: "rsa_pkcs1_sha256_legacy", 0x0520: "rsa_pkcs1_sha384_legacy", 0x0620: "rsa_pkcs1_sha512_legacy",
}

// HashAlgorithmName names a TLS 1.2 HashAlgorithm (RFC 5246, Section
// 7.4.1.4.1).
func HashAlgorithmName(h uint8) string {
	return [...]string{"none", "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "", "intrinsic"}[min(int(h), 7)+boolInt(h == 8)]
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SignatureAlgorithmName names a TLS 1.2 SignatureAlgorithm.
func SignatureAlgorithmName(s uint8) string {
	switch s {
	case 0:
		return "anonymous"
	case 1:
		return "rsa"
	case 2:
		return "dsa"
	case 3:
		return "ecdsa"
	case 7:
		return "ed25519"
	case 8:
		return "ed448"
	}
	return ""
}

// ExtensionName returns the RFC name of an extension type, "" if unknown.
func ExtensionName(t uint16) string {
	if n, ok := extensionNames[t]; ok {
		return n
	}
	if isGREASE(t) {
		return "GREASE"
	}
	return ""
}

// Extension types (IANA "TLS ExtensionType Values").
const (
	extServerName             uint16 = 0
	extMaxFragmentLength      uint16 = 1
	extStatusRequest          uint16 = 5
	extSupportedGroups        uint16 = 10
	extECPointFormats         uint16 = 11
	extSignatureAlgorithms    uint16 = 13
	extUseSRTP                uint16 = 14
	extHeartbeat              uint16 = 15
	extALPN                   uint16 = 16
	extStatusRequestV2        uint16 = 17
	extSCT                    uint16 = 18
	extClientCertType         uint16 = 19
	extServerCertType         uint16 = 20
	extPadding                uint16 = 21
	extEncryptThenMAC         uint16 = 22
	extExtendedMasterSecret   uint16 = 23
	extCompressCertificate    uint16 = 27
	extRecordSizeLimit        uint16 = 28
	extSessionTicket          uint16 = 35
	extPreSharedKey           uint16 = 41
	extEarlyData              uint16 = 42
	extSupportedVersions      uint16 = 43
	extCookie                 uint16 = 44
	extPSKKeyExchangeModes    uint16 = 45
	extCertificateAuthorities uint16 = 47
	extOIDFilters             uint16 = 48
	extPostHandshakeAuth      uint16 = 49
	extSignatureAlgsCert      uint16 = 50
	extKeyShare               uint16 = 51
	extQUICTransportParams    uint16 = 57
	extALPSOld                uint16 = 0x4469
	extALPS                   uint16 = 0x44CD
	extECH                    uint16 = 0xFE0D
	extECHOuterExtensions     uint16 = 0xFD00
	extRenegotiationInfo      uint16 = 0xFF01
)

var extensionNames = map[uint16]string{
	0: "server_name", 1: "max_fragment_length", 2: "client_certificate_url", 3: "trusted_ca_keys",
	4: "truncated_hmac", 5: "status_request", 6: "user_mapping", 7: "client_authz", 8: "server_authz",
	9: "cert_type", 10: "supported_groups", 11: "ec_point_formats", 12: "srp", 13: "signature_algorithms",
	14: "use_srtp", 15: "heartbeat", 16: "application_layer_protocol_negotiation", 17: "status_request_v2",
	18: "signed_certificate_timestamp", 19: "client_certificate_type", 20: "server_certificate_type",
	21: "padding", 22: "encrypt_then_mac", 23: "extended_master_secret", 24: "token_binding",
	25: "cached_info", 26: "tls_lts", 27: "compress_certificate", 28: "record_size_limit",
	29: "pwd_protect", 30: "pwd_clear", 31: "password_salt", 32: "ticket_pinning", 33: "tls_cert_with_extern_psk",
	34: "delegated_credential", 35: "session_ticket", 36: "TLMSP", 37: "TLMSP_proxying", 38: "TLMSP_delegate",
	39: "supported_ekt_ciphers", 41: "pre_shared_key", 42: "early_data", 43: "supported_versions",
	44: "cookie", 45: "psk_key_exchange_modes", 47: "certificate_authorities", 48: "oid_filters",
	49: "post_handshake_auth", 50: "signature_algorithms_cert", 51: "key_share", 52: "transparency_info",
	53: "connection_id_deprecated", 54: "connection_id", 55: "external_id_hash", 56: "external_session_id",
	57: "quic_transport_parameters", 58: "ticket_request", 59: "dnssec_chain", 60: "sequence_number_encryption_algorithms",
	61: "rrc", 62: "tls_flags",
	0x3374: "next_protocol_negotiation", 0x4469: "application_settings_old", 0x44CD: "application_settings",
	0x7550: "channel_id", 0xFD00: "ech_outer_extensions", 0xFE0D: "encrypted_client_hello",
	0xFF01: "renegotiation_info",
}

func small(names map[uint64]string, v uint64) string { return names[v] }

// CompressionMethodName names a compression method (RFC 3749).
func CompressionMethodName(v uint8) string {
	return small(map[uint64]string{0: "null", 1: "deflate", 64: "lzs"}, uint64(v))
}

// ECPointFormatName names an EC point format (RFC 8422, Section 5.1.2).
func ECPointFormatName(v uint8) string {
	return small(map[uint64]string{0: "uncompressed", 1: "ansiX962_compressed_prime", 2: "ansiX962_compressed_char2"}, uint64(v))
}

// ECCurveTypeName names an ECCurveType (RFC 8422, Section 5.4).
func ECCurveTypeName(v uint8) string {
	return small(map[uint64]string{1: "explicit_prime", 2: "explicit_char2", 3: "named_curve"}, uint64(v))
}

// PSKKeyExchangeModeName names a PSK key exchange mode (RFC 8446, Section
// 4.2.9).
func PSKKeyExchangeModeName(v uint8) string {
	return small(map[uint64]string{0: "psk_ke", 1: "psk_dhe_ke"}, uint64(v))
}

// CertificateStatusTypeName names a CertificateStatusType (RFC 6066, RFC
// 6961).
func CertificateStatusTypeName(v uint8) string {
	return small(map[uint64]string{1: "ocsp", 2: "ocsp_multi"}, uint64(v))
}

// CertCompressionAlgName names a certificate compression algorithm (RFC
// 8879).
func CertCompressionAlgName(v uint16) string {
	return small(map[uint64]string{1: "zlib", 2: "brotli", 3: "zstd"}, uint64(v))
}

// ClientCertificateTypeName names a ClientCertificateType (RFC 5246,
// Section 7.4.4; RFC 8422).
func ClientCertificateTypeName(v uint8) string {
	return small(map[uint64]string{1: "rsa_sign", 2: "dss_sign", 3: "rsa_fixed_dh", 4: "dss_fixed_dh",
		5: "rsa_ephemeral_dh", 6: "dss_ephemeral_dh", 20: "fortezza_dms", 64: "ecdsa_sign",
		65: "rsa_fixed_ecdh", 66: "ecdsa_fixed_ecdh", 67: "gost_sign256", 68: "gost_sign512"}, uint64(v))
}

// CertificateTypeName names a certificate type (RFC 7250).
func CertificateTypeName(v uint8) string {
	return small(map[uint64]string{0: "X509", 1: "OpenPGP", 2: "RawPublicKey", 3: "1609Dot2"}, uint64(v))
}

// KeyUpdateRequestName names a KeyUpdateRequest (RFC 8446, Section 4.6.3).
func KeyUpdateRequestName(v uint8) string {
	return small(map[uint64]string{0: "update_not_requested", 1: "update_requested"}, uint64(v))
}

// MaxFragmentLengthName names a max_fragment_length value (RFC 6066).
func MaxFragmentLengthName(v uint8) string {
	return small(map[uint64]string{1: "2^9", 2: "2^10", 3: "2^11", 4: "2^12"}, uint64(v))
}

// HeartbeatModeName names a heartbeat mode (RFC 6520).
func HeartbeatModeName(v uint8) string {
	return small(map[uint64]string{1: "peer_allowed_to_send", 2: "peer_not_allowed_to_send"}, uint64(v))
}

// NameTypeName names a server_name NameType (RFC 6066, Section 3).
func NameTypeName(v uint8) string { return small(map[uint64]string{0: "host_name"}, uint64(v)) }

// SRTPProtectionProfileName names an SRTP protection profile (RFC 5764).
func SRTPProtectionProfileName(v uint16) string {
	return small(map[uint64]string{1: "SRTP_AES128_CM_HMAC_SHA1_80", 2: "SRTP_AES128_CM_HMAC_SHA1_32",
		5: "SRTP_NULL_HMAC_SHA1_80", 6: "SRTP_NULL_HMAC_SHA1_32", 7: "SRTP_AEAD_AES_128_GCM", 8: "SRTP_AEAD_AES_256_GCM"}, uint64(v))
}
