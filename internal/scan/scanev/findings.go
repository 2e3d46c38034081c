package scanev

import (
	"fmt"
	"strings"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// Severity ranks a finding.
type Severity uint8

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

func (s Severity) String() string {
	return [...]string{"info", "low", "medium", "high", "critical"}[s]
}

// Finding is a weakness of the server's configuration: its rule, what
// was seen, and how to fix it.
type Finding struct {
	Severity Severity
	// Rule is the finding's stable name (docs/scan.md).
	Rule  string
	Title string
	Cause string
	Fix   string
}

// keyExchange names the key exchange of suite s as the report shows it.
func keyExchange(s uint16) string {
	return wire.CipherSuiteKeyExchange(s).String()
}

// ForwardSecret reports whether suite s has forward secrecy: an ephemeral
// key exchange (DHE, ECDHE, every TLS 1.3 suite).
func ForwardSecret(s uint16) bool {
	switch wire.CipherSuiteKeyExchange(s) {
	case wire.KexDHE, wire.KexECDHE, wire.KexTLS13, wire.KexDHEPSK, wire.KexECDHEPSK, wire.KexDHAnon, wire.KexECDHAnon:
		return true
	}
	return false
}

// IntegrityOnly reports whether s is a TLS 1.3 suite that authenticates
// the records without encrypting them: TLS_SHA256_SHA256 and
// TLS_SHA384_SHA384 (RFC 9150).
func IntegrityOnly(s uint16) bool { return s == 0xC0B4 || s == 0xC0B5 }

// Bits returns the cipher's key strength in bits (112 for 3DES, whose
// 168-bit key gives 112 bits against a meet-in-the-middle attack; 40 for
// the export ciphers; 0 for NULL and the integrity-only suites).
func Bits(s uint16) int {
	n := wire.CipherSuiteName(s)
	c := cipherPart(s)
	switch {
	case strings.HasPrefix(c, "NULL") || IntegrityOnly(s):
		return 0
	case strings.Contains(n, "EXPORT1024"):
		return 56
	case strings.Contains(n, "EXPORT") || strings.Contains(c, "_40_") || strings.Contains(c, "DES40"):
		return 40
	case strings.Contains(c, "3DES"):
		return 112
	case strings.HasPrefix(c, "DES_"):
		return 56
	case strings.Contains(c, "128") || strings.HasPrefix(c, "SEED") || strings.HasPrefix(c, "IDEA") || strings.HasPrefix(c, "SM4"):
		// Before 256: "AES_128_CBC_SHA256" names its MAC's size too.
		return 128
	case strings.Contains(c, "256") || strings.Contains(c, "CHACHA20"):
		return 256
	}
	return 0
}

// suiteName names cipher suite s, in hex when it has no name.
func suiteName(s uint16) string {
	if n := wire.CipherSuiteName(s); n != "" {
		return n
	}
	return fmt.Sprintf("0x%04X", s)
}

// groupName returns the name of group g.
func groupName(g uint16) string { return wire.GroupName(g) }

// cipherPart returns the cipher and MAC of the suite's name (after
// "_WITH_"), or the whole name for TLS 1.3 suites.
func cipherPart(s uint16) string {
	n := wire.CipherSuiteName(s)
	if _, c, ok := strings.Cut(n, "_WITH_"); ok {
		return c
	}
	return strings.TrimPrefix(n, "TLS_")
}
