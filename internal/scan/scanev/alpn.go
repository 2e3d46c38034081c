package scanev

import "github.com/tlstrace/tlstrace/internal/field"

// ALPNAccepted is an ALPN protocol (RFC 7301) the server chose when it
// was the only one offered.
type ALPNAccepted struct {
	Protocol string
}

func (*ALPNAccepted) Layer() string { return Layer }

func (*ALPNAccepted) Type() string { return "alpn_accepted" }

func (p *ALPNAccepted) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("protocol", p.Protocol)
	return f
}
