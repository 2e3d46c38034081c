package scanev

import (
	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Feature is a protocol feature the server has or lacks, as its answers
// to the feature probes showed.
type Feature struct {
	// Name is secure_renegotiation, extended_master_secret, heartbeat,
	// compression, ocsp_stapling, session_ticket, session_id,
	// encrypt_then_mac, client_renegotiation, fallback_scsv, hsts,
	// session_id_resumption, ticket_resumption, psk_resumption,
	// early_data, heartbleed (Supported: the server leaked),
	// ccs_injection (Supported: the server took a ChangeCipherSpec
	// before the key exchange) or robot (Supported: the server's RSA key
	// exchange is a padding oracle).
	Name string
	// Version is the version the feature was probed in; 0 when it is
	// not about one (hsts).
	Version uint16
	// Supported says whether the server has it; Known is false when the
	// probe did not answer (Supported then says nothing).
	Supported, Known bool
	// Detail says what the answer was.
	Detail string
}

func (*Feature) Layer() string { return Layer }

func (*Feature) Type() string { return "feature" }

func (p *Feature) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("name", p.Name)
	if p.Version != 0 {
		f.AddEnum("version", uint64(p.Version), wire.VersionName(p.Version))
	}
	f.AddBool("known", p.Known)
	if p.Known {
		f.AddBool("supported", p.Supported)
	}
	f.AddString("detail", p.Detail)
	return f
}
