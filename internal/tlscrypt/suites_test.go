package tlscrypt

import (
	"crypto"
	"strings"
	"testing"
)

// TestSuiteTable checks the suite table against the IANA names: the part
// after "_WITH_" (or "TLS_" for TLS 1.3) names the record protection.
func TestSuiteTable(t *testing.T) {
	names := map[CipherKind]string{
		Null: "NULL", RC4: "RC4_128", AESCBC: "AES_%d_CBC", TripleDESCBC: "3DES_EDE_CBC", DESCBC: "DES_CBC",
		AESGCM: "AES_%d_GCM", AESCCM: "AES_%d_CCM", AESCCM8: "AES_%d_CCM_8", ChaCha20Poly1305: "CHACHA20_POLY1305",
		CamelliaCBC: "CAMELLIA_%d_CBC", CamelliaGCM: "CAMELLIA_%d_GCM", ARIACBC: "ARIA_%d_CBC", ARIAGCM: "ARIA_%d_GCM",
		SEEDCBC: "SEED_CBC", IDEACBC: "IDEA_CBC",
	}
	hashes := map[crypto.Hash]string{crypto.MD5: "MD5", crypto.SHA1: "SHA", crypto.SHA256: "SHA256", crypto.SHA384: "SHA384"}
	seen := map[uint16]bool{}
	for _, s := range Suites() {
		if seen[s.ID] {
			t.Errorf("0x%04X listed twice", s.ID)
		}
		seen[s.ID] = true
		got, ok := SuiteByID(s.ID)
		if !ok || got != s {
			t.Errorf("SuiteByID(0x%04X) disagrees with Suites", s.ID)
		}
		prot, ok := strings.CutPrefix(s.Name, "TLS_")
		if !s.TLS13 {
			_, prot, ok = strings.Cut(s.Name, "_WITH_")
		}
		if !ok {
			t.Errorf("%s: unexpected name", s.Name)
			continue
		}
		cipher := names[s.Cipher]
		cipher = strings.Replace(cipher, "%d", map[int]string{16: "128", 32: "256"}[s.KeyLen], 1)
		if s.ExportKeyLen > 0 {
			// RFC 2246, Appendix C: 5 bytes of key material.
			cipher = map[CipherKind]string{RC4: "RC4_40", DESCBC: "DES40_CBC", RC2CBC: "RC2_CBC_40"}[s.Cipher]
			if strings.HasPrefix(prot, "DES_CBC_40") {
				cipher = "DES_CBC_40" // RFC 2712's spelling
			}
			if s.ExportKeyLen != 5 || !strings.Contains(s.Name, "_EXPORT_") {
				t.Errorf("%s: export key material of %d bytes", s.Name, s.ExportKeyLen)
			}
		}
		if !strings.HasPrefix(prot, cipher) {
			t.Errorf("%s: cipher %s with a %d-byte key does not match the name", s.Name, s.Cipher, s.KeyLen)
		}
		suffix := strings.TrimPrefix(strings.TrimPrefix(prot, cipher), "_")
		switch {
		case s.Cipher.AEAD():
			// AEAD names end in the PRF hash, except the CCM suites of
			// RFC 6655 and RFC 7251, whose PRF is SHA-256.
			if s.MAC != 0 || (suffix != "" && suffix != hashes[s.PRFHash]) || (suffix == "" && s.PRFHash != crypto.SHA256) {
				t.Errorf("%s: MAC %v PRF %v", s.Name, s.MAC, s.PRFHash)
			}
			if want := map[bool]int{true: 12, false: 4}[s.TLS13 || s.Cipher == ChaCha20Poly1305]; s.FixedIVLen != want {
				t.Errorf("%s: FixedIVLen %d, want %d", s.Name, s.FixedIVLen, want)
			}
		default:
			if suffix != hashes[s.MAC] {
				t.Errorf("%s: MAC %v does not match the name", s.Name, s.MAC)
			}
			wantPRF := crypto.SHA256
			if s.MAC == crypto.SHA384 {
				wantPRF = crypto.SHA384
			}
			if s.PRFHash != wantPRF {
				t.Errorf("%s: PRF %v, want %v", s.Name, s.PRFHash, wantPRF)
			}
			if s.FixedIVLen != s.BlockSize() {
				t.Errorf("%s: FixedIVLen %d, want the block size %d", s.Name, s.FixedIVLen, s.BlockSize())
			}
		}
		if s.TLS13 != (s.ID>>8 == 0x13) {
			t.Errorf("%s: TLS13 = %v", s.Name, s.TLS13)
		}
		newHash(s.PRFHash) // panics if missing
		if s.MAC != 0 {
			newHash(s.MAC)
		}
	}
	// The suites the brief of this package names, and a few more.
	for _, id := range []uint16{
		0x1301, 0x1302, 0x1303, 0x1304, 0x1305,
		0x0001, 0x0002, 0x0004, 0x0005, 0x000A, 0x0016, 0x002F, 0x0035, 0x003B, 0x003C, 0x003D,
		0x009C, 0x009D, 0x009E, 0x009F, 0xC009, 0xC00A, 0xC012, 0xC013, 0xC014, 0xC023, 0xC024,
		0xC027, 0xC028, 0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA8, 0xCCA9, 0xCCAA,
		0xC09C, 0xC09D, 0xC09E, 0xC09F, 0xC0A0, 0xC0A1, 0xC0A2, 0xC0A3, 0xC0A4, 0xC0A5, 0xC0A6, 0xC0A7,
		0xC0A8, 0xC0A9, 0xC0AA, 0xC0AB, 0xC0AC, 0xC0AD, 0xC0AE, 0xC0AF,
		// Camellia (RFC 5932, RFC 6367) and ARIA (RFC 6209).
		0x0041, 0x0045, 0x0084, 0x0088, 0x00BA, 0x00C0, 0xC072, 0xC077, 0xC07A, 0xC08B, 0xC094, 0xC09B,
		0xC03C, 0xC03D, 0xC04C, 0xC050, 0xC061, 0xC06A, 0xC071,
		// SEED (RFC 4162) and IDEA (RFC 5469).
		0x0096, 0x009A, 0x0007, 0x0021, 0x0025,
		// Export (RFC 2246, RFC 2712).
		0x0003, 0x0006, 0x0008, 0x0014, 0x0017, 0x0026, 0x0027, 0x002A, 0x002B,
	} {
		if _, ok := SuiteByID(id); !ok {
			t.Errorf("0x%04X not supported", id)
		}
	}
	// Not record protections: signalling values.
	for _, id := range []uint16{0x0000, 0x00FF, 0x5600} {
		if s, ok := SuiteByID(id); ok {
			t.Errorf("0x%04X unexpectedly supported as %s", id, s.Name)
		}
	}
}
