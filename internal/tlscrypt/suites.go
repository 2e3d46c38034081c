// Package tlscrypt derives TLS record keys from logged secrets and decrypts
// records, and seals records for the project's own handshake engine. It
// never negotiates: it opens what a peer sent and seals what its caller
// gives it.
//
//   - Cipher suites: SuiteByID describes how a suite protects records
//     (Suite: cipher, key and IV lengths, MAC and PRF hashes).
//   - TLS 1.3 key schedule (RFC 8446, Section 7): ExpandLabel (HKDF-Expand-
//     Label), TrafficKeys13 (the record key and IV of a traffic secret) and
//     NextSecret13 (KeyUpdate).
//   - TLS 1.0 to 1.2 key derivation: PRF (RFC 2246 and RFC 5246),
//     MasterSecret, ExtendedMasterSecret with its SessionHash (RFC 7627)
//     and KeyBlock, which splits the key block into a Keys per direction.
//   - Record decryption: a Decrypter, made by NewDecrypter13 or
//     NewDecrypter12, opens the records of one direction in order and keeps
//     the sequence number (and, for TLS 1.0 CBC, the chained IV). A record
//     that does not open leaves the Decrypter unchanged, so a caller can try
//     another key on it. Failures are *Error values.
//   - Record encryption: an Encrypter, made by NewEncrypter13 or
//     NewEncrypter12, seals records with every protection a Decrypter
//     opens.
//
// Supported record protection: AES-GCM, AES-CCM and AES-CCM-8 (CCM is
// implemented here, in ccm.go), ChaCha20-Poly1305, and for TLS 1.0-1.2 also
// Camellia and ARIA in GCM (camellia.go, aria.go: RFC 3713, RFC 5794), AES,
// Camellia, ARIA, 3DES and DES in CBC (MAC-then-encrypt or
// encrypt_then_mac, RFC 7366), RC4 and NULL with HMAC-MD5, SHA-1, SHA-256
// or SHA-384, and SEED and IDEA in CBC (seed.go, idea.go). SSL 3.0 records
// (ssl3.go: its key block and MAC) open with NewDecrypter12 too, and so do
// the export suites with RC4, DES and RC2 (rc2.go; KeyBlock derives their
// final keys and IVs). GOST and SM4 are not
// supported. docs/ciphers.md says where each cipher comes from.
//
// The package has no dependency on the rest of tlstrace.
package tlscrypt

import (
	"crypto"
	"fmt"
)

