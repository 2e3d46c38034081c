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

// VersionFound is a version's verdict, once its suites are known; for
// TLS 1.3 answered by HelloRetryRequests only, once the full handshakes
// confirmed it or not.
type VersionFound struct {
	Version    uint16
	Outcome    Outcome
	Reason     string
	Order      Order
	Suites     int
	Incomplete string
	// Unconfirmed is VersionResult.Unconfirmed: why a version every
	// answer accepted with a HelloRetryRequest only is not confirmed (no
	// full handshake completed); "" when it is, or was never in doubt.
	Unconfirmed string
}

// NewVersionFound returns the verdict of vr.
func NewVersionFound(vr *VersionResult) *VersionFound {
	return &VersionFound{Version: vr.Version, Outcome: vr.Outcome, Reason: vr.Reason, Order: vr.Order,
		Suites: len(vr.Suites) + len(vr.SSLv2Ciphers), Incomplete: vr.Incomplete, Unconfirmed: vr.Unconfirmed}
}

// OutcomeUnconfirmed is the outcome, in the events, of a version that
// every answer accepted with a HelloRetryRequest only, and that no full
// handshake then confirmed.
const OutcomeUnconfirmed = "unconfirmed"

func (*VersionFound) Layer() string { return Layer }
func (*VersionFound) Type() string  { return "version" }

func (p *VersionFound) Tree() *field.Node {
	f := field.NewObject("")
	f.AddEnum("version", uint64(p.Version), wire.VersionName(p.Version))
	outcome, reason := p.Outcome.String(), p.Reason
	if p.Unconfirmed != "" {
		outcome, reason = OutcomeUnconfirmed, p.Unconfirmed
	}
	f.AddBool("accepted", p.Outcome == Accepted && p.Unconfirmed == "")
	f.AddString("outcome", outcome)
	if reason != "" {
		f.AddString("reason", reason)
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

// CurvesUnknown says that the curves a server accepts for ECDHE before
// TLS 1.3 are unknown: ServerHellos chose an ECDHE suite, but no
// ServerKeyExchange named a curve (Result.Groups12Unknown).
type CurvesUnknown struct {
	// Version is the version the curves were probed in.
	Version uint16
	Reason  string
}

func (*CurvesUnknown) Layer() string { return Layer }
func (*CurvesUnknown) Type() string  { return "curves_unknown" }

func (p *CurvesUnknown) Tree() *field.Node {
	f := field.NewObject("")
	f.AddEnum("version", uint64(p.Version), wire.VersionName(p.Version))
	f.AddString("reason", p.Reason)
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
