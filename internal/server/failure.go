package server

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/failure"
	"github.com/tlstrace/tlstrace/internal/fingerprint"
	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// clientCertError is a client certificate that VerifyClient "require"
// refused: none was sent, or its chain did not verify (Result).
type clientCertError struct {
	Result *chain.Result
}

func (e *clientCertError) Error() string {
	if e.Result == nil {
		return "the client sent no certificate"
	}
	return "the client certificate is not trusted: " + e.Result.Failure().Error()
}

func (e *clientCertError) Unwrap() error {
	if e.Result == nil {
		return nil
	}
	return e.Result.Failure()
}

// failed is what the server learnt of a failed handshake, to explain it.
type failed struct {
	err error
	ev  trace.Evidence
	// hello is the client's ClientHello, nil if none was seen; read is
	// how many bytes the client sent (-1: not traced).
	hello *fingerprint.Hello
	read  int64
	// leaf is the certificate the server sent (DER), nil if none was
	// seen.
	leaf []byte
	// silent: the client sent no byte; answered: it was answered with a
	// 400 for a plain HTTP request.
	silent, answered bool
	// evicted: the server closed it to make room (evict) after holding
	// it for held. reads is how many reads brought the client's bytes,
	// quiet how long before the end the last one did (0: none did).
	evicted     bool
	held, quiet time.Duration
	reads       int
	// head is the client's first bytes, up to 5.
	head []byte
}

