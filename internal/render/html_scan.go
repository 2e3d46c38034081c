package render

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/scan/scanev"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// The scan section of the HTML report (scan --html): per target, the
// grade, the findings (severity, rule, cause, fix), the versions with
// their suites, the groups, ALPN protocols, features and certificate
// chains. It is read from the scan's events (their typed payloads, as
// internal/scan emits them), which stream in no fixed order between
// versions and end with a summary per target.

// htmlScan is what the report shows of one target's scan.
type htmlScan struct {
	// Target is the HOST:PORT scanned, from the summary.
	Target string
	// Done is set by the summary; Grade is "" when no version was
	// accepted, or Ungraded says why there is none.
	Done               bool
	Grade              string
	Ungraded           string
	Probes             int
	Took               string
	Versions           []*htmlScanVersion
	Groups13, Groups12 []string
	// Groups12Unknown says why the curves before TLS 1.3 are unknown.
	Groups12Unknown string
	ALPN            []string
	// ALPNRefused are the protocols the server refused with a
	// no_application_protocol alert, each offered alone.
	ALPNRefused []string
	// SignatureNotes say what the signature scheme probes could not
	// settle.
	SignatureNotes []string
	Features       []htmlFeature
	Chains         []htmlScanChain
	Findings       []htmlFinding
	// Other are the results of event types this report does not know,
	// each as its type and fields.
	Other []string
}

type htmlScanVersion struct {
	version uint16
	Name    string
	// Accepted is set when the server speaks it; State says how the
	// probes ended otherwise (not accepted, timed out, failed) and why,
	// as the text report says it (versionState).
	Accepted   bool
	State      string
	Order      string
	Incomplete string
	// SuitesFrom says where the suites came from when not from
	// ServerHellos (HelloRetryRequests only).
	SuitesFrom string
	Suites     []htmlSuite
	SSLv2      []string
	// Signatures are the signature schemes the server signed with, each
	// offered alone.
	Signatures []string
	// DH is the size of the DHE prime the server sent, or why it is not
	// known.
	DH string
	// FFDHE says which RFC 7919 group the server chose when the hello
	// offered them for DHE, or that it chose none.
	FFDHE string
}

type htmlSuite struct {
	Name, KeyExchange string
	Bits              int
	ForwardSecrecy    bool
}

type htmlFeature struct {
	Name, State, Detail string
	Bad                 bool
}

type htmlScanChain struct {
	KeyType    string
	Certs      []htmlScanCert
	Valid      bool
	Cause, Fix string
	Err        string
	// Staple is the status of the stapled OCSP response ("" when none
	// was stapled), and StapleClass its colour: ok when good, bad when
	// revoked or refused as a client that checks it refuses it, warn
	// when it could not be checked.
	Staple      string
	StapleClass string
}

// htmlScanCert is a certificate of a scanned chain, with the end of its
// validity.
type htmlScanCert struct {
	trace.CertSummary
	Until string
}

type htmlFinding struct {
	Severity, Rule, Title, Cause, Fix string
}

