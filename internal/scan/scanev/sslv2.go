package scanev

import (
	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// VersionSSL20 is SSL 2.0's version number.
const VersionSSL20 uint16 = 0x0002

// SSLv2CipherAccepted is an SSL 2.0 cipher kind the server listed.
type SSLv2CipherAccepted struct {
	Kind uint32
}

func (*SSLv2CipherAccepted) Layer() string { return Layer }

func (*SSLv2CipherAccepted) Type() string { return "sslv2_cipher_accepted" }

func (p *SSLv2CipherAccepted) Tree() *field.Node {
	f := field.NewObject("")
	f.AddEnum("version", uint64(VersionSSL20), wire.VersionName(VersionSSL20))
	f.AddEnum("cipher_kind", uint64(p.Kind), wire.SSLv2CipherName(p.Kind))
	return f
}