// Protocol versions, as in the record header.
const (
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// CipherKind is the bulk cipher and mode of a suite.
type CipherKind uint8

const (
	Null             CipherKind = iota // no encryption, HMAC only (RFC 5246, Section 6.2.3.1)
	RC4                                // stream cipher (RFC 5246, Section 6.2.3.1)
	AESCBC                             // AES in CBC mode (RFC 5246, Section 6.2.3.2)
	TripleDESCBC                       // 3DES-EDE in CBC mode
	DESCBC                             // single DES in CBC mode (RFC 2246; removed in TLS 1.2)
	AESGCM                             // AES-GCM (RFC 5288, RFC 8446)
	AESCCM                             // AES-CCM with a 16-byte tag (RFC 6655, RFC 8446)
	AESCCM8                            // AES-CCM with an 8-byte tag (RFC 6655, RFC 8446)
	ChaCha20Poly1305                   // ChaCha20-Poly1305 (RFC 7905, RFC 8446)
	CamelliaCBC                        // Camellia in CBC mode (RFC 3713; RFC 5932)
	CamelliaGCM                        // Camellia-GCM (RFC 6367)
	ARIACBC                            // ARIA in CBC mode (RFC 5794; RFC 6209)
	ARIAGCM                            // ARIA-GCM (RFC 6209)
	SEEDCBC                            // SEED in CBC mode (RFC 4269; RFC 4162)
	IDEACBC                            // IDEA in CBC mode (RFC 5469)
	RC2CBC                             // RC2 in CBC mode (RFC 2268), export suites only
)

func (k CipherKind) String() string {
	switch k {
	case Null:
		return "NULL"
	case RC4:
		return "RC4"
	case AESCBC:
		return "AES-CBC"
	case TripleDESCBC:
		return "3DES-EDE-CBC"
	case DESCBC:
		return "DES-CBC"
	case AESGCM:
		return "AES-GCM"
	case AESCCM:
		return "AES-CCM"
	case AESCCM8:
		return "AES-CCM-8"
	case ChaCha20Poly1305:
		return "ChaCha20-Poly1305"
	case CamelliaCBC:
		return "Camellia-CBC"
	case CamelliaGCM:
		return "Camellia-GCM"
	case ARIACBC:
		return "ARIA-CBC"
	case ARIAGCM:
		return "ARIA-GCM"
	case SEEDCBC:
		return "SEED-CBC"
	case IDEACBC:
		return "IDEA-CBC"
	case RC2CBC:
		return "RC2-CBC"
	}
	return fmt.Sprintf("CipherKind(%d)", uint8(k))
}

// AEAD reports whether the cipher authenticates by itself, without an HMAC.
func (k CipherKind) AEAD() bool {
	switch k {
	case AESGCM, AESCCM, AESCCM8, ChaCha20Poly1305, CamelliaGCM, ARIAGCM:
		return true
	}
	return false
}

// Block reports whether the cipher is a block cipher in CBC mode.
func (k CipherKind) Block() bool {
	switch k {
	case AESCBC, TripleDESCBC, DESCBC, CamelliaCBC, ARIACBC, SEEDCBC, IDEACBC, RC2CBC:
		return true
	}
	return false
}

// Suite describes how a cipher suite protects records. The key exchange and
// authentication of a suite do not matter here: TLS_RSA_WITH_AES_128_CBC_SHA
// and TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA protect records the same way.
type Suite struct {
	// ID is the IANA cipher suite number.
	ID uint16
	// Name is the IANA name, such as "TLS_AES_128_GCM_SHA256".
	Name string
	// Cipher is the bulk cipher and mode.
	Cipher CipherKind
	// KeyLen is the length of the cipher key in bytes (0 for NULL).
	KeyLen int
	// FixedIVLen is the length of the IV taken from the key block or key
	// schedule: 4 for TLS 1.2 GCM and CCM (the salt of the nonce, RFC
	// 5288, Section 3; RFC 6655, Section 3), 12 for ChaCha20-Poly1305
	// (RFC 7905, Section 2) and every TLS 1.3 suite (RFC 8446, Section
	// 5.3), the block size for CBC (used as the first IV by TLS 1.0 only,
	// RFC 2246, Section 6.3), and 0 for RC4 and NULL.
	FixedIVLen int
	// MAC is the HMAC hash of CBC, RC4 and NULL suites, and 0 for AEAD
	// suites.
	MAC crypto.Hash
	// PRFHash is the hash of the TLS 1.2 PRF (RFC 5246, Section 5) and of
	// the TLS 1.3 HKDF (RFC 8446, Section 7.1): SHA-256 unless the suite
	// names SHA-384. TLS 1.0 and 1.1 use their MD5/SHA-1 PRF whatever
	// this says.
	PRFHash crypto.Hash
	// TLS13 reports whether this is a TLS 1.3 suite (RFC 8446, Appendix
	// B.4), usable only with TLS 1.3 and only with NewDecrypter13.
	TLS13 bool
	// ExportKeyLen is, for an export suite, the length of the key
	// material the key block gives (5 bytes: 40 bits), from which the
	// final key of KeyLen bytes and the IV are derived with the randoms
	// (RFC 6101, Section 6.2.2; RFC 2246, Section 6.3); 0 otherwise.
	// TLS 1.1 forbids export suites (RFC 4346, Appendix A.5), yet old
	// OpenSSL negotiated them in TLS 1.1 and 1.2, and they open there
	// too, as tshark opens them.
	ExportKeyLen int
}

// TagLen returns the length of the authentication tag of an AEAD suite, or
// 0.
func (s *Suite) TagLen() int {
	switch s.Cipher {
	case AESGCM, AESCCM, ChaCha20Poly1305, CamelliaGCM, ARIAGCM:
		return 16
	case AESCCM8:
		return 8
	}
	return 0
}

// BlockSize returns the block size of a CBC suite, or 0.
func (s *Suite) BlockSize() int {
	switch s.Cipher {
	case AESCBC, CamelliaCBC, ARIACBC, SEEDCBC:
		return 16
	case TripleDESCBC, DESCBC, IDEACBC, RC2CBC:
		return 8
	}
	return 0
}

// SuiteByID returns the description of a cipher suite, and false if its
// record protection is not supported. The Suite is shared and must not be
// modified.
func SuiteByID(id uint16) (*Suite, bool) {
	s, ok := suitesByID[id]
	return s, ok
}

// Suites returns every supported suite, in ID order.
func Suites() []*Suite {
	out := make([]*Suite, 0, len(suiteList))
	for i := range suiteList {
		out = append(out, suitesByID[suiteList[i].id])
	}
	return out
}

// protection is the record protection shared by a family of suites. Its
// name is the part of the IANA names after "_WITH_" (or after "TLS_" for
// TLS 1.3 suites), which a test checks.
type protection struct {
	name       string
	cipher     CipherKind
	keyLen     int
	fixedIVLen int
	mac        crypto.Hash
	prf        crypto.Hash
	tls13      bool
	export     int
}

var (
	nullMD5    = protection{"NULL_MD5", Null, 0, 0, crypto.MD5, crypto.SHA256, false, 0}
	nullSHA    = protection{"NULL_SHA", Null, 0, 0, crypto.SHA1, crypto.SHA256, false, 0}
	nullSHA256 = protection{"NULL_SHA256", Null, 0, 0, crypto.SHA256, crypto.SHA256, false, 0}
	nullSHA384 = protection{"NULL_SHA384", Null, 0, 0, crypto.SHA384, crypto.SHA384, false, 0}

	rc4MD5 = protection{"RC4_128_MD5", RC4, 16, 0, crypto.MD5, crypto.SHA256, false, 0}
	rc4SHA = protection{"RC4_128_SHA", RC4, 16, 0, crypto.SHA1, crypto.SHA256, false, 0}

	desSHA     = protection{"DES_CBC_SHA", DESCBC, 8, 8, crypto.SHA1, crypto.SHA256, false, 0}
	desMD5     = protection{"DES_CBC_MD5", DESCBC, 8, 8, crypto.MD5, crypto.SHA256, false, 0}
	tdesSHA    = protection{"3DES_EDE_CBC_SHA", TripleDESCBC, 24, 8, crypto.SHA1, crypto.SHA256, false, 0}
	tdesMD5    = protection{"3DES_EDE_CBC_MD5", TripleDESCBC, 24, 8, crypto.MD5, crypto.SHA256, false, 0}
	aes128SHA  = protection{"AES_128_CBC_SHA", AESCBC, 16, 16, crypto.SHA1, crypto.SHA256, false, 0}
	aes256SHA  = protection{"AES_256_CBC_SHA", AESCBC, 32, 16, crypto.SHA1, crypto.SHA256, false, 0}
	aes128S256 = protection{"AES_128_CBC_SHA256", AESCBC, 16, 16, crypto.SHA256, crypto.SHA256, false, 0}
	aes256S256 = protection{"AES_256_CBC_SHA256", AESCBC, 32, 16, crypto.SHA256, crypto.SHA256, false, 0}
	aes256S384 = protection{"AES_256_CBC_SHA384", AESCBC, 32, 16, crypto.SHA384, crypto.SHA384, false, 0}

	gcm128  = protection{"AES_128_GCM_SHA256", AESGCM, 16, 4, 0, crypto.SHA256, false, 0}
	gcm256  = protection{"AES_256_GCM_SHA384", AESGCM, 32, 4, 0, crypto.SHA384, false, 0}
	ccm128  = protection{"AES_128_CCM", AESCCM, 16, 4, 0, crypto.SHA256, false, 0}
	ccm256  = protection{"AES_256_CCM", AESCCM, 32, 4, 0, crypto.SHA256, false, 0}
	ccm8128 = protection{"AES_128_CCM_8", AESCCM8, 16, 4, 0, crypto.SHA256, false, 0}
	ccm8256 = protection{"AES_256_CCM_8", AESCCM8, 32, 4, 0, crypto.SHA256, false, 0}
	// RFC 8442 names its CCM suites with the PRF hash.
	ccm128S256  = protection{"AES_128_CCM_SHA256", AESCCM, 16, 4, 0, crypto.SHA256, false, 0}
	ccm8128S256 = protection{"AES_128_CCM_8_SHA256", AESCCM8, 16, 4, 0, crypto.SHA256, false, 0}
	chacha      = protection{"CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, 32, 12, 0, crypto.SHA256, false, 0}

	cam128SHA   = protection{"CAMELLIA_128_CBC_SHA", CamelliaCBC, 16, 16, crypto.SHA1, crypto.SHA256, false, 0}
	cam256SHA   = protection{"CAMELLIA_256_CBC_SHA", CamelliaCBC, 32, 16, crypto.SHA1, crypto.SHA256, false, 0}
	cam128S256  = protection{"CAMELLIA_128_CBC_SHA256", CamelliaCBC, 16, 16, crypto.SHA256, crypto.SHA256, false, 0}
	cam256S256  = protection{"CAMELLIA_256_CBC_SHA256", CamelliaCBC, 32, 16, crypto.SHA256, crypto.SHA256, false, 0}
	cam256S384  = protection{"CAMELLIA_256_CBC_SHA384", CamelliaCBC, 32, 16, crypto.SHA384, crypto.SHA384, false, 0}
	camGCM128   = protection{"CAMELLIA_128_GCM_SHA256", CamelliaGCM, 16, 4, 0, crypto.SHA256, false, 0}
	camGCM256   = protection{"CAMELLIA_256_GCM_SHA384", CamelliaGCM, 32, 4, 0, crypto.SHA384, false, 0}
	aria128S256 = protection{"ARIA_128_CBC_SHA256", ARIACBC, 16, 16, crypto.SHA256, crypto.SHA256, false, 0}
	aria256S384 = protection{"ARIA_256_CBC_SHA384", ARIACBC, 32, 16, crypto.SHA384, crypto.SHA384, false, 0}
	ariaGCM128  = protection{"ARIA_128_GCM_SHA256", ARIAGCM, 16, 4, 0, crypto.SHA256, false, 0}
	ariaGCM256  = protection{"ARIA_256_GCM_SHA384", ARIAGCM, 32, 4, 0, crypto.SHA384, false, 0}

	seedSHA = protection{"SEED_CBC_SHA", SEEDCBC, 16, 16, crypto.SHA1, crypto.SHA256, false, 0}
	ideaSHA = protection{"IDEA_CBC_SHA", IDEACBC, 16, 8, crypto.SHA1, crypto.SHA256, false, 0}
	ideaMD5 = protection{"IDEA_CBC_MD5", IDEACBC, 16, 8, crypto.MD5, crypto.SHA256, false, 0}

	// Export suites (RFC 2246, Appendix C): 40 bits of key material.
	rc4Export40MD5    = protection{"RC4_40_MD5", RC4, 16, 0, crypto.MD5, crypto.SHA256, false, 5}
	rc4Export40SHA    = protection{"RC4_40_SHA", RC4, 16, 0, crypto.SHA1, crypto.SHA256, false, 5}
	desExport40SHA    = protection{"DES40_CBC_SHA", DESCBC, 8, 8, crypto.SHA1, crypto.SHA256, false, 5}
	desExportCBC40SHA = protection{"DES_CBC_40_SHA", DESCBC, 8, 8, crypto.SHA1, crypto.SHA256, false, 5}
	rc2Export40MD5    = protection{"RC2_CBC_40_MD5", RC2CBC, 16, 8, crypto.MD5, crypto.SHA256, false, 5}
	rc2Export40SHA    = protection{"RC2_CBC_40_SHA", RC2CBC, 16, 8, crypto.SHA1, crypto.SHA256, false, 5}
	desExportCBC40MD5 = protection{"DES_CBC_40_MD5", DESCBC, 8, 8, crypto.MD5, crypto.SHA256, false, 5}

	tls13GCM128 = protection{"AES_128_GCM_SHA256", AESGCM, 16, 12, 0, crypto.SHA256, true, 0}
	tls13GCM256 = protection{"AES_256_GCM_SHA384", AESGCM, 32, 12, 0, crypto.SHA384, true, 0}
	tls13ChaCha = protection{"CHACHA20_POLY1305_SHA256", ChaCha20Poly1305, 32, 12, 0, crypto.SHA256, true, 0}
	tls13CCM    = protection{"AES_128_CCM_SHA256", AESCCM, 16, 12, 0, crypto.SHA256, true, 0}
	tls13CCM8   = protection{"AES_128_CCM_8_SHA256", AESCCM8, 16, 12, 0, crypto.SHA256, true, 0}
)

// suiteList is every supported suite, from the IANA TLS Cipher Suites
// registry. The RFC that defines each group is named above it.
var suiteList = []struct {
	id   uint16
	name string
	p    protection
}{
	// RFC 5246, Appendix A.5 (and RFC 2246, RFC 4346 for DES).
	{0x0001, "TLS_RSA_WITH_NULL_MD5", nullMD5},
	{0x0002, "TLS_RSA_WITH_NULL_SHA", nullSHA},
	{0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", rc4Export40MD5},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5", rc4MD5},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA", rc4SHA},
	{0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", rc2Export40MD5},
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", ideaSHA}, // RFC 5469
	{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", desExport40SHA},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA", desSHA},
	{0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0x000B, "TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA", desExport40SHA},
	{0x000C, "TLS_DH_DSS_WITH_DES_CBC_SHA", desSHA},
	{0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0x000E, "TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA", desExport40SHA},
	{0x000F, "TLS_DH_RSA_WITH_DES_CBC_SHA", desSHA},
	{0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", desExport40SHA},
	{0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", desSHA},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", desExport40SHA},
	{0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", desSHA},
	{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0x0017, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5", rc4Export40MD5},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5", rc4MD5},
	{0x0019, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA", desExport40SHA},
	{0x001A, "TLS_DH_anon_WITH_DES_CBC_SHA", desSHA},
	{0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	// RFC 2712 (Kerberos).
	{0x001E, "TLS_KRB5_WITH_DES_CBC_SHA", desSHA},
	{0x001F, "TLS_KRB5_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0x0020, "TLS_KRB5_WITH_RC4_128_SHA", rc4SHA},
	{0x0021, "TLS_KRB5_WITH_IDEA_CBC_SHA", ideaSHA},
	{0x0022, "TLS_KRB5_WITH_DES_CBC_MD5", desMD5},
	{0x0023, "TLS_KRB5_WITH_3DES_EDE_CBC_MD5", tdesMD5},
	{0x0024, "TLS_KRB5_WITH_RC4_128_MD5", rc4MD5},
	{0x0025, "TLS_KRB5_WITH_IDEA_CBC_MD5", ideaMD5},
	{0x0026, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_SHA", desExportCBC40SHA},
	{0x0027, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_SHA", rc2Export40SHA},
	{0x0028, "TLS_KRB5_EXPORT_WITH_RC4_40_SHA", rc4Export40SHA},
	{0x0029, "TLS_KRB5_EXPORT_WITH_DES_CBC_40_MD5", desExportCBC40MD5},
	{0x002A, "TLS_KRB5_EXPORT_WITH_RC2_CBC_40_MD5", rc2Export40MD5},
	{0x002B, "TLS_KRB5_EXPORT_WITH_RC4_40_MD5", rc4Export40MD5},
	// RFC 4785 (PSK with NULL encryption).
	{0x002C, "TLS_PSK_WITH_NULL_SHA", nullSHA},
	{0x002D, "TLS_DHE_PSK_WITH_NULL_SHA", nullSHA},
	{0x002E, "TLS_RSA_PSK_WITH_NULL_SHA", nullSHA},
	// RFC 3268 and RFC 5246 (AES-CBC).
	{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", aes128SHA},
	{0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA", aes128SHA},
	{0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA", aes128SHA},
	{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", aes128SHA},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", aes128SHA},
	{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA", aes128SHA},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", aes256SHA},
	{0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA", aes256SHA},
	{0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA", aes256SHA},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", aes256SHA},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", aes256SHA},
	{0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA", aes256SHA},
	{0x003B, "TLS_RSA_WITH_NULL_SHA256", nullSHA256},
	{0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", aes128S256},
	{0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", aes256S256},
	{0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256", aes128S256},
	{0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256", aes128S256},
	{0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", aes128S256},
	// RFC 5932 (Camellia-CBC).
	{0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", cam128SHA},
	{0x0042, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA", cam128SHA},
	{0x0043, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA", cam128SHA},
	{0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", cam128SHA},
	{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", cam128SHA},
	{0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA", cam128SHA},
	// RFC 5246, continued.
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", aes128S256},
	{0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256", aes256S256},
	{0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256", aes256S256},
	{0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", aes256S256},
	{0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", aes256S256},
	{0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256", aes128S256},
	{0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256", aes256S256},
	// RFC 5932 (Camellia-CBC).
	{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", cam256SHA},
	{0x0085, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA", cam256SHA},
	{0x0086, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA", cam256SHA},
	{0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", cam256SHA},
	{0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", cam256SHA},
	{0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA", cam256SHA},
	// RFC 4279 (PSK).
	{0x008A, "TLS_PSK_WITH_RC4_128_SHA", rc4SHA},
	{0x008B, "TLS_PSK_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", aes128SHA},
	{0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", aes256SHA},
	{0x008E, "TLS_DHE_PSK_WITH_RC4_128_SHA", rc4SHA},
	{0x008F, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA", aes128SHA},
	{0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA", aes256SHA},
	{0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA", rc4SHA},
	{0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA", aes128SHA},
	{0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA", aes256SHA},
	// RFC 4162 (SEED).
	{0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", seedSHA},
	{0x0097, "TLS_DH_DSS_WITH_SEED_CBC_SHA", seedSHA},
	{0x0098, "TLS_DH_RSA_WITH_SEED_CBC_SHA", seedSHA},
	{0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA", seedSHA},
	{0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", seedSHA},
	{0x009B, "TLS_DH_anon_WITH_SEED_CBC_SHA", seedSHA},
	// RFC 5288 (AES-GCM) and RFC 5487 (PSK with GCM, SHA-256/384).
	{0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", gcm128},
	{0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", gcm256},
	{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", gcm128},
	{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", gcm256},
	{0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256", gcm128},
	{0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384", gcm256},
	{0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", gcm128},
	{0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", gcm256},
	{0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256", gcm128},
	{0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384", gcm256},
	{0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256", gcm128},
	{0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384", gcm256},
	{0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", gcm128},
	{0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", gcm256},
	{0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", gcm128},
	{0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", gcm256},
	{0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", gcm128},
	{0x00AD, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384", gcm256},
	{0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", aes128S256},
	{0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", aes256S384},
	{0x00B0, "TLS_PSK_WITH_NULL_SHA256", nullSHA256},
	{0x00B1, "TLS_PSK_WITH_NULL_SHA384", nullSHA384},
	{0x00B2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", aes128S256},
	{0x00B3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384", aes256S384},
	{0x00B4, "TLS_DHE_PSK_WITH_NULL_SHA256", nullSHA256},
	{0x00B5, "TLS_DHE_PSK_WITH_NULL_SHA384", nullSHA384},
	{0x00B6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256", aes128S256},
	{0x00B7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384", aes256S384},
	{0x00B8, "TLS_RSA_PSK_WITH_NULL_SHA256", nullSHA256},
	{0x00B9, "TLS_RSA_PSK_WITH_NULL_SHA384", nullSHA384},
	// RFC 5932 (Camellia-CBC with SHA-256).
	{0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0x00BB, "TLS_DH_DSS_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0x00BC, "TLS_DH_RSA_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", cam256S256},
	{0x00C1, "TLS_DH_DSS_WITH_CAMELLIA_256_CBC_SHA256", cam256S256},
	{0x00C2, "TLS_DH_RSA_WITH_CAMELLIA_256_CBC_SHA256", cam256S256},
	{0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256", cam256S256},
	{0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256", cam256S256},
	{0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256", cam256S256},
	// RFC 8446, Appendix B.4 (TLS 1.3).
	{0x1301, "TLS_AES_128_GCM_SHA256", tls13GCM128},
	{0x1302, "TLS_AES_256_GCM_SHA384", tls13GCM256},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256", tls13ChaCha},
	{0x1304, "TLS_AES_128_CCM_SHA256", tls13CCM},
	{0x1305, "TLS_AES_128_CCM_8_SHA256", tls13CCM8},
	// RFC 8422 and RFC 4492 (ECC).
	{0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA", nullSHA},
	{0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", rc4SHA},
	{0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", aes128SHA},
	{0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", aes256SHA},
	{0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA", nullSHA},
	{0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", rc4SHA},
	{0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", aes128SHA},
	{0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", aes256SHA},
	{0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA", nullSHA},
	{0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA", rc4SHA},
	{0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", aes128SHA},
	{0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", aes256SHA},
	{0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA", nullSHA},
	{0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", rc4SHA},
	{0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", aes128SHA},
	{0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", aes256SHA},
	{0xC015, "TLS_ECDH_anon_WITH_NULL_SHA", nullSHA},
	{0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA", rc4SHA},
	{0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", aes128SHA},
	{0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", aes256SHA},
	// RFC 5054 (SRP).
	{0xC01A, "TLS_SRP_SHA_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0xC01B, "TLS_SRP_SHA_RSA_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0xC01C, "TLS_SRP_SHA_DSS_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0xC01D, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA", aes128SHA},
	{0xC01E, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA", aes128SHA},
	{0xC01F, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA", aes128SHA},
	{0xC020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA", aes256SHA},
	{0xC021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA", aes256SHA},
	{0xC022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA", aes256SHA},
	// RFC 5289 (ECC with SHA-256/384 and GCM).
	{0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", aes128S256},
	{0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", aes256S384},
	{0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", aes128S256},
	{0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", aes256S384},
	{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", aes128S256},
	{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", aes256S384},
	{0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", aes128S256},
	{0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", aes256S384},
	{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", gcm128},
	{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", gcm256},
	{0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", gcm128},
	{0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", gcm256},
	{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", gcm128},
	{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", gcm256},
	{0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", gcm128},
	{0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", gcm256},
	// RFC 5489 (ECDHE_PSK).
	{0xC033, "TLS_ECDHE_PSK_WITH_RC4_128_SHA", rc4SHA},
	{0xC034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA", tdesSHA},
	{0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", aes128SHA},
	{0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", aes256SHA},
	{0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", aes128S256},
	{0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", aes256S384},
	{0xC039, "TLS_ECDHE_PSK_WITH_NULL_SHA", nullSHA},
	{0xC03A, "TLS_ECDHE_PSK_WITH_NULL_SHA256", nullSHA256},
	{0xC03B, "TLS_ECDHE_PSK_WITH_NULL_SHA384", nullSHA384},
	// RFC 6209 (ARIA).
	{0xC03C, "TLS_RSA_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC03D, "TLS_RSA_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC03E, "TLS_DH_DSS_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC03F, "TLS_DH_DSS_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC040, "TLS_DH_RSA_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC041, "TLS_DH_RSA_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC042, "TLS_DHE_DSS_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC043, "TLS_DHE_DSS_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC044, "TLS_DHE_RSA_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC045, "TLS_DHE_RSA_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC046, "TLS_DH_anon_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC047, "TLS_DH_anon_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC048, "TLS_ECDHE_ECDSA_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC049, "TLS_ECDHE_ECDSA_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC04A, "TLS_ECDH_ECDSA_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC04B, "TLS_ECDH_ECDSA_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC04C, "TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC04D, "TLS_ECDHE_RSA_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC04E, "TLS_ECDH_RSA_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC04F, "TLS_ECDH_RSA_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC054, "TLS_DH_RSA_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC055, "TLS_DH_RSA_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC058, "TLS_DH_DSS_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC059, "TLS_DH_DSS_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC05A, "TLS_DH_anon_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC05B, "TLS_DH_anon_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC05E, "TLS_ECDH_ECDSA_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC05F, "TLS_ECDH_ECDSA_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC062, "TLS_ECDH_RSA_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC063, "TLS_ECDH_RSA_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC064, "TLS_PSK_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC065, "TLS_PSK_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC066, "TLS_DHE_PSK_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC067, "TLS_DHE_PSK_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC068, "TLS_RSA_PSK_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC069, "TLS_RSA_PSK_WITH_ARIA_256_CBC_SHA384", aria256S384},
	{0xC06A, "TLS_PSK_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC06B, "TLS_PSK_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC06C, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC06D, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC06E, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256", ariaGCM128},
	{0xC06F, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384", ariaGCM256},
	{0xC070, "TLS_ECDHE_PSK_WITH_ARIA_128_CBC_SHA256", aria128S256},
	{0xC071, "TLS_ECDHE_PSK_WITH_ARIA_256_CBC_SHA384", aria256S384},
	// RFC 6367 (Camellia with ECC, GCM and PSK).
	{0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", cam256S384},
	{0xC074, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0xC075, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_CBC_SHA384", cam256S384},
	{0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384", cam256S384},
	{0xC078, "TLS_ECDH_RSA_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0xC079, "TLS_ECDH_RSA_WITH_CAMELLIA_256_CBC_SHA384", cam256S384},
	{0xC07A, "TLS_RSA_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC07B, "TLS_RSA_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC07C, "TLS_DHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC07D, "TLS_DHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC07E, "TLS_DH_RSA_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC07F, "TLS_DH_RSA_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC080, "TLS_DHE_DSS_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC081, "TLS_DHE_DSS_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC082, "TLS_DH_DSS_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC083, "TLS_DH_DSS_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC084, "TLS_DH_anon_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC085, "TLS_DH_anon_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC086, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC087, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC088, "TLS_ECDH_ECDSA_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC089, "TLS_ECDH_ECDSA_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC08A, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC08B, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC08C, "TLS_ECDH_RSA_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC08D, "TLS_ECDH_RSA_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC08E, "TLS_PSK_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC08F, "TLS_PSK_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC090, "TLS_DHE_PSK_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC091, "TLS_DHE_PSK_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC092, "TLS_RSA_PSK_WITH_CAMELLIA_128_GCM_SHA256", camGCM128},
	{0xC093, "TLS_RSA_PSK_WITH_CAMELLIA_256_GCM_SHA384", camGCM256},
	{0xC094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0xC095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384", cam256S384},
	{0xC096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0xC097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", cam256S384},
	{0xC098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0xC099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384", cam256S384},
	{0xC09A, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256", cam128S256},
	{0xC09B, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384", cam256S384},
	// RFC 6655 (AES-CCM) and RFC 7251 (AES-CCM with ECC).
	{0xC09C, "TLS_RSA_WITH_AES_128_CCM", ccm128},
	{0xC09D, "TLS_RSA_WITH_AES_256_CCM", ccm256},
	{0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", ccm128},
	{0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", ccm256},
	{0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", ccm8128},
	{0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", ccm8256},
	{0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", ccm8128},
	{0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", ccm8256},
	{0xC0A4, "TLS_PSK_WITH_AES_128_CCM", ccm128},
	{0xC0A5, "TLS_PSK_WITH_AES_256_CCM", ccm256},
	{0xC0A6, "TLS_DHE_PSK_WITH_AES_128_CCM", ccm128},
	{0xC0A7, "TLS_DHE_PSK_WITH_AES_256_CCM", ccm256},
	{0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8", ccm8128},
	{0xC0A9, "TLS_PSK_WITH_AES_256_CCM_8", ccm8256},
	{0xC0AA, "TLS_PSK_DHE_WITH_AES_128_CCM_8", ccm8128},
	{0xC0AB, "TLS_PSK_DHE_WITH_AES_256_CCM_8", ccm8256},
	{0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", ccm128},
	{0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", ccm256},
	{0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", ccm8128},
	{0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", ccm8256},
	// RFC 7905 (ChaCha20-Poly1305).
	{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", chacha},
	{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", chacha},
	{0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", chacha},
	{0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", chacha},
	{0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", chacha},
	{0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256", chacha},
	{0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256", chacha},
	// RFC 8442 (ECDHE_PSK with AES-GCM and AES-CCM).
	{0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", gcm128},
	{0xD002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384", gcm256},
	{0xD003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", ccm8128S256},
	{0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256", ccm128S256},
}

var suitesByID = func() map[uint16]*Suite {
	m := make(map[uint16]*Suite, len(suiteList))
	for _, e := range suiteList {
		if _, dup := m[e.id]; dup {
			panic(fmt.Sprintf("tlscrypt: internal error: suite 0x%04X listed twice", e.id))
		}
		m[e.id] = &Suite{
			ID:           e.id,
			Name:         e.name,
			Cipher:       e.p.cipher,
			KeyLen:       e.p.keyLen,
			FixedIVLen:   e.p.fixedIVLen,
			MAC:          e.p.mac,
			PRFHash:      e.p.prf,
			TLS13:        e.p.tls13,
			ExportKeyLen: e.p.export,
		}
	}
	return m
}()