// scanEvent adds a scan event to the target's section, opened by its
// first event and closed by its summary.
func (h *HTML) scanEvent(ev *trace.Event) {
	if len(h.scans) == 0 || h.scans[len(h.scans)-1].Done {
		h.scans = append(h.scans, &htmlScan{})
	}
	s := h.scans[len(h.scans)-1]
	switch p := ev.Payload.(type) {
	case *scanev.SuiteAccepted:
		v := s.version(p.Version)
		v.Suites = append(v.Suites, htmlSuite{
			Name:           enumText(trace.SuiteEnum(p.Suite)),
			KeyExchange:    trace.SuiteKeyExchange(p.Suite),
			Bits:           scanev.Bits(p.Suite),
			ForwardSecrecy: scanev.ForwardSecret(p.Suite),
		})
	case *scanev.SSLv2CipherAccepted:
		v := s.version(scanev.VersionSSL20)
		v.SSLv2 = append(v.SSLv2, enumText(trace.SSLv2CipherEnum(p.Kind)))
	case *scanev.VersionFound:
		v := s.version(p.Version)
		v.Accepted = p.Outcome == scanev.Accepted && p.Unconfirmed == ""
		v.State = versionState(p.Outcome, p.Reason, p.Unconfirmed)
		if p.Unconfirmed != "" {
			v.SuitesFrom = retryOnlySuites
		}
		if v.Accepted && p.Suites > 1 {
			v.Order = orderText(p.Order)
		}
		v.Incomplete = p.Incomplete
	case *scanev.GroupAccepted:
		g := enumText(trace.GroupEnum(p.Group))
		if p.Version == trace.VersionTLS13 {
			s.Groups13 = append(s.Groups13, g)
		} else {
			s.Groups12 = append(s.Groups12, g)
		}
	case *scanev.ALPNAccepted:
		s.ALPN = append(s.ALPN, p.Protocol)
	case *scanev.ALPNRefused:
		s.ALPNRefused = append(s.ALPNRefused, p.Protocol)
	case *scanev.CurvesUnknown:
		s.Groups12Unknown = p.Reason
	case *scanev.SignatureNote:
		s.SignatureNotes = append(s.SignatureNotes, p.Note)
	case *scanev.Feature:
		f := htmlFeature{Name: featureName(p), State: "unknown", Detail: p.Detail}
		if p.Known {
			f.State = "no"
			if p.Supported {
				f.State = "yes"
			}
		}
		s.Features = append(s.Features, f)
	case *scanev.CertChain:
		c := htmlScanChain{KeyType: p.KeyType, Err: p.Err}
		for _, cert := range p.Certs {
			c.Certs = append(c.Certs, htmlScanCert{chain.Summary(cert), cert.NotAfter.UTC().Format(time.DateOnly)})
		}
		if v := p.Verdict; v != nil {
			c.Valid, c.Cause, c.Fix = v.Valid, v.Cause, v.Fix
		}
		if len(p.Staple) > 0 {
			st := p.StapleStatus()
			c.Staple, c.StapleClass = st.Text, "warn"
			switch {
			case st.Text == "good":
				c.StapleClass = "ok"
			case st.Revoked || st.Refused:
				c.StapleClass = "bad"
			}
		}
		s.Chains = append(s.Chains, c)
	case *scanev.Finding:
		s.Findings = append(s.Findings, htmlFinding{Severity: p.Severity.String(), Rule: p.Rule, Title: p.Title, Cause: p.Cause, Fix: p.Fix})
	case *scanev.SignatureAccepted:
		v := s.version(p.Version)
		v.Signatures = append(v.Signatures, enumText(trace.SignatureSchemeEnum(p.Scheme)))
	case *scanev.DHGroup:
		v := s.version(p.Version)
		switch {
		case p.Err != "":
			v.DH = p.Err
		default:
			v.DH = fmt.Sprintf("%d-bit prime, %s", p.Bits, dhGroupText(p.Known))
			if p.Suite != 0 {
				v.DH += " (" + enumText(trace.SuiteEnum(p.Suite)) + ")"
			}
		}
	case *scanev.FFDHE:
		v := s.version(p.Version)
		v.FFDHE = p.Err
		switch {
		case p.Err != "":
		case p.Group != 0:
			v.FFDHE = p.Known + " chosen (" + enumText(trace.SuiteEnum(p.Suite)) + ")"
		default:
			v.FFDHE = fmt.Sprintf("none chosen: a %d-bit prime, %s (%s)", p.Bits, dhGroupText(p.Known), enumText(trace.SuiteEnum(p.Suite)))
		}
	case *scanev.Summary:
		s.Done, s.Target, s.Grade, s.Ungraded, s.Probes = true, p.Addr, p.Grade, p.Ungraded, p.Probes
		s.Took = ms(p.Duration)
		// Versions from the newest; the probes find them in any order.
		slices.SortStableFunc(s.Versions, func(a, b *htmlScanVersion) int { return cmp.Compare(b.version, a.version) })
	default:
		s.Other = append(s.Other, DisplayName(ev.Type)+": "+treeText(ev.Fields))
	}
}

// treeText writes a field tree on one line: each field's name and value,
// the fields of an object or list in parentheses.
func treeText(n *field.Node) string {
	if n == nil {
		return ""
	}
	var parts []string
	for _, c := range n.Children {
		v := scalarText(c, maxFieldHex)
		if c.Kind == field.Object || c.Kind == field.List {
			v = "(" + treeText(c) + ")"
		}
		parts = append(parts, strings.TrimSpace(c.Name+" "+v))
	}
	return strings.Join(parts, ", ")
}

// version returns the entry of version v, made on its first event.
func (s *htmlScan) version(v uint16) *htmlScanVersion {
	for _, x := range s.Versions {
		if x.version == v {
			return x
		}
	}
	x := &htmlScanVersion{version: v, Name: enumText(trace.VersionEnum(v))}
	s.Versions = append(s.Versions, x)
	return x
}

func orderText(o scanev.Order) string {
	switch o {
	case scanev.OrderServer:
		return "the server's order"
	case scanev.OrderClient:
		return "follows the client's order"
	}
	return "order unknown"
}

// gradeClass is the colour of a grade: A and A+ good, F and T bad.
func gradeClass(g string) string {
	switch {
	case strings.HasPrefix(g, "A"):
		return "ok"
	case g == "" || g == "F" || g == "T":
		return "bad"
	}
	return "warn"
}
