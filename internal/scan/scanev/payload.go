package scanev

import (
	"time"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Layer is the layer of the scan's events.
const Layer = "scan"

// Payload is a scan result as an event's typed payload.
type Payload = trace.LocalPayload

// SuiteAccepted is a cipher suite the server accepted in a version.
type SuiteAccepted struct {
	Version, Suite uint16
}

func (*SuiteAccepted) Layer() string { return Layer }
func (*SuiteAccepted) Type() string  { return "suite_accepted" }

func (p *SuiteAccepted) Tree() *field.Node {
	f := field.NewObject("")
	f.AddEnum("version", uint64(p.Version), wire.VersionName(p.Version))
	f.AddEnum("cipher_suite", uint64(p.Suite), suiteName(p.Suite))
	f.AddString("key_exchange", keyExchange(p.Suite))
	f.AddUint("bits", uint64(Bits(p.Suite)))
	f.AddBool("forward_secrecy", ForwardSecret(p.Suite))
	return f
}

// VersionFound is a version's verdict, once its suites are known.
type VersionFound struct {
	Version    uint16
	Outcome    Outcome
	Reason     string
	Order      Order
	Suites     int
	Incomplete string
}

func (*VersionFound) Layer() string { return Layer }
func (*VersionFound) Type() string  { return "version" }

func (p *VersionFound) Tree() *field.Node {
	f := field.NewObject("")
	f.AddEnum("version", uint64(p.Version), wire.VersionName(p.Version))
	f.AddBool("accepted", p.Outcome == Accepted)
	f.AddString("outcome", p.Outcome.String())
	if p.Reason != "" {
		f.AddString("reason", p.Reason)
	}
	if p.Outcome == Accepted {
		f.AddUint("suites", uint64(p.Suites))
		f.AddString("order", p.Order.String())
	}
	if p.Incomplete != "" {
		f.AddString("incomplete", p.Incomplete)
	}
	return f
}

// GroupAccepted is a group the server accepted: in TLS 1.3 (key_share
// through a HelloRetryRequest) or for ECDHE before it.
type GroupAccepted struct {
	Version, Group uint16
}

func (*GroupAccepted) Layer() string { return Layer }
func (*GroupAccepted) Type() string  { return "group_accepted" }

func (p *GroupAccepted) Tree() *field.Node {
	f := field.NewObject("")
	f.AddEnum("version", uint64(p.Version), wire.VersionName(p.Version))
	f.AddEnum("group", uint64(p.Group), groupName(p.Group))
	return f
}

func (*Finding) Layer() string { return Layer }
func (*Finding) Type() string  { return "finding" }

func (p *Finding) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("severity", p.Severity.String())
	f.AddString("rule", p.Rule)
	f.AddString("title", p.Title)
	f.AddString("cause", p.Cause)
	f.AddString("fix", p.Fix)
	return f
}

// Summary ends a scan: the grade and what the scan cost. Its target
// (Addr) is the one Events gives every event of the scan.
type Summary struct {
	Addr  string
	Grade string
	// Ungraded is Result.Ungraded: why there is no grade.
	Ungraded string
	Probes   int
	Duration time.Duration
}

func (*Summary) Layer() string { return Layer }
func (*Summary) Type() string  { return "summary" }

func (p *Summary) Tree() *field.Node {
	f := field.NewObject("")
	f.AddString("grade", p.Grade)
	if p.Ungraded != "" {
		f.AddString("ungraded", p.Ungraded)
	}
	f.AddUint("probes", uint64(p.Probes))
	f.AddUint("duration_us", uint64(p.Duration.Microseconds()))
	return f
}