// explain fills in why a server handshake failed, as the wire shows it:
// the alert the client sent, its bytes that were not TLS, where its bytes
// ended, the alert the server sent; then what the TLS stack's error is.
func (s *Server) explain(h *trace.Handshake, x *failed) {
	if x.evicted {
		full := fmt.Sprintf("all %d connections the server allows were taken", s.cfg.MaxConns)
		if x.silent {
			h.Cause = fmt.Sprintf("the client sent nothing for %s and was closed to make room for a new connection: %s", x.held.Round(time.Millisecond), full)
		} else {
			h.Cause = fmt.Sprintf("the client had not finished its handshake in %s (%s) and was closed to make room for a new connection: %s",
				x.held.Round(time.Millisecond), sentSoFar(x), full)
		}
		h.Fix = "when the server is full, connections that hold a place without finishing their handshake (idle sockets, a slow-loris attack) are closed, the longest held first; if they are real clients, raise the connection limit"
		return
	}
	f := failure.Read(trace.Server, x.err, &x.ev)
	if f.Alert != nil {
		h.Alert, h.AlertFrom = f.Alert.Alert, f.Alert.From
	}
	h.Cause = f.Cause()
	var cce *clientCertError
	switch f.Kind {
	case failure.PeerAlert:
		h.Cause, h.Fix = clientAlert(f.Alert)
		if cause, fix, ok := curveNotOffered(f.Alert, x); ok {
			h.Cause, h.Fix = cause, fix
		}
	case failure.LocalAlert:
		var le *handshake.LimitError
		switch {
		case errors.As(x.err, &cce):
			h.Cause, h.Fix = refusedCert(cce, f.Alert, s.cfg.TrustWith)
		case len(x.head) == wire.RecordHeaderLen && isSSLv2Hello(x.head):
			// RFC 5246, Appendix E.2: the length, msg_type 1, then the
			// highest version the client offers.
			offered := wire.VersionName(uint16(x.head[3])<<8 | uint16(x.head[4]))
			h.Cause = fmt.Sprintf("the client sent its ClientHello in the SSL 2.0 format (offering %s), which the server does not accept (the server sent a %s alert)", offered, f.Alert.Name())
			h.Fix = "SSL 2.0 is prohibited (RFC 6176) and no maintained TLS stack sends its hello format: the client is very old, or a scanner probing for SSL 2.0"
		case errors.As(x.err, &le):
			// The own engine's bound, not a rule of the RFCs.
			h.Cause = fmt.Sprintf("the client's ClientHello holds %d %s, more than the server accepts (%d; the server sent a %s alert)", le.N, le.What, le.Max, f.Alert.Name())
			h.Fix = "no real client offers that many: it is a scanner, a fuzzer, or an attempt to make the server spend memory and time"
		default:
			h.Cause, h.Fix = s.serverAlert(f.Alert, x)
		}
	case failure.PlainHTTP:
		h.Fix = "the client spoke plain HTTP to the TLS port: use an https:// URL"
		if x.answered {
			h.Fix += " (it was answered with a 400, as nginx does)"
		}
	case failure.NotTLS:
		h.Fix = "the client does not speak TLS on this port, or waits for the server to speak first: point it at a TLS port or turn TLS on in it"
	case failure.Oversized, failure.Corrupt:
		h.Fix = "the client's TLS stack, or something between (a proxy, a load balancer), breaks the record layer"
	case failure.BadLength:
		h.Fix = "the client's TLS stack writes broken handshake messages (or it is a fuzzer or a scanner), or something between (a proxy, a load balancer) corrupts them"
	case failure.BadCertificate:
		h.Fix = "the client's certificate file is damaged, or something between (a proxy, a load balancer) corrupts the connection"
	case failure.Truncated:
		if !x.ev.Sent(trace.Client, wire.TypeClientHello) {
			h.Cause += ", before its ClientHello was complete"
		}
		h.Fix = "the client gave up or was cut off in the middle of the handshake; its log may say why"
	case failure.Reset, failure.Closed:
		h.Cause += ", " + clientSent(&x.ev)
		h.Fix = "the client gave up without an alert; its log may say why (scanners and health checks close early)"
	case failure.TimedOut:
		switch tr := x.ev.Truncated[trace.Client]; {
		case x.reads >= 3 && x.quiet > 0 && x.quiet < s.cfg.Timeout/2:
			// Still sending in the second half of the time it had:
			// not silent, slow.
			h.Cause = fmt.Sprintf("the client sent too slowly to finish its handshake within the handshake timeout (%s): %s, the last %s before the end",
				s.cfg.Timeout, sentSoFar(x), x.quiet.Round(time.Millisecond))
			h.Fix = "a client this slow holds a connection for the whole handshake timeout (a slow-loris attack, or a very poor link); a shorter handshake timeout frees it sooner"
			return
		case tr != nil:
			h.Cause = fmt.Sprintf("the TLS handshake timed out (%s): the client went silent in the middle of %s (it sent %s)", s.cfg.Timeout, tr.What(), tr.Amount())
		case x.silent && s.cfg.FirstByteTimeout < s.cfg.Timeout:
			h.Cause = fmt.Sprintf("the client sent nothing within the first-byte timeout (%s)", s.cfg.FirstByteTimeout)
		case x.read == 0:
			h.Cause = fmt.Sprintf("the client sent nothing within the handshake timeout (%s)", s.cfg.Timeout)
		case x.read > 0:
			h.Cause = fmt.Sprintf("the TLS handshake timed out (%s): the client went silent %s", s.cfg.Timeout, clientSent(&x.ev))
		default:
			h.Cause = fmt.Sprintf("the TLS handshake timed out (%s)", s.cfg.Timeout)
		}
		h.Fix = "the client may not speak TLS, or may wait for the server to speak first (a plaintext protocol); raise the handshake timeout for slow clients"
		if spoke := x.ev.Truncated[trace.Client] != nil || x.ev.Sent(trace.Client, wire.TypeClientHello); spoke {
			// It began a TLS record: it speaks TLS, and stalled.
			h.Fix = "the client speaks TLS but stopped sending mid-handshake: it stalled, gave up without closing, or its link is slow; its log may say why; raise the handshake timeout for slow clients"
		}
	default:
		if errors.As(x.err, &cce) {
			h.Cause, h.Fix = refusedCert(cce, nil, s.cfg.TrustWith)
		}
	}
}

// isSSLv2Hello reports whether b, a client's first bytes, start an SSL
// 2.0 format ClientHello.
func isSSLv2Hello(b []byte) bool {
	_, ok := wire.SSLv2HelloLen(b)
	return ok
}

// sentSoFar says what a client that did not finish its handshake sent:
// its bytes, in how many reads, and where they stopped.
func sentSoFar(x *failed) string {
	var b strings.Builder
	if x.read >= 0 {
		fmt.Fprintf(&b, "%d bytes in %d reads", x.read, x.reads)
	} else {
		fmt.Fprintf(&b, "%d reads", x.reads)
	}
	switch tr := x.ev.Truncated[trace.Client]; {
	case tr != nil:
		fmt.Fprintf(&b, ", then part of %s (%s)", tr.What(), tr.Amount())
	default:
		b.WriteString(", " + clientSent(&x.ev))
	}
	return b.String()
}

// clientSent says how far the client got, from the handshake messages it
// sent.
func clientSent(ev *trace.Evidence) string {
	switch {
	case ev.Sent(trace.Client, wire.TypeFinished):
		return "after its Finished"
	case ev.Sent(trace.Client, wire.TypeCertificate):
		return "after its Certificate"
	case ev.Sent(trace.Server, wire.TypeServerHello):
		return "after the server's reply to its ClientHello"
	case ev.Sent(trace.Client, wire.TypeClientHello):
		return "after its ClientHello"
	}
	return "before it sent a ClientHello"
}

