package client

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/failure"
	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// AlertError is an alert seen on the wire that ended a handshake or a
// connection: From sent it.
type AlertError = failure.AlertError

func explained(msg string, errs ...error) error { return failure.Explained(msg, errs...) }

func errorAlert(ev *trace.Evidence, side trace.Side) *AlertError { return failure.ErrorAlert(ev, side) }

// explainHandshake explains a failed TLS client handshake, or a connection
// that failed just after it. The cause is what the decoder saw on the wire
// (ev): the alert the server sent, bytes of it that were not TLS records,
// where its bytes ended, the alert the client sent; then crypto/tls's typed
// errors.
func explainHandshake(err error, ev trace.Evidence, o *TLSOptions) *Error {
	f := failure.Read(trace.Client, err, &ev)
	var alert tls.AlertError
	var cv *tls.CertificateVerificationError
	switch f.Kind {
	case failure.PeerAlert:
		return serverAlert(err, f.Alert, &ev, o)
	case failure.LocalAlert:
		return clientAlert(err, f.Alert, &ev)
	case failure.DeclinedRenegotiation:
		return stepErr(StepTLS, f.Error(f.Cause()), renegotiationHint)
	case failure.PlainHTTP:
		return stepErr(StepTLS, f.Error(f.Cause()), "use http:// for this port, or the server's TLS port")
	case failure.Oversized:
		return stepErr(StepTLS, f.Error(f.Cause()),
			"the server's TLS stack, or something between (a proxy, a load balancer), breaks the record layer")
	case failure.Corrupt:
		return stepErr(StepTLS, f.Error(f.Cause()),
			"something between (a proxy, a load balancer) may be corrupting the connection")
	case failure.SSLv2:
		return stepErr(StepTLS, f.Error(f.Cause()), "upgrade the server to TLS 1.2 or later: SSL 2.0 is broken and forbidden (RFC 6176)")
	case failure.NotTLS:
		return stepErr(StepTLS, f.Error(f.Cause()), "check the port: this one does not speak TLS")
	case failure.Truncated:
		return stepErr(StepTLS, f.Error(f.Cause()),
			"the server's TLS stack, or something between (a proxy, a firewall), cut the connection; the server's log may say why")
	case failure.BadLength:
		return stepErr(StepTLS, f.Error(f.Cause()),
			"the server's TLS stack writes broken handshake messages, or something between (a proxy, a load balancer) corrupts them; the server's log or a capture on its side may say which")
	case failure.BadCertificate:
		return stepErr(StepTLS, f.Error(f.Cause()),
			"the server's certificate file is damaged, or something between (a proxy, a load balancer) corrupts the connection")
	case failure.TimedOut:
		if f.Trickle != nil {
			// The server answers, too slowly.
			return advise(StepTLS, f.Error(f.Cause()), AdviseSlowServer)
		}
		if f.Truncated != nil {
			// The server does speak: slowly, or it stalled.
			return advise(StepTLS, f.Error(f.Cause()), AdviseMaxTime)
		}
		return advise(StepTLS, f.Error(f.Cause()), AdviseHandshakeTime)
	case failure.Reset, failure.Closed:
		if got := serverGot(&ev); got != "" {
			// It speaks TLS and took the ClientHello: it dropped the
			// connection afterwards.
			return stepErr(StepTLS, f.Error(f.Cause()+", "+got),
				"the server speaks TLS and accepted the ClientHello, then dropped the connection mid-handshake without an alert: its log says why (a crash, a limit, a client certificate it refused), or something between (a proxy, a firewall) cut the connection")
		}
		if how := ev.EndedFirst[trace.Server]; how != "" {
			// Its FIN or RST had come before the ClientHello left:
			// it never saw the ClientHello.
			return stepErr(StepTLS, f.Error(fmt.Sprintf("the server %s the connection before the client sent its ClientHello", how)),
				"the server accepts the connection and drops it at once, before any TLS: it may be at a limit of connections, stopping, or refusing this client's address, or something between (a proxy without a backend) drops it; its log says why")
		}
		return stepErr(StepTLS, f.Error(f.Cause()),
			"the server may not speak TLS on this port, or found nothing in common with the ClientHello")
	}
	switch {
	case errors.As(err, &alert):
		return stepErr(StepTLS, explained(fmt.Sprintf("the handshake ended with a %s alert", wire.AlertDescription(alert)), err), "the alert says why; the server's log may say more")
	case errors.As(err, &cv):
		return stepErr(StepVerify, fmt.Errorf("the server's certificate was refused: %w", err), "")
	}
	return advise(StepTLS, fmt.Errorf("TLS handshake failed: %w", err), AdviseTraceHandshake)
}

