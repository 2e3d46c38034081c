package scan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tlstrace/tlstrace/internal/wire"
)

// cipherPart returns the cipher and MAC of the suite's name (after
// "_WITH_"), or the whole name for TLS 1.3 suites.
func cipherPart(s uint16) string {
	n := wire.CipherSuiteName(s)
	if _, c, ok := strings.Cut(n, "_WITH_"); ok {
		return c
	}
	return strings.TrimPrefix(n, "TLS_")
}

// cbc reports whether suite s encrypts in CBC mode.
func cbc(s uint16) bool { return strings.Contains(cipherPart(s), "CBC") }

// aead reports whether suite s is an AEAD (GCM, CCM, ChaCha20-Poly1305,
// and every TLS 1.3 suite but the integrity-only ones of RFC 9150).
func aead(s uint16) bool {
	c := cipherPart(s)
	if IntegrityOnly(s) {
		return false
	}
	return wire.CipherSuiteKeyExchange(s) == wire.KexTLS13 || strings.Contains(c, "GCM") || strings.Contains(c, "CCM") || strings.Contains(c, "POLY1305")
}

// suitesWhere returns the accepted suites (each once) that match.
func suitesWhere(r *Result, match func(uint16) bool) []string {
	var out []string
	for _, vr := range r.Versions {
		for _, s := range vr.Suites {
			if n := suiteName(s); match(s) && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

func listed(names []string) string {
	if len(names) > 3 {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
	}
	return strings.Join(names, ", ")
}

// secureRenegotiationFix is the fix of a server without RFC 5746. The
// cause may be a current library whose configuration turns it off
// (GnuTLS's %DISABLE_SAFE_RENEGOTIATION in the priority string of
// gnutls-serv or of any application that takes one) or a library that
// predates it; the wire does not tell them apart.
const secureRenegotiationFix = "turn RFC 5746 secure renegotiation back on: remove what disables it in the configuration (GnuTLS: %DISABLE_SAFE_RENEGOTIATION in the priority string), or update a TLS library too old to have it (every maintained one implements RFC 5746)"

// findings applies the rules of docs/scan.md to r.
func findings(r *Result) []Finding {
	var out []Finding
	on := func(v uint16) bool {
		vr := r.Version(v)
		return vr != nil && vr.Outcome == Accepted
	}
	spoken := false
	for _, vr := range r.Versions {
		spoken = spoken || vr.Outcome == Accepted
	}
	if !spoken {
		return nil
	}
	for _, vr := range r.Versions {
		if vr.HasUnoffered {
			out = append(out, finding(High, "unoffered-suite", "the server chooses a suite the client did not offer",
				fmt.Sprintf("in %s the server chose %s in answer to a ClientHello that did not offer it; the server must pick from the client's list (RFC 5246, Section 7.4.1.3), and clients abort the handshake (illegal_parameter)", wire.VersionName(vr.Version), suiteName(vr.Unoffered)),
				"fix the server's suite selection (its TLS library or configuration): it must choose a suite from the ClientHello"))
			break
		}
	}
	if on(VersionSSL20) {
		out = append(out, finding(Critical, "ssl2", "SSL 2.0 is enabled",
			"the server answered an SSL 2.0 CLIENT-HELLO with a SERVER-HELLO; SSL 2.0 is broken (DROWN, CVE-2016-0800, decrypts TLS sessions under the same RSA key) and prohibited by RFC 6176",
			"disable SSL 2.0 (OpenSSL 1.1.0 and later have none)"))
	}
	if on(wire.VersionSSL30) {
		out = append(out, finding(Critical, "ssl3", "SSL 3.0 is enabled",
			"the server accepted an SSL 3.0 ClientHello; SSL 3.0 is broken by POODLE (CVE-2014-3566) and prohibited by RFC 7568",
			"disable SSL 3.0 (nginx: ssl_protocols TLSv1.2 TLSv1.3; openssl: -no_ssl3)"))
	}
	if on(wire.VersionTLS10) {
		out = append(out, finding(Medium, "tls10", "TLS 1.0 is enabled",
			"the server accepted a TLS 1.0 ClientHello; TLS 1.0 is deprecated by RFC 8996 (weak PRF, CBC with predictable IVs: BEAST)",
			"disable TLS 1.0 (nginx: ssl_protocols TLSv1.2 TLSv1.3)"))
	}
	if on(wire.VersionTLS11) {
		out = append(out, finding(Medium, "tls11", "TLS 1.1 is enabled",
			"the server accepted a TLS 1.1 ClientHello; TLS 1.1 is deprecated by RFC 8996 (MD5/SHA-1 PRF, no AEAD suites)",
			"disable TLS 1.1 (nginx: ssl_protocols TLSv1.2 TLSv1.3)"))
	}
	if l := suitesWhere(r, func(s uint16) bool { return strings.HasPrefix(cipherPart(s), "NULL") || IntegrityOnly(s) }); len(l) > 0 {
		cause, fix := "the server accepted "+listed(l)+": the data goes in the clear", "remove the NULL suites (openssl cipher string: !eNULL)"
		if integrity := suitesWhere(r, IntegrityOnly); len(integrity) > 0 {
			cause += " (" + strings.Join(integrity, " and ") + ": TLS 1.3 records authenticated but not encrypted, RFC 9150)"
			if len(integrity) == len(l) {
				fix = ""
			} else {
				fix += "; "
			}
			fix += "remove the integrity-only TLS 1.3 suites (openssl -ciphersuites: keep TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256)"
		}
		out = append(out, finding(Critical, "null-cipher", "suites without encryption are accepted", cause, fix))
	}
	if l := suitesWhere(r, func(s uint16) bool {
		k := wire.CipherSuiteKeyExchange(s)
		return k == wire.KexDHAnon || k == wire.KexECDHAnon
	}); len(l) > 0 {
		out = append(out, finding(Critical, "anonymous", "anonymous key exchanges are accepted",
			"the server accepted "+listed(l)+": no certificate authenticates the server, so anyone on the path can impersonate it",
			"remove the anonymous suites (openssl cipher string: !aNULL)"))
	}
	if l := suitesWhere(r, func(s uint16) bool { b := Bits(s); return b > 0 && b < 112 }); len(l) > 0 {
		out = append(out, finding(Critical, "weak-cipher", "export or DES suites are accepted",
			"the server accepted "+listed(l)+", whose keys (40 or 56 bits) are found by brute force (FREAK, Logjam)",
			"remove the export and DES suites (openssl cipher string: !EXP:!LOW:!DES)"))
	}
	if l := suitesWhere(r, func(s uint16) bool { return strings.Contains(cipherPart(s), "RC4") }); len(l) > 0 {
		out = append(out, finding(High, "rc4", "RC4 is accepted",
			"the server accepted "+listed(l)+"; RC4's keystream biases let an attacker recover plaintext, and RFC 7465 prohibits it",
			"remove the RC4 suites (openssl cipher string: !RC4)"))
	}
	if l := suitesWhere(r, func(s uint16) bool { return strings.Contains(cipherPart(s), "3DES") }); len(l) > 0 {
		out = append(out, finding(Medium, "3des", "3DES is accepted",
			"the server accepted "+listed(l)+"; its 64-bit block lets a long connection leak plaintext (Sweet32, CVE-2016-2183)",
			"remove the 3DES suites (openssl cipher string: !3DES)"))
	}
	if l := suitesWhere(r, aead); len(l) == 0 {
		if c := suitesWhere(r, cbc); len(c) > 0 {
			out = append(out, cbcOnly(r, c))
		}
	}
	anySuite := slices.ContainsFunc(r.Versions, func(vr VersionResult) bool { return len(vr.Suites) > 0 })
	if l := suitesWhere(r, ForwardSecret); len(l) == 0 && anySuite {
		out = append(out, finding(High, "no-forward-secrecy", "no forward secrecy",
			"every suite the server accepted uses a static key exchange (RSA, static DH): whoever gets the server's private key later decrypts all recorded traffic",
			"enable ECDHE suites (ECDHE-RSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES128-GCM-SHA256) and TLS 1.3"))
	} else if l := suitesWhere(r, func(s uint16) bool { return !ForwardSecret(s) }); len(l) > 0 {
		out = append(out, finding(Low, "static-key-exchange", "some suites have no forward secrecy",
			"the server also accepted "+listed(l)+", whose key exchange is static: a client that prefers them loses forward secrecy",
			"remove the static RSA and DH suites (openssl cipher string: !kRSA)"))
	}
	switch f := r.Feature("secure_renegotiation"); {
	case r.InsecureRenegotiation:
		// The splice is shown possible: the server completed a
		// renegotiation the client started, without RFC 5746's binding
		// to the session before it (testssl.sh rates the mere absence of
		// RFC 5746 critical).
		out = append(out, finding(Critical, "no-secure-renegotiation", "insecure renegotiation: the server renegotiates without RFC 5746",
			"the server completed a renegotiation the client started, and its renegotiation_info did not bind it to the session before it: an attacker on the path can open a session, send its own data (an HTTP request), then pass the victim's handshake through as the renegotiation, and the server takes the attacker's data as the victim's (CVE-2009-3555)",
			secureRenegotiationFix+"; and refuse client-initiated renegotiation"))
	case f != nil && f.Known && !f.Supported:
		out = append(out, finding(Medium, "no-secure-renegotiation", "no secure renegotiation",
			f.Detail+"; without RFC 5746 an attacker can splice its own data before the client's in a renegotiation (CVE-2009-3555)",
			secureRenegotiationFix))
	}
	if f := r.Feature("compression"); f != nil && f.Supported {
		out = append(out, finding(High, "compression", "TLS compression is enabled",
			f.Detail+"; compressed lengths leak secrets such as cookies (CRIME, CVE-2012-4929)",
			"disable TLS compression (openssl: -no_comp, the default since 1.1.0)"))
	}
	if f := r.Feature("heartbleed"); f != nil && f.Supported {
		out = append(out, finding(Critical, "heartbleed", "the server leaks its memory (Heartbleed)",
			f.Detail+"; anyone can read 64 KB of the server's memory per request, private keys, session keys and other users' data included (CVE-2014-0160), and the server logs nothing",
			"update OpenSSL (1.0.1g or later) or rebuild it with no-heartbeats and restart every process that uses it, then replace the private key and certificate and revoke the old one, since it may have leaked"))
	}
	if f := r.Feature("ccs_injection"); f != nil && f.Known && f.Supported {
		out = append(out, finding(High, "ccs-injection", "the server accepts an early ChangeCipherSpec (CCS injection)",
			f.Detail+"; a man in the middle who sends a ChangeCipherSpec to both ends before the key exchange makes them use keys from an empty master secret, then reads and changes the traffic of every client that takes it too (OpenSSL clients before 1.0.1h, 1.0.0m and 0.9.8za)",
			"update OpenSSL (1.0.1h, 1.0.0m, 0.9.8za or later; every maintained TLS library refuses an early ChangeCipherSpec) and restart every process that uses it"))
	}
	if f := r.Feature("robot"); f != nil && f.Known && f.Supported {
		out = append(out, finding(High, "robot", "the server's RSA key exchange is a padding oracle (ROBOT)",
			f.Detail+"; with enough connections an attacker can decrypt any recorded session of RSA key exchange (no forward secrecy) or sign with the server's key, without the key (Bleichenbacher's attack, 1998, found again in 2017)",
			"update the TLS library or appliance firmware to one whose RSA decryption answers every ClientKeyExchange alike (the vendors' ROBOT fixes, 2017), or stop accepting the suites of RSA key exchange (TLS_RSA_WITH_*) and keep ECDHE ones"))
	}
	if f := r.Feature("heartbeat"); f != nil && f.Supported {
		out = append(out, finding(Low, "heartbeat", "the heartbeat extension is enabled",
			f.Detail+"; it serves no purpose over TCP and was the way into Heartbleed (CVE-2014-0160)",
			"disable the heartbeat extension (OpenSSL: build with no-heartbeats, the default since 1.1.0)"))
	}
	if f := r.Feature("extended_master_secret"); f != nil && f.Known && !f.Supported {
		out = append(out, finding(Low, "no-extended-master-secret", "no extended master secret",
			f.Detail+"; without RFC 7627 a man in the middle can make two sessions share a master secret (triple handshake)",
			"update the TLS library; OpenSSL 1.1.0 and later implement RFC 7627"))
	}
	if f := r.Feature("fallback_scsv"); f != nil && f.Known && !f.Supported {
		out = append(out, finding(Low, "no-fallback-scsv", "TLS_FALLBACK_SCSV is not honoured",
			f.Detail+"; a client that retries with a lower version can be downgraded by an attacker (RFC 7507)",
			"update the TLS library, or disable the versions below the highest"))
	}
	if f := r.Feature("hsts"); f != nil && f.Known && !f.Supported {
		out = append(out, finding(Low, "no-hsts", "no HSTS",
			f.Detail+"; without a Strict-Transport-Security policy a browser's first http:// visit can be stripped of TLS (RFC 6797)",
			"send Strict-Transport-Security: max-age=31536000 on HTTPS responses (nginx: add_header Strict-Transport-Security \"max-age=31536000\" always;)"))
	}
	if slices.Contains(r.ALPNRefused, "h2") && slices.Contains(r.ALPNRefused, "http/1.1") {
		out = append(out, finding(High, "alpn-refused", "the server refuses h2 and http/1.1 in ALPN",
			"the server answered a hello offering h2 alone, and one offering http/1.1 alone, with a fatal no_application_protocol alert (RFC 7301, Section 3.2): browsers and curl, which offer them, cannot connect",
			"add h2 or http/1.1 to the server's ALPN protocols, or have it go on without ALPN when it speaks none of the client's (RFC 7301 lets a server ignore the extension)"))
	}
	out = append(out, renegotiationFinding(r)...)
	out = append(out, dhFindings(r)...)
	out = append(out, certFindings(r)...)
	switch vr := r.Version(wire.VersionTLS13); {
	case vr == nil:
	case vr.Outcome == Refused:
		refused := "the server refused a TLS 1.3 ClientHello"
		if len(vr.NotTLS) > 0 {
			// Not a refusal in TLS: it answered with something else
			// (an SSL 2.0 record, another protocol).
			refused = fmt.Sprintf("the server answered a TLS 1.3 ClientHello with bytes that are not a TLS record (they start % x)", vr.NotTLS)
		}
		out = append(out, finding(Low, "no-tls13", "TLS 1.3 is not enabled",
			refused+"; TLS 1.3 (RFC 8446) has only forward-secret AEAD suites and a shorter handshake",
			"enable TLS 1.3 (nginx: ssl_protocols TLSv1.2 TLSv1.3; OpenSSL 1.1.1 or later)"))
	case vr.Outcome == TimedOut:
		// Not a refusal: a client offering TLS 1.3 is left waiting,
		// where one refused goes on in TLS 1.2.
		out = append(out, finding(High, "tls13-timeout", "hellos that offer TLS 1.3 get no answer",
			"a ClientHello offering TLS 1.3 (supported_versions, RFC 8446, Section 4.2.1) got no answer within the probe's time, while hellos of other versions were answered: the server, or a middlebox in front of it that does not know TLS 1.3, stalls them. Browsers and other current clients offer TLS 1.3 and do not fall back to a lower version on a time-out, so they cannot connect",
			"find what stalls hellos that offer TLS 1.3 (a firewall, load balancer or TLS inspection device) and update or reconfigure it, or enable TLS 1.3 on the server if it is the one waiting; then scan again"))
	}
	slices.SortStableFunc(out, func(a, b Finding) int { return int(b.Severity) - int(a.Severity) })
	return out
}

// cbcOnly is the cbc-only finding of a server that accepted no AEAD
// suite and the CBC suites c: its title and cause say which other
// suites it accepted (NULL, RC4: they have their own findings), and
// whether its CBC records are MACed then encrypted, as the
// encrypt_then_mac probe found (RFC 7366).
func cbcOnly(r *Result, c []string) Finding {
	title := "no AEAD suite: every suite is CBC"
	cause := "the server accepted no GCM, CCM or ChaCha20-Poly1305 suite and no TLS 1.3 AEAD suite: its suites are CBC (" + listed(c) + ")"
	if others := suitesWhere(r, func(s uint16) bool { return !cbc(s) }); len(others) > 0 {
		title = "no AEAD suite: CBC and suites without one"
		cause += ", besides " + listed(others)
	}
	switch f := r.Feature("encrypt_then_mac"); {
	case f != nil && f.Known && f.Supported:
		cause += fmt.Sprintf("; in %s the server negotiates encrypt_then_mac (RFC 7366), so a client that offers it gets its CBC records MACed after encryption, but one that does not still gets MAC-then-encrypt, which invites padding oracles (Lucky Thirteen)", wire.VersionName(f.Version))
	case f != nil && f.Known:
		cause += fmt.Sprintf("; in %s the server does not negotiate encrypt_then_mac (RFC 7366): its CBC records are MACed, then encrypted, which invites padding oracles (Lucky Thirteen)", wire.VersionName(f.Version))
	default:
		cause += "; CBC records are MACed, then encrypted, unless both sides negotiate encrypt_then_mac (RFC 7366, not settled by this scan), which invites padding oracles (Lucky Thirteen)"
	}
	return finding(Medium, "cbc-only", title, cause,
		"enable TLS 1.2 with ECDHE-*-AES128-GCM-SHA256 and ECDHE-*-CHACHA20-POLY1305, and TLS 1.3")
}

// ungraded says why r gets no grade though it accepted a version: a
// server whose suites need a certificate and from which no probe got one
// was not seen to finish any handshake, so what its findings miss is
// unknown. noName: a probe was refused with unrecognized_name and none
// sent a server name (SNI), which is then said to be the likely cause,
// also when no version was accepted.
//
// slow: some probe timed out with part of an answer read; when no version
// was accepted, that is said to be why.
func ungraded(r *Result, noName, slow bool) string {
	wantsName := ""
	if noName {
		wantsName = "; it refused hellos with an unrecognized_name alert, and none named the server (SNI), the target being an address: scan the host by its name, or give the name to send"
	}
	if !slices.ContainsFunc(r.Versions, func(vr VersionResult) bool { return vr.Outcome == Accepted }) {
		switch {
		case noName:
			return "the server accepted no version" + wantsName
		case slow && !slices.ContainsFunc(r.Versions, func(vr VersionResult) bool { return vr.Outcome == Refused && vr.Version != VersionSSL20 }):
			return "the server answered too slowly: its bytes came, but no answer was whole within a probe's time, so no version is known to be accepted or refused; it may be overloaded, or something between slows it"
		case !slices.ContainsFunc(r.Versions, func(vr VersionResult) bool { return vr.Outcome != TimedOut }):
			return "the server answered no probe in time: it may be down, slow, or a server that waits for its own protocol's first message"
		}
		return ""
	}
	if slices.ContainsFunc(r.Chains, func(cc CertChain) bool { return len(cc.Certs) > 0 }) {
		return ""
	}
	for _, vr := range r.Versions {
		for _, s := range vr.Suites {
			switch wire.CipherSuiteKeyExchange(s) {
			case wire.KexRSA, wire.KexDHE, wire.KexDH, wire.KexECDHE, wire.KexECDH, wire.KexRSAPSK, wire.KexTLS13:
				return "no probe got the server's certificate, though its suites need one (no handshake was seen to complete)" + wantsName
			}
		}
	}
	return ""
}

// grade turns findings into a letter: the worst finding caps it
// (docs/scan.md): critical F, high C, medium B, low A-, none A; no
// grade ("") when the server accepted no version.
func grade(r *Result, fs []Finding) string {
	if !slices.ContainsFunc(r.Versions, func(vr VersionResult) bool { return vr.Outcome == Accepted }) {
		return ""
	}
	g := "A"
	caps := map[Severity]string{Critical: "F", High: "C", Medium: "B", Low: "A-"}
	rank := map[string]int{"A": 0, "A-": 1, "B": 2, "C": 3, "F": 4}
	for _, f := range fs {
		if c, ok := caps[f.Severity]; ok && rank[c] > rank[g] {
			g = c
		}
	}
	return g
}

// finding returns a finding of severity sev.
func finding(sev Severity, rule, title, cause, fix string) Finding {
	return Finding{Severity: sev, Rule: rule, Title: title, Cause: cause, Fix: fix}
}