// curveGroups are the supported_groups code points of the curves an
// ECDSA certificate's key can be on (RFC 8422, Section 5.1.1).
var curveGroups = map[elliptic.Curve]uint16{elliptic.P256(): 23, elliptic.P384(): 24, elliptic.P521(): 25}

// curveNotOffered explains a client that ended a TLS 1.0-1.2 handshake
// with an alert after the server sent an ECDSA certificate whose curve its
// supported_groups did not list: the server must not (RFC 8422, Section
// 5.3; RFC 4492, Section 5.3), and OpenSSL's clients refuse it ("wrong
// curve", illegal_parameter). crypto/tls serves its only certificate
// anyway; of several, it picks one the client supports.
func curveNotOffered(a *failure.AlertError, x *failed) (cause, fix string, ok bool) {
	if x.hello == nil || len(x.hello.Groups) == 0 || x.leaf == nil ||
		x.ev.Chosen < wire.VersionTLS10 || x.ev.Chosen > wire.VersionTLS12 {
		// No supported_groups: the client takes any curve (RFC 8422,
		// Section 4).
		return "", "", false
	}
	cert, err := x509.ParseCertificate(x.leaf)
	if err != nil {
		return "", "", false
	}
	pub, isEC := cert.PublicKey.(*ecdsa.PublicKey)
	if !isEC {
		return "", "", false
	}
	g, known := curveGroups[pub.Curve]
	if !known || slices.Contains(x.hello.Groups, g) {
		return "", "", false
	}
	var offered []string
	for _, o := range x.hello.Groups {
		if n := wire.GroupName(o); n != "GREASE" {
			if n == "" {
				n = fmt.Sprintf("0x%04X", o)
			}
			offered = append(offered, n)
		}
	}
	art := "a"
	if strings.ContainsAny(a.Name()[:1], "aeiou") {
		art = "an"
	}
	return fmt.Sprintf("the client refused the server's ECDSA certificate (it sent %s %s alert): its key is on %s, and the client's supported_groups (%s) does not list that curve; in %s the certificate's curve must be one the client supports (RFC 8422, Section 5.3)",
			art, a.Name(), wire.GroupName(g), strings.Join(offered, ", "), wire.VersionName(x.ev.Chosen)),
		"serve an RSA certificate beside the ECDSA one (a second certificate and key: the server then picks the one the client supports), or one on a curve the client lists", true
}

// clientAlert explains a handshake the client ended with an alert: it
// refused something the server sent.
func clientAlert(a *failure.AlertError) (cause, fix string) {
	name := a.Name()
	switch a.Description() {
	case wire.AlertUnknownCA:
		return fmt.Sprintf("the client does not trust the CA that issued the server's certificate (it sent an %s alert)", name),
			"give the client the CA that issued the served certificate, or serve a certificate from a CA it trusts, with its intermediates"
	case wire.AlertBadCertificate, wire.AlertCertificateUnknown, wire.AlertUnsupportedCertificate:
		return fmt.Sprintf("the client refused the server's certificate (it sent a %s alert)", name),
			"check that the client trusts the CA of the served certificate and that the name it connects to is in the certificate"
	case wire.AlertCertificateExpired:
		return fmt.Sprintf("the client found the server's certificate expired or not yet valid (it sent a %s alert)", name),
			"serve a certificate valid now; check the clocks of both machines"
	case wire.AlertCertificateRevoked:
		return fmt.Sprintf("the client found the server's certificate revoked (it sent a %s alert)", name),
			"serve a certificate that is not revoked"
	case wire.AlertProtocolVersion:
		return fmt.Sprintf("the client refused the TLS version the server chose (it sent a %s alert)", name),
			"allow the client's TLS versions on the server, or newer ones on the client"
	case wire.AlertHandshakeFailure, wire.AlertInsufficientSecurity:
		return fmt.Sprintf("the client refused the server's choices (it sent a %s alert)", name),
			"compare the ClientHello above with the server's cipher suites and the key of its certificate"
	}
	return fmt.Sprintf("the client ended the handshake with a %s %s alert", a.Alert.Level.Name, name),
		"the alert above says why; the client's log may say more"
}