// renegotiationHint is the fix for a server that ends the session when the
// client declines to renegotiate.
const renegotiationHint = "tlstrace's clients (crypto/tls and tlstrace's own engine) decline renegotiation: it is gone from TLS 1.3 and was open to attack before RFC 5746 (CVE-2009-3555); the server should not require it: to ask for a client certificate, request it in the first handshake (Apache: SSLVerifyClient for the whole virtual host, not in a <Location>) or use TLS 1.3 post-handshake authentication"

// endedByServer reports whether the wire explains the end of an
// established session: the server's error alert, or the client's refusal
// to renegotiate (which crypto/tls follows with an error of its own before
// the server's answer is read).
func endedByServer(ev *trace.Evidence) bool {
	return errorAlert(ev, trace.Server) != nil || ev.NoRenegotiation[trace.Client]
}

// serverGot says how far a handshake got once the server answered the
// ClientHello, from the handshake messages seen; "" when it did not.
func serverGot(ev *trace.Evidence) string {
	switch {
	case !ev.Sent(trace.Server, wire.TypeServerHello):
		return ""
	case ev.Sent(trace.Server, wire.TypeFinished):
		return "after its Finished"
	case ev.Sent(trace.Client, wire.TypeFinished):
		return "after the client's Finished"
	case ev.Sent(trace.Client, wire.TypeClientKeyExchange):
		return "after the client's ClientKeyExchange"
	case ev.Sent(trace.Server, wire.TypeServerHelloDone):
		return "after its ServerHelloDone"
	case ev.Sent(trace.Server, wire.TypeCertificate):
		return "after its Certificate"
	}
	return "after its ServerHello"
}

