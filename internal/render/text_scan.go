package render

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/scan/scanev"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// versionState says how the probes of a version ended, and why, in the
// words of the text report and the HTML one: accepted, not accepted (a
// refusal), timed out or failed; or, for a version that only
// HelloRetryRequests accepted, that no full handshake confirmed it
// (unconfirmed says why).
func versionState(o scanev.Outcome, reason, unconfirmed string) string {
	if unconfirmed != "" {
		return "answered with HelloRetryRequests only, no handshake completed (" + unconfirmed + ")"
	}
	if o == scanev.Accepted {
		return "accepted"
	}
	state := "not accepted"
	if o == scanev.TimedOut || o == scanev.Failed {
		state = o.String()
	}
	if reason != "" {
		state += " (" + reason + ")"
	}
	return state
}

// ScanReport writes the text report of a scan (tlstrace scan without
// --json): the versions, the suites of each in the server's order, the
// groups, signature schemes, ALPN protocols and features, the chains, the
// findings with their cause and fix, and the grade.
func ScanReport(w io.Writer, r *scanev.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Scan of %s: %d probes in %.2f s\n\nVersions\n", r.Addr, r.Probes, r.Duration.Seconds())
	for _, vr := range r.Versions {
		fmt.Fprintf(&b, "  %-8s %s\n", versionText(vr.Version), versionState(vr.Outcome, vr.Reason, vr.Unconfirmed))
	}
	for _, vr := range r.Versions {
		scanSuites(&b, vr)
	}
	if len(r.Groups13)+len(r.Groups12)+len(r.DH) > 0 || r.FFDHE != nil || r.Groups12Unknown != "" {
		b.WriteString("\nGroups\n")
		if len(r.Groups13) > 0 {
			fmt.Fprintf(&b, "  TLS 1.3: %s\n", groupList(r.Groups13))
		}
		if len(r.Groups12) > 0 {
			fmt.Fprintf(&b, "  ECDHE before TLS 1.3: %s\n", groupList(r.Groups12))
		}
		if r.Groups12Unknown != "" {
			fmt.Fprintf(&b, "  ECDHE before TLS 1.3: unknown (%s)\n", r.Groups12Unknown)
		}
		for _, g := range r.DH {
			if g.Err != "" {
				fmt.Fprintf(&b, "  DHE in %s: unknown (%s)\n", versionText(g.Version), g.Err)
			} else {
				fmt.Fprintf(&b, "  DHE in %s: %d-bit prime, %s (%s)\n", versionText(g.Version), g.Bits, dhGroupText(g.Known), enumText(trace.SuiteEnum(g.Suite)))
			}
		}
		if f := r.FFDHE; f != nil {
			switch {
			case f.Err != "":
				fmt.Fprintf(&b, "  DHE in %s with the ffdhe groups offered: unknown (%s)\n", versionText(f.Version), f.Err)
			case f.Group != 0:
				fmt.Fprintf(&b, "  DHE in %s with the ffdhe groups offered: %s chosen (%s)\n", versionText(f.Version), f.Known, enumText(trace.SuiteEnum(f.Suite)))
			default:
				fmt.Fprintf(&b, "  DHE in %s with the ffdhe groups offered: none chosen, a %d-bit prime, %s (%s)\n", versionText(f.Version), f.Bits, dhGroupText(f.Known), enumText(trace.SuiteEnum(f.Suite)))
			}
		}
	}
	if len(r.Signatures)+len(r.SignatureNotes) > 0 {
		b.WriteString("\nSignature schemes (each offered alone)\n")
		var names []string
		for i, sa := range r.Signatures {
			names = append(names, trace.SignatureSchemeEnum(sa.Scheme).Name)
			if i == len(r.Signatures)-1 || r.Signatures[i+1].Version != sa.Version {
				fmt.Fprintf(&b, "  %s: %s\n", versionText(sa.Version), strings.Join(names, ", "))
				names = nil
			}
		}
		for _, m := range r.SignatureNotes {
			fmt.Fprintf(&b, "  unsettled: %s\n", m)
		}
	}
	if len(r.ALPNRefused) > 0 {
		fmt.Fprintf(&b, "\nALPN refused (alert no_application_protocol): %s\n", strings.Join(r.ALPNRefused, ", "))
	}
	if len(r.ALPN) > 0 {
		fmt.Fprintf(&b, "\nALPN: %s\n", strings.Join(r.ALPN, ", "))
	}
	scanFeatures(&b, r.Features)
	for _, cc := range r.Chains {
		scanChain(&b, cc)
	}
	b.WriteString("\nFindings\n")
	if len(r.Findings) == 0 {
		b.WriteString("  none\n")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  %-8s %s [%s]\n           cause: %s\n           fix:   %s\n", strings.ToUpper(f.Severity.String()), f.Title, f.Rule, f.Cause, f.Fix)
	}
	switch {
	case r.Grade == "" && r.Ungraded != "":
		fmt.Fprintf(&b, "\nNo grade: %s.\n", r.Ungraded)
	case r.Grade == "":
		b.WriteString("\nNo grade: the server accepted no version.\n")
	default:
		fmt.Fprintf(&b, "\nGrade %s (rules: docs/scan.md)\n", r.Grade)
	}
	// The report holds what the server sent (names, headers): escaped
	// as the text view is (safeWriter).
	out, _ := appendSafe(nil, []byte(b.String()), false, true)
	_, err := w.Write(out)
	return err
}