// serverAlert explains a handshake the server (crypto/tls) ended with an
// alert: it refused something the client sent.
func (s *Server) serverAlert(a *failure.AlertError, x *failed) (cause, fix string) {
	name := a.Name()
	switch a.Description() {
	case wire.AlertProtocolVersion:
		lo, hi := s.cfg.MinVersion, s.cfg.MaxVersion
		if lo == 0 {
			lo = tls.VersionTLS12
		}
		if hi == 0 {
			hi = tls.VersionTLS13
		}
		served := wire.VersionName(lo)
		if hi != lo {
			served += " to " + wire.VersionName(hi)
		}
		offered := "TLS versions"
		if v := versions(x.hello); v != "" {
			offered = v
		}
		return fmt.Sprintf("no TLS version in common with the client: it offered %s, the server serves %s (the server sent a %s alert)", offered, served, name),
			fmt.Sprintf("the client must allow %s", served)
	case wire.AlertCertificateRequired:
		return fmt.Sprintf("the server requires a client certificate and the client sent none (the server sent a %s alert)", name),
			"give the client a certificate issued by a CA the server trusts for clients"
	case wire.AlertHandshakeFailure:
		if x.ev.Sent(trace.Server, wire.TypeCertificateRequest) && x.ev.Sent(trace.Client, wire.TypeCertificate) && x.ev.Certificates[trace.Client] == 0 {
			// TLS 1.2: crypto/tls answers an empty Certificate so.
			return fmt.Sprintf("the server requires a client certificate and the client sent none (the server asked for one, then sent a %s alert)", name),
				"give the client a certificate issued by a CA the server trusts for clients"
		}
		if cause, fix, ok := s.noSuite12(x.hello, name); ok {
			return cause, fix
		}
		if offered, none := s.noSuiteServed(x.hello); none {
			cause, fix := s.noSuite(offered, name)
			if i := slices.IndexFunc(offered, func(id uint16) bool { return slices.Contains(ownTLS13, id) }); i >= 0 {
				// As for the ffdhe groups (noGroup): the server can
				// serve it, on the other engine.
				fix = fmt.Sprintf("allow one of the client's cipher suites on the server (%s is served by tlstrace's own engine), or have the client offer one the server serves", wire.CipherSuiteName(offered[i]))
			}
			return cause, fix
		}
		if cause, fix, ok := s.noGroup(x.hello, name); ok {
			return cause, fix
		}
		if cause, fix, ok := s.noScheme(x.hello, name); ok {
			return cause, fix
		}
		return fmt.Sprintf("no cipher suite, group or signature algorithm in common with the client (the server sent a %s alert)", name),
			"compare the client's offer (the ClientHello above) with the server's cipher suites and the key of its certificate"
	case wire.AlertMissingExtension:
		if cause, fix, ok := s.noUncompressed(x.hello, name); ok {
			return cause, fix
		}
	case wire.AlertNoApplicationProtocol:
		return fmt.Sprintf("no ALPN protocol in common: the client offered %s, the server allows %s (the server sent a %s alert)",
				list(x.hello), strings.Join(s.cfg.ALPN, ", "), name),
			"allow one of the client's protocols on the server"
	case wire.AlertBadCertificate:
		return fmt.Sprintf("the server refused the client's certificate (it sent a %s alert)", name),
			"give the client a certificate issued by a CA the server trusts for clients"
	case wire.AlertInternalError:
		// "An internal error unrelated to the peer or the correctness
		// of the protocol" (RFC 5246, Section 7.2.2): the server's own
		// failure, which its TLS stack's error names.
		why := x.err
		var ae *handshake.AlertError
		if errors.As(x.err, &ae) && ae.Err != nil {
			why = ae.Err
		}
		cause := fmt.Sprintf("the server failed on its own side and ended the handshake with an %s alert, which says the fault is not the client's", name)
		if why != nil {
			cause += ": " + why.Error()
		}
		return cause, "nothing the client sent caused this: check the server's settings (versions, cipher suites, certificates) against the error"
	}
	return fmt.Sprintf("the server refused the client's handshake with a %s %s alert", a.Alert.Level.Name, name),
		"the alert above says what the server refused in the ClientHello"
}

// noUncompressed explains a missing_extension alert of crypto/tls for a
// client whose ec_point_formats leaves out the uncompressed format, which
// every implementation must support (RFC 8422, Section 5.1.2): crypto/tls
// refuses it before it picks a suite (handshake_server.go supportsECDHE).
// ok is false when that is not what the client sent or is not known (the
// own engine, TLS 1.3 to be spoken).
func (s *Server) noUncompressed(h *fingerprint.Hello, alert string) (cause, fix string, ok bool) {
	if h == nil || s.own != nil || !s.speaks12(h) || len(h.PointFormats) == 0 || slices.Contains(h.PointFormats, 0) {
		return "", "", false
	}
	var names []string
	for _, f := range h.PointFormats {
		n := wire.ECPointFormatName(f)
		if n == "" {
			n = fmt.Sprintf("%d", f)
		}
		names = append(names, n)
	}
	return fmt.Sprintf("the client's ec_point_formats (%s) leaves out the uncompressed format, which RFC 8422 (Section 5.1.2) requires every implementation to support and the only one the server speaks (the server sent a %s alert)",
			strings.Join(names, ", "), alert),
		"have the client list the uncompressed point format in ec_point_formats, or leave the extension out (then uncompressed is understood)", true
}

