package scan

import (
	"fmt"
	"slices"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// Extension types the feature probes offer and look for.
const (
	extStatusRequest        = 5      // RFC 6066
	extHeartbeat            = 15     // RFC 6520
	extSessionTicket        = 35     // RFC 5077
	extExtendedMasterSecret = 23     // RFC 7627
	extRenegotiationInfo    = 0xff01 // RFC 5746
	extEncryptThenMAC       = 22     // RFC 7366
	fallbackSCSV            = 0x5600 // RFC 7507
	compressionDeflate      = 1      // RFC 3749
)

// scanFeatures probes, in the highest version before TLS 1.3 the server
// speaks, for secure renegotiation, extended master secret, the
// heartbeat extension and DEFLATE compression (one probe offering all
// four), and for TLS_FALLBACK_SCSV (a hello with the signaling suite in a
// version below the server's highest, which a server that honours it
// refuses with inappropriate_fallback).
func scanFeatures(r *Result, probe func(*hello) answer) []Feature {
	var spoken []uint16
	for _, vr := range r.Versions {
		if vr.Outcome == Accepted && vr.Version != VersionSSL20 {
			spoken = append(spoken, vr.Version)
		}
	}
	var v uint16
	var suites []uint16
	for _, vr := range r.Versions {
		if vr.Outcome == Accepted && vr.Version != wire.VersionTLS13 && vr.Version != wire.VersionSSL30 && vr.Version != VersionSSL20 {
			v, suites = vr.Version, vr.Suites
		}
	}
	var out []Feature
	if v != 0 {
		// No session_ticket here: a server that will issue a ticket may
		// leave the session ID empty (RFC 5077, Section 3.4; OpenSSL
		// does), which would hide whether it keeps sessions by ID. The
		// ticket is asked in a hello of its own.
		a := probe(&hello{version: v, suites: suites, groups: ecGroups, compression: []uint8{compressionDeflate, 0},
			extra: []wire.Extension{wire.EmptyExtension(extExtendedMasterSecret), {Type: extHeartbeat, Data: []byte{1}},
				wire.StatusRequestExtension()}})
		ta := probe(&hello{version: v, suites: suites, groups: ecGroups, extra: []wire.Extension{wire.SessionTicketExtension(nil)}})
		ticketKnown := ta.outcome == Accepted && ta.version() == v
		ticket := ticketKnown && slices.ContainsFunc(ta.hello.Extensions, func(e wire.Extension) bool { return e.Type == extSessionTicket })
		ticketDetail := "the ServerHello has no session_ticket"
		switch {
		case !ticketKnown:
			ticketDetail = "the probe in " + wire.VersionName(v) + " offering session_ticket was not answered: " + reason(ta)
		case ticket:
			ticketDetail = "the ServerHello has session_ticket: the server will issue a ticket (RFC 5077)"
		}
		known := a.outcome == Accepted && a.version() == v
		has := func(t uint16) bool {
			return known && slices.ContainsFunc(a.hello.Extensions, func(e wire.Extension) bool { return e.Type == t })
		}
		detail := func(yes, no string) string {
			if !known {
				return "the probe in " + wire.VersionName(v) + " was not answered: " + reason(a)
			}
			if yes != "" {
				return yes
			}
			return no
		}
		on := func(b bool, s string) string {
			if b {
				return s
			}
			return ""
		}
		reneg, ems, hb := has(extRenegotiationInfo), known && a.hello.ExtendedMasterSecret, has(extHeartbeat)
		deflate := known && a.hello.Compression == compressionDeflate
		ocsp, sid := has(extStatusRequest), known && len(a.hello.SessionID) > 0
		out = append(out,
			Feature{Name: "secure_renegotiation", Version: v, Supported: reneg, Known: known, Detail: detail(on(reneg, "the ServerHello has renegotiation_info"), "the ServerHello has no renegotiation_info")},
			Feature{Name: "extended_master_secret", Version: v, Supported: ems, Known: known, Detail: detail(on(ems, "the ServerHello has extended_master_secret"), "the ServerHello has no extended_master_secret")},
			Feature{Name: "heartbeat", Version: v, Supported: hb, Known: known, Detail: detail(on(hb, "the ServerHello has the heartbeat extension"), "the ServerHello has no heartbeat extension")},
			Feature{Name: "compression", Version: v, Supported: deflate, Known: known, Detail: detail(on(deflate, "the server chose DEFLATE compression"), "the server chose no compression")},
			Feature{Name: "ocsp_stapling", Version: v, Supported: ocsp, Known: known, Detail: detail(on(ocsp, "the ServerHello has status_request: a CertificateStatus follows the chain"), "the ServerHello has no status_request")},
			Feature{Name: "session_ticket", Version: v, Supported: ticket, Known: ticketKnown, Detail: ticketDetail},
			Feature{Name: "session_id", Version: v, Supported: sid, Known: known, Detail: detail(on(sid, "the ServerHello to a hello without session_ticket has a session ID, under which the server may resume the session"), "the ServerHello to a hello without session_ticket has an empty session ID")},
		)
	}
	// encrypt_then_mac (RFC 7366), offered with the CBC suites the
	// server accepted in that version alone: a server echoes it only
	// when it chooses a CBC suite (Section 3). testssl.sh lists it among
	// the extensions and grades nothing on it; neither does this scan.
	if cbcSuites := slices.DeleteFunc(slices.Clone(suites), func(s uint16) bool { return !cbc(s) }); v != 0 && len(cbcSuites) > 0 {
		a := probe(&hello{version: v, suites: cbcSuites, groups: ecGroups, extra: []wire.Extension{wire.EmptyExtension(extEncryptThenMAC)}})
		f := Feature{Name: "encrypt_then_mac", Version: v}
		switch {
		case a.outcome != Accepted || a.version() != v || !slices.Contains(cbcSuites, a.hello.CipherSuite):
			f.Detail = "the probe offering the CBC suites in " + wire.VersionName(v) + " was not answered with one: " + reason(a)
			if a.outcome == Accepted {
				f.Detail = fmt.Sprintf("the probe offering the CBC suites in %s was answered with %s in %s", wire.VersionName(v), suiteName(a.hello.CipherSuite), wire.VersionName(a.version()))
			}
		case a.hello.EncryptThenMAC:
			f.Known, f.Supported = true, true
			f.Detail = "the ServerHello choosing " + suiteName(a.hello.CipherSuite) + " has encrypt_then_mac: its CBC records are encrypted, then MACed"
		default:
			f.Known = true
			f.Detail = "the ServerHello choosing " + suiteName(a.hello.CipherSuite) + " has no encrypt_then_mac: its CBC records are MACed, then encrypted (padding oracles: Lucky Thirteen)"
		}
		out = append(out, f)
	}
	// Fallback: a version below the highest, with the signaling suite.
	if len(spoken) >= 2 {
		low := spoken[len(spoken)-2]
		{
			lr := r.Version(low)
			a := probe(&hello{version: low, suites: append(slices.Clone(lr.Suites), fallbackSCSV), groups: ecGroups})
			f := Feature{Name: "fallback_scsv", Version: low}
			switch {
			case a.hasAlert && a.alert == 86:
				f.Supported, f.Known = true, true
				f.Detail = "a " + wire.VersionName(low) + " hello with TLS_FALLBACK_SCSV was refused with inappropriate_fallback"
			case a.outcome == Accepted:
				f.Known = true
				f.Detail = "a " + wire.VersionName(low) + " hello with TLS_FALLBACK_SCSV was accepted, in " + wire.VersionName(a.version())
			case a.outcome == Refused:
				f.Known = true
				f.Detail = "a " + wire.VersionName(low) + " hello with TLS_FALLBACK_SCSV was refused, but not with inappropriate_fallback: " + reason(a)
			default:
				f.Detail = "the probe was not answered: " + reason(a)
			}
			out = append(out, f)
		}
	}
	return out
}