// serverAlert explains a handshake the server ended with an alert.
func serverAlert(err error, a *AlertError, ev *trace.Evidence, o *TLSOptions) *Error {
	name := a.Alert.Description.Name
	// Whether the client sent a certificate: as its Certificate message
	// said, or as configured when that message was not seen.
	clientCerts := len(o.Certificates)
	if ev.Sent(trace.Client, wire.TypeCertificate) {
		clientCerts = ev.Certificates[trace.Client]
	}
	required := func(how string) *Error {
		if clientCerts == 0 && len(o.Certificates) > 0 {
			// crypto/tls sends a certificate only if it fits the CAs and
			// signature algorithms of the CertificateRequest.
			// The client sends a certificate given whatever CAs the
			// server names, if its key can sign as the server asks.
			return stepErr(StepTLS, explained(fmt.Sprintf("the server requires a client certificate, and the one given was not sent: its key cannot sign with any signature algorithm (or certificate type) the server asked for (%s)", how), a, err),
				"use a client certificate with a key of a type the server accepts: its CertificateRequest lists the signature algorithms")
		}
		return advise(StepTLS, explained(fmt.Sprintf("the server requires a client certificate (%s)", how), a, err), AdviseClientCert)
	}
	if !a.Alert.Fatal() && ev.Warnings[trace.Server] > 1 {
		return stepErr(StepTLS, explained(fmt.Sprintf("the server sent %d warning alerts (the last %s) where its handshake should have gone on, and the client gave up", ev.Warnings[trace.Server], name), a, err),
			"the server (or a middlebox in front of it) is misbehaving: check its TLS configuration and its log")
	}
	switch a.Description() {
	case wire.AlertNoApplicationProtocol:
		offered := ev.ALPN
		if offered == nil {
			offered = o.ALPN
		}
		advice := AdviseALPN
		if slices.Contains(offered, "h2") && slices.Contains(offered, "http/1.1") {
			// Both protocols of HTTP over TLS refused: no client
			// setting helps.
			advice = AdviseServerALPN
		}
		return advise(StepTLS, explained(fmt.Sprintf("the server speaks none of the application protocols the client offered (ALPN %s; no_application_protocol alert)", strings.Join(offered, ", ")), a, err),
			advice)
	case wire.AlertProtocolVersion:
		// The server's alert looks the same whatever it speaks (OpenSSL
		// and crypto/tls answer in the client's record version): what
		// the client offered says what is left, older versions or newer.
		offered := offeredVersions(ev, o)
		e := advise(StepTLS, explained(fmt.Sprintf("no TLS version in common with the server (it sent a protocol_version alert to a ClientHello offering %s)", versionList(offered)), a, err), AdviseVersions)
		e.Older, e.Newer = unoffered(offered)
		return e
	case wire.AlertHandshakeFailure:
		if ev.Sent(trace.Server, wire.TypeCertificateRequest) && clientCerts == 0 {
			// TLS 1.2 servers that require a certificate answer an
			// empty one so.
			return required("it asked for one, then sent a handshake_failure alert")
		}
		advice := AdviseSuites
		if o.Engine == EngineGo {
			advice = AdviseOwnEngine
		}
		cause := "the server found no cipher suite, group or signature algorithm in common (handshake_failure alert)"
		if ev.Sent(trace.Client, wire.TypeClientHello) && ev.ServerName == "" && !ev.Sent(trace.Server, wire.TypeServerHello) {
			// Servers of named sites only refuse a ClientHello without
			// SNI so too.
			cause += "; or it requires the host's name (SNI), which the client did not send: a host given as an address sends no server_name"
		}
		return advise(StepTLS, explained(cause, a, err), advice)
	case wire.AlertCertificateRequired:
		return required("certificate_required alert")
	case wire.AlertUnrecognizedName:
		// RFC 6066, Section 3: the server knows no site by the name the
		// client sent, or (as crypto/tls and servers of named sites
		// only) has no certificate for a client that sent none.
		if ev.Sent(trace.Client, wire.TypeClientHello) && ev.ServerName == "" {
			return advise(StepTLS, explained("the server requires the host's name (SNI), and the client sent none: a host given as an address sends no server_name (unrecognized_name alert)", a, err),
				AdviseServerName)
		}
		if ev.ServerName != "" {
			return stepErr(StepTLS, explained(fmt.Sprintf("the server serves no site named %q, the name (SNI) the client sent (unrecognized_name alert)", ev.ServerName), a, err),
				"check the host name in the URL: the server knows it by another name")
		}
	case wire.AlertBadCertificate, wire.AlertUnknownCA, wire.AlertUnsupportedCertificate, wire.AlertCertificateRevoked,
		wire.AlertCertificateExpired, wire.AlertCertificateUnknown:
		if clientCerts > 0 {
			hint := "use a client certificate issued by a CA the server trusts"
			if leaf := loneClientLeaf(o); clientCerts == 1 && leaf != nil && a.Description() == wire.AlertUnknownCA {
				// The server may trust the root of an intermediate that
				// issued the certificate but was not sent.
				hint = fmt.Sprintf("the client certificate was sent without its issuer %q: if that is an intermediate CA, add its certificate after the client certificate in the same file; otherwise use a client certificate issued by a CA the server trusts",
					dn.Issuer(leaf))
			}
			return stepErr(StepTLS, explained(fmt.Sprintf("the server did not accept the client certificate (%s alert)", name), a, err), hint)
		}
	}
	return stepErr(StepTLS, explained(fmt.Sprintf("the server refused the handshake with a %s %s alert", a.Alert.Level.Name, name), a, err),
		"the alert names what the server objected to (RFC 8446, Section 6.2); the server's log says why")
}

// loneClientLeaf returns the client certificate given when it is one
// certificate without its chain and not self-issued; nil otherwise.
func loneClientLeaf(o *TLSOptions) *x509.Certificate {
	if len(o.Certificates) != 1 || len(o.Certificates[0].Certificate) != 1 {
		return nil
	}
	leaf := o.Certificates[0].Leaf
	if leaf == nil || bytes.Equal(leaf.RawIssuer, leaf.RawSubject) {
		return nil
	}
	return leaf
}