// noSuiteServed returns the cipher suites a ClientHello offered (GREASE
// and the signalling values left out) and, for crypto/tls, whether none
// of them is one the server could serve: the TLS 1.0–1.2 suites it
// serves (served12) and the TLS 1.3 suites. none is false when that is
// not known (no hello, the own engine).
func (s *Server) noSuiteServed(h *fingerprint.Hello) (offered []uint16, none bool) {
	if h == nil || s.own != nil {
		return nil, false
	}
	served := map[uint16]bool{tls.TLS_AES_128_GCM_SHA256: true, tls.TLS_AES_256_GCM_SHA384: true, tls.TLS_CHACHA20_POLY1305_SHA256: true}
	none = true
	for _, id := range h.CipherSuites {
		// RFC 5746, Section 3.3 and RFC 7507, Section 2: signals, not
		// suites.
		if wire.IsGREASE(id) || id == 0x00FF || id == 0x5600 {
			continue
		}
		offered = append(offered, id)
		if served[id] || s.served12(id) {
			none = false
		}
	}
	return offered, none && len(offered) > 0
}

// ownTLS13 are the TLS 1.3 suites only tlstrace's own engine serves
// (RFC 8446, Appendix B.4: the CCM ones).
var ownTLS13 = []uint16{0x1304, 0x1305}

// goGroups are the groups crypto/tls serves when none are configured (Go
// 1.26: the ML-KEM hybrids, X25519, P-256, P-384, P-521).
var goGroups = []uint16{0x11ec, 0x11eb, 0x11ed, 29, 23, 24, 25}

// noGroup explains a handshake_failure (alert) of crypto/tls where TLS
// 1.3 was the version to speak and none of the groups the client offered
// (GREASE left out) is one the server serves: TLS 1.3's key exchange
// needs one (RFC 8446, Section 4.2.7), and crypto/tls does not fall back
// to TLS 1.2 for want of it. ok is false when that is not what happened
// or is not known (no hello, the own engine).
func (s *Server) noGroup(h *fingerprint.Hello, alert string) (cause, fix string, ok bool) {
	if h == nil || s.own != nil || !slices.Contains(h.SupportedVersions, tls.VersionTLS13) ||
		(s.cfg.MaxVersion != 0 && s.cfg.MaxVersion < tls.VersionTLS13) {
		return "", "", false
	}
	served := s.cfg.Groups
	if len(served) == 0 {
		served = goGroups
	}
	var offered []string
	for _, g := range h.Groups {
		if wire.IsGREASE(g) {
			continue
		}
		if slices.Contains(served, g) {
			return "", "", false
		}
		n := wire.GroupName(g)
		if n == "" {
			n = fmt.Sprintf("0x%04X", g)
		}
		offered = append(offered, n)
	}
	names := make([]string, len(served))
	for i, g := range served {
		names[i] = wire.GroupName(g)
	}
	what := fmt.Sprintf("none of the groups the client offered (%s) is", strings.Join(offered, ", "))
	switch len(offered) {
	case 0:
		what = "the client offered no group, and TLS 1.3 needs one"
	case 1:
		what = fmt.Sprintf("the only group the client offered, %s, is not", offered[0])
	}
	if len(offered) > 0 {
		what += fmt.Sprintf(" one the server serves (%s), and TLS 1.3 needs one for its key exchange", strings.Join(names, ", "))
	}
	return fmt.Sprintf("%s (the server sent a %s alert)", what, alert),
		"allow one of the client's groups on the server (the ffdhe groups are served by tlstrace's own engine), or have the client offer one the server serves", true
}

