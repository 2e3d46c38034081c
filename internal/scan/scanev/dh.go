package scanev

import (
	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// DHGroup is the finite-field group a server uses for DHE in one
// version, read from the prime (dh_p) of its ServerKeyExchange (RFC
// 5246, Section 7.4.3).
type DHGroup struct {
	Version uint16
	// Suite is the suite the server chose in the probe.
	Suite uint16
	// Bits is the size of the prime in bits; 0 when the probe did not
	// get a ServerKeyExchange (Err says why).
	Bits int
	Err  string
}

func (*DHGroup) Layer() string { return Layer }

func (*DHGroup) Type() string { return "dh_group" }

func (p *DHGroup) Tree() *field.Node {
	f := field.NewObject("")
	f.AddEnum("version", uint64(p.Version), wire.VersionName(p.Version))
	if p.Suite != 0 {
		f.AddEnum("cipher_suite", uint64(p.Suite), suiteName(p.Suite))
	}
	if p.Bits > 0 {
		f.AddUint("bits", uint64(p.Bits))
	}
	if p.Err != "" {
		f.AddString("error", p.Err)
	}
	return f
}