// clientAlert explains a handshake the client (crypto/tls) ended with an
// alert: it refused something the server sent. crypto/tls's error says
// what.
func clientAlert(err error, a *AlertError, ev *trace.Evidence) *Error {
	// The own engine's refusal of a DHE group, by its size.
	var dh *handshake.DHGroupSizeError
	if errors.As(err, &dh) && dh.Bits < dh.Min {
		return stepErr(StepTLS, explained(fmt.Sprintf("the server's DHE group has only %d bits, below the %d the client accepts: a group this small falls to the Logjam attack (one precomputation per group lets an attacker break every key exchange over it), so the client refused it with an insufficient_security alert",
			dh.Bits, dh.Min), a, err),
			"give the server a DHE group of 2048 bits or more (the RFC 7919 ffdhe2048 group, e.g. nginx ssl_dhparam with openssl dhparam 2048), or let it prefer ECDHE suites")
	}
	if errors.As(err, &dh) {
		return stepErr(StepTLS, explained(fmt.Sprintf("the server's DHE group has %d bits, above the %d the client accepts: each key exchange over it would cost seconds, so the client refused it with an insufficient_security alert",
			dh.Bits, dh.Max), a, err),
			"give the server a standard DHE group (RFC 7919: ffdhe2048 to ffdhe8192), or let it prefer ECDHE suites")
	}
	var dhp *handshake.DHPrimeError
	if errors.As(err, &dhp) {
		return stepErr(StepTLS, explained(fmt.Sprintf("the server's DH prime (dh_p, %d bits) is not prime: over a composite modulus the discrete logarithm splits into one per factor, so whoever knows the factors can read the key exchange; the client refused it with %s %s alert",
			dhp.Bits, article(a.Alert.Description.Name), a.Alert.Description.Name), a, err),
			"the server's DH parameters are broken or were planted: give it a published group (RFC 7919 ffdhe2048 or larger) or parameters made by openssl dhparam, or let it prefer ECDHE suites")
	}
	switch a.Description() {
	case wire.AlertProtocolVersion:
		if v := ev.Chosen; v != 0 && !slices.Contains(ev.Offered, v) {
			var offered []string
			for _, o := range ev.Offered {
				if !wire.IsGREASE(o) {
					offered = append(offered, wire.VersionName(o))
				}
			}
			cause := explained(fmt.Sprintf("the server chose %s, a version the client did not offer (it offered %s)", wire.VersionName(v), strings.Join(offered, ", ")), a, err)
			if v >= wire.VersionTLS10 && v <= wire.VersionTLS13 {
				e := advise(StepTLS, cause, AdviseVersions)
				if older, newer := unoffered(ev.Offered); slices.Contains(older, v) {
					e.Older = []uint16{v}
				} else if slices.Contains(newer, v) {
					e.Newer = []uint16{v}
				} else {
					return stepErr(StepTLS, cause, "the server's TLS stack is broken, or something between rewrote its ServerHello: the client cannot speak it")
				}
				return e
			}
			return stepErr(StepTLS, cause, "the server's TLS stack is broken, or something between rewrote its ServerHello: the client cannot speak it")
		}
		return advise(StepTLS, explained(fmt.Sprintf("no TLS version in common with the server (the client sent a protocol_version alert: %v)", err), a, err),
			AdviseOtherVersions)
	case wire.AlertRecordOverflow:
		return stepErr(StepTLS, explained(fmt.Sprintf("the server sent a record larger than TLS allows (the client sent a record_overflow alert: %v)", err), a, err),
			"the server's TLS stack, or something between (a proxy, a load balancer), breaks the record layer")
	}
	return stepErr(StepTLS, explained(fmt.Sprintf("the client refused the server's handshake with %s %s alert: %v", article(a.Alert.Description.Name), a.Alert.Description.Name, err), a, err),
		"the server's TLS stack breaks the protocol as the error says, or something between (a proxy, a load balancer) alters the connection")
}

// offeredVersions is the versions the client's ClientHello offered, as
// the wire shows them (GREASE left out), or as the settings allow when the
// ClientHello was not seen; the newest first.
func offeredVersions(ev *trace.Evidence, o *TLSOptions) []uint16 {
	var vs []uint16
	for _, v := range ev.Offered {
		if !wire.IsGREASE(v) {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		lo, hi := o.MinVersion, o.MaxVersion
		if lo == 0 {
			lo = wire.VersionTLS12
		}
		if hi == 0 {
			hi = wire.VersionTLS13
		}
		for v := hi; v >= lo; v-- {
			vs = append(vs, v)
		}
	}
	slices.SortFunc(vs, func(a, b uint16) int { return int(b) - int(a) })
	return vs
}

// unoffered returns the versions from TLS 1.0 to TLS 1.3 below the oldest
// of offered, the newest first, and above its newest, the oldest first.
func unoffered(offered []uint16) (older, newer []uint16) {
	var lo, hi uint16
	for _, v := range offered {
		if wire.IsGREASE(v) {
			continue
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	if lo == 0 {
		return nil, nil
	}
	for v := lo - 1; v >= wire.VersionTLS10; v-- {
		older = append(older, v)
	}
	for v := hi + 1; v <= wire.VersionTLS13; v++ {
		newer = append(newer, v)
	}
	return older, newer
}

// versionList names versions: "TLS 1.2", "TLS 1.3 and TLS 1.2", "TLS
// 1.3, TLS 1.2 and TLS 1.1".
func versionList(vs []uint16) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = wire.VersionName(v)
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// article is "an" before a vowel, "a" otherwise.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