// schemes13 are the TLS 1.3 signature schemes crypto/tls signs with
// for a certificate's key (RFC 8446, Section 4.2.3: an ECDSA key's
// curve fixes its hash; RSA signs with RSASSA-PSS), nil for a key it
// does not sign TLS 1.3 handshakes with.
func schemes13(pub crypto.PublicKey) []uint16 {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if g, ok := curveGroups[k.Curve]; ok {
			// ecdsa_secp256r1_sha256, ecdsa_secp384r1_sha384,
			// ecdsa_secp521r1_sha512.
			return []uint16{map[uint16]uint16{23: 0x0403, 24: 0x0503, 25: 0x0603}[g]}
		}
	case *rsa.PublicKey:
		return []uint16{0x0804, 0x0805, 0x0806}
	case ed25519.PublicKey:
		return []uint16{0x0807}
	}
	return nil
}

// noScheme explains a handshake_failure (alert) of crypto/tls in TLS 1.3
// where the client's signature_algorithms hold no scheme the key of any
// of the server's certificates signs with (crypto/tls: "peer doesn't
// support any of the certificate's signature algorithms"). ok is false
// when that is not what happened or is not known (no hello, the own
// engine, TLS 1.2 to be spoken).
func (s *Server) noScheme(h *fingerprint.Hello, alert string) (cause, fix string, ok bool) {
	if h == nil || s.own != nil || len(h.SignatureSchemes) == 0 || len(s.cfg.Certificates) == 0 ||
		!slices.Contains(h.SupportedVersions, tls.VersionTLS13) || (s.cfg.MaxVersion != 0 && s.cfg.MaxVersion < tls.VersionTLS13) {
		return "", "", false
	}
	keys, ok := s.keysSigningNone(h, schemes13, nil)
	if !ok {
		return "", "", false
	}
	offered := schemeNames(h.SignatureSchemes)
	what := "the key of the server's certificate signs"
	if len(keys) > 1 {
		what = "the keys of the server's certificates sign"
	}
	return fmt.Sprintf("the client accepts TLS 1.3 signatures only by %s, and %s with none of them: %s (the server sent a %s alert)",
			strings.Join(offered, ", "), what, strings.Join(keys, "; "), alert),
		"serve a certificate whose key signs with a scheme the client accepts (another certificate and key beside those served), or have the client accept the certificate's scheme", true
}

// keysSigningNone names the key of each of the server's certificates
// (those whose key is of kinds; nil: all) with the schemes it signs with
// (schemes: those of the version to be spoken). ok is false when a
// certificate cannot be read, its key signs with none known, or one of
// its schemes is among the client's: then the schemes are not what
// failed.
func (s *Server) keysSigningNone(h *fingerprint.Hello, schemes func(crypto.PublicKey) []uint16, kinds map[keyKind]bool) (keys []string, ok bool) {
	for _, c := range s.cfg.Certificates {
		leaf := c.Leaf
		if leaf == nil && len(c.Certificate) > 0 {
			leaf, _ = x509.ParseCertificate(c.Certificate[0])
		}
		if leaf == nil {
			return nil, false
		}
		if kinds != nil && !kinds[certKey(leaf.PublicKey)] {
			continue
		}
		can := schemes(leaf.PublicKey)
		if can == nil {
			return nil, false
		}
		names := make([]string, len(can))
		for i, sc := range can {
			if slices.Contains(h.SignatureSchemes, sc) {
				return nil, false
			}
			names[i] = wire.SignatureSchemeName(sc)
		}
		keys = append(keys, fmt.Sprintf("%s (%s)", keyName(leaf), strings.Join(names, ", ")))
	}
	return keys, len(keys) > 0
}

// schemes12 are the TLS 1.2 signature schemes crypto/tls signs its
// ServerKeyExchange with for a certificate's key (its auth.go: an ECDSA
// key with any ECDSA hash, an RSA key with PSS or PKCS #1 v1.5 where the
// key is large enough for the hash), SHA-1 left out: crypto/tls does not
// sign with it in TLS 1.2 (RFC 9155, Section 5). nil for a key it does
// not sign with.
func schemes12(pub crypto.PublicKey) []uint16 {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return []uint16{0x0403, 0x0503, 0x0603}
	case *rsa.PublicKey:
		// RSASSA-PSS needs 2*hLen+2 bytes of modulus, PKCS #1 v1.5
		// the DigestInfo prefix, hLen and 11 (RFC 8017, Sections 9.1.1
		// and 9.2).
		var out []uint16
		for _, c := range []struct {
			scheme uint16
			min    int
		}{{0x0804, 66}, {0x0805, 98}, {0x0806, 130}, {0x0401, 62}, {0x0501, 78}, {0x0601, 94}} {
			if k.Size() >= c.min {
				out = append(out, c.scheme)
			}
		}
		return out
	case ed25519.PublicKey:
		return []uint16{0x0807}
	}
	return nil
}

