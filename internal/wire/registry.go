package wire

import "fmt"

// This file is a placeholder for the IANA registries; see registry_*.go.

// AlertLevel is the level of an alert (RFC 5246, Section 7.2).
type AlertLevel uint8

func (l AlertLevel) String() string {
	switch l {
	case 1:
		return "warning"
	case 2:
		return "fatal"
	}
	return fmt.Sprintf("unknown_%d", uint8(l))
}

// AlertDescription is the description of an alert (RFC 8446, Section 6).
type AlertDescription uint8

func (a AlertDescription) String() string { return fmt.Sprintf("unknown_%d", uint8(a)) }

// CipherSuiteName returns the IANA name of a cipher suite, "" if unknown.
func CipherSuiteName(id uint16) string { return "" }

// ExtensionName returns the RFC name of an extension type, "" if unknown.
func ExtensionName(t uint16) string { return "" }

// VersionName returns a readable protocol version ("TLS 1.3").
func VersionName(v uint16) string { return fmt.Sprintf("0x%04X", v) }
