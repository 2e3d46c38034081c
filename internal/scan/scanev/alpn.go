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

// ALPNRefused is an ALPN protocol whose hello, offering it alone (in TLS
// 1.0-1.2), the server refused with a no_application_protocol alert (RFC
// 7301, Section 3.2).
type ALPNRefused struct {
	Protocol string
}

func (*ALPNRefused) Layer() string { return Layer }

func (*ALPNRefused) Type() string { return "alpn_refused" }

func (p *ALPNRefused) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("protocol", p.Protocol)
	return f
}