// noScheme12 explains a handshake_failure (alert) of crypto/tls in TLS
// 1.2 where the server cannot sign its ServerKeyExchange (RFC 5246,
// Section 7.4.3) with a scheme the client accepts: its signature_algorithms
// (Section 7.4.1.4.1) hold none that the key of any of the server's
// certificates signs with, or it sent none, which RFC 9155 (Section 5)
// reads as SHA-1 only and crypto/tls refuses. crypto/tls chooses the
// signature after the suite: noSuite12 asks only once the suites left
// are ECDHE ones for the keys of kinds (nil: any). ok is false when that
// is not what happened or is not known (no hello, the own engine, TLS 1.3
// to be spoken).
func (s *Server) noScheme12(h *fingerprint.Hello, kinds map[keyKind]bool, alert string) (cause, fix string, ok bool) {
	if h == nil || s.own != nil || len(s.cfg.Certificates) == 0 ||
		(s.cfg.MaxVersion != 0 && s.cfg.MaxVersion < tls.VersionTLS12) ||
		(slices.Contains(h.SupportedVersions, tls.VersionTLS13) && (s.cfg.MaxVersion == 0 || s.cfg.MaxVersion >= tls.VersionTLS13)) ||
		(len(h.SupportedVersions) == 0 && h.LegacyVersion < tls.VersionTLS12) ||
		(len(h.SupportedVersions) > 0 && !slices.Contains(h.SupportedVersions, tls.VersionTLS12)) {
		return "", "", false
	}
	keys, ok := s.keysSigningNone(h, schemes12, kinds)
	if !ok {
		return "", "", false
	}
	what := "the key of the server's certificate signs"
	if len(keys) > 1 {
		what = "the keys of the server's certificates sign"
	}
	// RFC 8446, Section 4.2.3 (code point 13).
	if !slices.Contains(h.Extensions, 13) {
		return fmt.Sprintf("the client sent no signature_algorithms in its TLS 1.2 ClientHello, which means it accepts only SHA-1 signatures (RFC 5246, Section 7.4.1.4.1), and the server does not sign with SHA-1 in TLS 1.2 (RFC 9155); %s with %s (the server sent a %s alert)",
				what, strings.Join(keys, "; "), alert),
			"have the client send signature_algorithms with SHA-256 schemes (RFC 9155 requires it; any TLS 1.2 stack of the last decade does), or let it speak TLS 1.3", true
	}
	var offered []string
	sha1Only := true
	for _, sc := range h.SignatureSchemes {
		if wire.IsGREASE(sc) {
			continue
		}
		if sc&0xff00 != 0x0200 {
			sha1Only = false
		}
		n := wire.SignatureSchemeName(sc)
		if n == "" {
			n = fmt.Sprintf("0x%04X", sc)
		}
		offered = append(offered, n)
	}
	fix = "serve a certificate whose key signs with a scheme the client accepts (another certificate and key beside those served), or have the client accept the certificate's schemes"
	if sha1Only {
		fix = "have the client accept SHA-256 signatures: the server does not sign with SHA-1 in TLS 1.2 (RFC 9155)"
	}
	return fmt.Sprintf("the client accepts TLS 1.2 signatures only by %s, and %s with none of them: %s; so the server cannot sign its ServerKeyExchange (the server sent a %s alert)",
		strings.Join(offered, ", "), what, strings.Join(keys, "; "), alert), fix, true
}

// keyName says what kind of key a certificate holds: "ECDSA P-256",
// "RSA 2048 bits", "Ed25519".
func keyName(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	}
	return c.PublicKeyAlgorithm.String()
}

// noSuite explains a handshake_failure (alert) where none of the suites
// the client offered is one the server serves.
func (s *Server) noSuite(offered []uint16, alert string) (cause, fix string) {
	names, assigned := make([]string, len(offered)), 0
	for i, id := range offered {
		names[i] = wire.CipherSuiteName(id)
		if names[i] != "" {
			assigned++
		} else {
			names[i] = fmt.Sprintf("0x%04X", id)
		}
	}
	switch {
	case len(offered) == 1:
		cause = fmt.Sprintf("the only cipher suite the client offered, %s, is not one the server serves", names[0])
	case len(offered) <= 4:
		cause = fmt.Sprintf("none of the cipher suites the client offered (%s) is one the server serves", strings.Join(names, ", "))
	default:
		cause = fmt.Sprintf("none of the %d cipher suites the client offered is one the server serves", len(offered))
	}
	if assigned == 0 {
		cause += " (none of them is an assigned cipher suite)"
	}
	cause += fmt.Sprintf(" (the server sent a %s alert)", alert)
	if assigned == 0 {
		return cause, "the client offers no cipher suite any TLS stack implements: it is a scanner or a fuzzer, not a client to configure the server for"
	}
	return cause, "allow one of the client's cipher suites on the server, or have the client offer one the server serves"
}

