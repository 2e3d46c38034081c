package scanev

import (
	"fmt"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// SignatureAccepted is a signature scheme the server signed its handshake
// with when it was the only one offered in signature_algorithms (RFC
// 8446, Section 4.2.3; RFC 5246, Section 7.4.1.4.1): in TLS 1.2 the
// scheme of its ServerKeyExchange, in TLS 1.3 that of its
// CertificateVerify.
type SignatureAccepted struct {
	Version, Scheme uint16
	// Suite is the suite of the TLS 1.2 handshake that showed it (its
	// key type); 0 for TLS 1.3.
	Suite uint16
}

func (*SignatureAccepted) Layer() string { return Layer }

func (*SignatureAccepted) Type() string { return "signature_accepted" }

func (p *SignatureAccepted) Tree() *field.Node {
	f := field.NewObject("")
	f.AddEnum("version", uint64(p.Version), wire.VersionName(p.Version))
	f.AddEnum("signature_scheme", uint64(p.Scheme), schemeName(p.Scheme))
	if p.Suite != 0 {
		f.AddEnum("cipher_suite", uint64(p.Suite), suiteName(p.Suite))
	}
	return f
}

// schemeName names signature scheme s, in hex when it has no name.
func schemeName(s uint16) string {
	if n := wire.SignatureSchemeName(s); n != "" {
		return n
	}
	return fmt.Sprintf("0x%04X", s)
}

// SignatureNote is what the signature scheme probes of a version could
// not settle: a server that signed with a scheme that was not offered, or
// TLS 1.3 handshakes this side stopped or that none completed.
type SignatureNote struct {
	Note string
}

func (*SignatureNote) Layer() string { return Layer }
func (*SignatureNote) Type() string  { return "signature_note" }

func (p *SignatureNote) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("note", p.Note)
	return f
}
