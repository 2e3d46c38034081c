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
	// Known names the published group the prime and generator are
	// (RFC 7919's ffdhe2048, RFC 3526 group 14, …); "" for a group of
	// the server's own.
	Known string
	Err   string
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
		f.AddString("known_group", p.Known)
	}
	if p.Err != "" {
		f.AddString("error", p.Err)
	}
	return f
}

// FFDHE is what a server does with DHE when a TLS 1.2 hello offers the
// RFC 7919 groups in supported_groups: use one of them (RFC 7919,
// Section 4: it SHOULD), or send a group of its own in the
// ServerKeyExchange.
type FFDHE struct {
	Version uint16
	// Suite is the DHE suite the server chose in the probe.
	Suite uint16
	// Group is the offered group whose prime and generator the
	// ServerKeyExchange carries; 0 when it carries none of them.
	Group uint16
	// Bits is the size of the prime (dh_p); Known names the published
	// group it is, "" for a group of the server's own.
	Bits  int
	Known string
	// Err says why the probe got no ServerKeyExchange.
	Err string
}

func (*FFDHE) Layer() string { return Layer }

func (*FFDHE) Type() string { return "dh_ffdhe" }

func (p *FFDHE) Tree() *field.Node {
	f := field.NewObject("")
	f.AddEnum("version", uint64(p.Version), wire.VersionName(p.Version))
	if p.Suite != 0 {
		f.AddEnum("cipher_suite", uint64(p.Suite), suiteName(p.Suite))
	}
	if p.Bits > 0 {
		f.AddBool("named", p.Group != 0)
		if p.Group != 0 {
			f.AddEnum("group", uint64(p.Group), groupName(p.Group))
		}
		f.AddUint("bits", uint64(p.Bits))
		f.AddString("known_group", p.Known)
	}
	if p.Err != "" {
		f.AddString("error", p.Err)
	}
	return f
}