// refusedCert explains a client certificate that VerifyClient refused;
// the fix follows the chain's failure (crypto/x509's typed error): renew
// a certificate out of its validity, reissue one whose extended key usage
// does not allow client authentication, send the intermediates a chain
// lacks, trust (trustWith, the server's setting) the CA a chain ends at.
func refusedCert(e *clientCertError, a *failure.AlertError, trustWith string) (cause, fix string) {
	sent := ""
	if a != nil {
		sent = fmt.Sprintf(" (the server sent a %s alert)", a.Name())
	}
	if e.Result == nil {
		return "the server requires a client certificate and the client sent none" + sent,
			"give the client a certificate issued by a CA the server trusts for clients"
	}
	r := e.Result
	cause = fmt.Sprintf("the client certificate is not trusted: %s%s", r.Cause, sent)
	if trustWith == "" {
		trustWith = "the server's CAs for clients"
	}
	// Not the chain's own fix: it speaks to a client trusting a server.
	fix = "give the client a certificate issued by a CA the server trusts for clients, and have it send its intermediates"
	var inv x509.CertificateInvalidError
	var unk x509.UnknownAuthorityError
	switch {
	case errors.As(r.Err, &inv) && inv.Cert != nil && inv.Reason == x509.Expired:
		which := "the client certificate"
		if len(r.Links) == 0 || inv.Cert != r.Links[0].Cert {
			which = fmt.Sprintf("the certificate of %q in the client's chain", dn.Subject(inv.Cert))
		}
		if r.At.Before(inv.Cert.NotBefore) {
			return cause, fmt.Sprintf("%s is not valid before %s: check the clocks of the client's issuer and of the server, or give the client a certificate valid now",
				upper(which), inv.Cert.NotBefore.UTC().Format(time.RFC3339))
		}
		return cause, fmt.Sprintf("renew %s (it expired on %s), and check the server's clock", which, inv.Cert.NotAfter.UTC().Format(time.RFC3339))
	case errors.As(r.Err, &inv) && inv.Cert != nil && inv.Reason == x509.IncompatibleUsage:
		which := "the client certificate"
		if len(r.Links) == 0 || inv.Cert != r.Links[0].Cert {
			which = fmt.Sprintf("the certificate of %q in the client's chain", dn.Subject(inv.Cert))
		}
		// RFC 5280, Section 4.2.1.12: id-kp-clientAuth.
		return cause, fmt.Sprintf("reissue %s with clientAuth in its extendedKeyUsage (openssl: -addext extendedKeyUsage=clientAuth), or without that extension", which)
	case errors.As(r.Err, &unk) && len(r.Links) > 0:
		last := r.Links[len(r.Links)-1].Cert
		if bytes.Equal(last.RawIssuer, last.RawSubject) {
			// The chain ends at a root the server does not trust.
			what := fmt.Sprintf("the CA %q that issued it", dn.Subject(last))
			if len(r.Links) == 1 {
				what = "the certificate itself (it is self-signed)"
			}
			return cause, fmt.Sprintf("trust %s with %s, or give the client a certificate issued by a CA the server trusts for clients", what, trustWith)
		}
		return cause, fmt.Sprintf("if %q is an intermediate CA, have the client send it after its certificate (%q names it as issuer); if it is a root, trust it with %s; or give the client a certificate issued by a CA the server trusts for clients",
			dn.Issuer(last), dn.Subject(last), trustWith)
	}
	return cause, fix
}

// upper capitalizes the first letter of s.
func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// versions names the TLS versions a ClientHello offered, "" when unknown.
// Without supported_versions, its legacy_version is the highest it
// offers, and any below may be (RFC 5246, Appendix E.1).
func versions(h *fingerprint.Hello) string {
	if h == nil {
		return ""
	}
	if len(h.SupportedVersions) == 0 {
		return "versions up to " + wire.VersionName(h.LegacyVersion)
	}
	var names []string
	for _, v := range h.SupportedVersions {
		if !wire.IsGREASE(v) {
			names = append(names, wire.VersionName(v))
		}
	}
	return strings.Join(names, ", ")
}

// list names the ALPN protocols a ClientHello offered.
func list(h *fingerprint.Hello) string {
	if h == nil || len(h.ALPN) == 0 {
		return "none"
	}
	return strings.Join(h.ALPN, ", ")
}