// scanSuites writes the cipher kinds of an SSL 2.0 server and the suites
// a version accepted, with whose order picks among them.
func scanSuites(b *strings.Builder, vr scanev.VersionResult) {
	if len(vr.SSLv2Ciphers) > 0 {
		b.WriteString("\nSSL 2.0 cipher kinds\n")
		for _, k := range vr.SSLv2Ciphers {
			fmt.Fprintf(b, "  %s\n", trace.SSLv2CipherEnum(k).Name)
		}
	}
	if len(vr.Suites) == 0 {
		return
	}
	order := "order unknown"
	switch vr.Order {
	case scanev.OrderServer:
		order = "server's order"
	case scanev.OrderClient:
		order = "follows the client's order"
	}
	if len(vr.Suites) == 1 {
		order = "one suite"
	}
	fmt.Fprintf(b, "\n%s suites (%s)\n", versionText(vr.Version), order)
	for _, s := range vr.Suites {
		fs := ""
		if !scanev.ForwardSecret(s) {
			fs = "  no forward secrecy"
		}
		fmt.Fprintf(b, "  %-48s %-9s %3d bits%s\n", enumText(trace.SuiteEnum(s)), trace.SuiteKeyExchange(s), scanev.Bits(s), fs)
	}
	if vr.Unconfirmed != "" {
		fmt.Fprintf(b, "  (%s)\n", retryOnlySuites)
	}
	if vr.Incomplete != "" {
		fmt.Fprintf(b, "  (the list may be incomplete: %s)\n", vr.Incomplete)
	}
}

// scanFeatures writes the protocol features probed: yes, no, or unknown
// when the probe did not answer.
func scanFeatures(b *strings.Builder, features []scanev.Feature) {
	if len(features) == 0 {
		return
	}
	b.WriteString("\nFeatures\n")
	for _, f := range features {
		state := "no"
		switch {
		case !f.Known:
			state = "unknown"
		case f.Supported:
			state = "yes"
		}
		fmt.Fprintf(b, "  %-33s %-7s %s\n", featureName(&f), state, f.Detail)
	}
}

// scanChain writes a certificate chain the scan got, one line per
// certificate, and its verdict.
func scanChain(b *strings.Builder, cc scanev.CertChain) {
	fmt.Fprintf(b, "\nCertificate chain of the %s key (%s)\n", cc.KeyType, versionText(cc.Version))
	for i, c := range cc.Certs {
		fmt.Fprintf(b, "  %d %s (%s, %s), issuer %s, until %s\n", i, dn.Subject(c), chain.KeyDescription(c), chain.SignatureName(c), dn.Issuer(c), c.NotAfter.UTC().Format(time.DateOnly))
	}
	switch {
	case cc.Err != "":
		fmt.Fprintf(b, "  %s\n", cc.Err)
	case cc.Verdict != nil && cc.Verdict.Valid:
		b.WriteString("  trusted\n")
	case cc.Verdict != nil:
		fmt.Fprintf(b, "  not trusted: %s\n  fix: %s\n", cc.Verdict.Cause, cc.Verdict.Fix)
	}
	if len(cc.Staple) > 0 {
		fmt.Fprintf(b, "  stapled OCSP response: %s\n", cc.StapleStatus().Text)
	}
}

// retryOnlySuites says where the suites of a version came from when only
// HelloRetryRequests accepted it.
const retryOnlySuites = "named by HelloRetryRequests only: no ServerHello, no handshake completed"

// featureName names a feature as the reports list it: with the version
// when it was probed in TLS 1.3, since TLS 1.0-1.2 may have one of the
// same name.
func featureName(f *scanev.Feature) string {
	if f.Version == trace.VersionTLS13 {
		return f.Name + " (TLS 1.3)"
	}
	return f.Name
}

func versionText(v uint16) string { return trace.VersionEnum(v).Name }

// groupList names groups, separated by commas; a group the registry
// lacks has an empty name.
func groupList(gs []uint16) string {
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = trace.GroupEnum(g).Name
	}
	return strings.Join(names, ", ")
}

// ScanProgress is the line on a terminal's stderr that says how far a
// scan has come, once it has run for a third of a second: the probes
// started and the time. It is erased when the scan ends.
type ScanProgress struct {
	mu          sync.Mutex
	w           io.Writer
	addr        string
	start, last time.Time
	shown       bool
}

// NewScanProgress returns the progress line of a scan of addr on w, or
// nil when w is not a terminal.
func NewScanProgress(w io.Writer, addr string) *ScanProgress {
	if !IsTerminal(w) {
		return nil
	}
	return &ScanProgress{w: w, addr: addr, start: time.Now()}
}

// Probe shows that n probes have started (scan.Options.OnProbe); it may
// be called from several goroutines.
func (p *ScanProgress) Probe(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.start) < time.Second/3 || now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.shown = now, true
	fmt.Fprintf(p.w, "\r\x1b[Kscanning %s: %d probes, %.1f s", p.addr, n, now.Sub(p.start).Seconds())
}

// End erases the progress line.
func (p *ScanProgress) End() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// dhGroupText names a DHE group: the published one it is, or the
// server's own.
func dhGroupText(known string) string {
	if known == "" {
		return "the server's own group"
	}
	return known
}
