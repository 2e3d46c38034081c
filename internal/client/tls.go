package client

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/failure"
	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TLSOptions are curl's TLS options, in crypto/tls terms.
type TLSOptions struct {
	// Insecure skips the chain's verdict (curl -k); the chain is still
	// checked and shown, and Pins and CertStatus are still enforced.
	Insecure bool
	// Roots are the trusted CAs; nil means the system's. RootCerts, when
	// set, are the same CAs as a list: the chain is then explained up to
	// the root that was trusted (a pool cannot be listed).
	Roots     *x509.CertPool
	RootCerts []*x509.Certificate
	// Certificates is the client certificate (--cert/--key).
	Certificates []tls.Certificate
	// Pins are base64 SHA-256 hashes of acceptable server public keys
	// (--pinnedpubkey sha256//…).
	Pins []string
	// CertStatus requires a good stapled OCSP response (--cert-status).
	CertStatus bool
	MinVersion uint16
	MaxVersion uint16
	// CipherSuites limits the TLS 1.0–1.2 suites (--ciphers).
	CipherSuites []uint16
	// TLS13Suites limits the TLS 1.3 suites (--tls13-ciphers); nil offers
	// the engine's default.
	TLS13Suites []uint16
	// Curves sets the key exchange groups (--curves).
	Curves []tls.CurveID
	// Engine chooses the TLS stack; EngineAuto picks crypto/tls unless
	// the settings or the server need tlstrace's own engine.
	Engine Engine
	// switched says why the own engine runs this handshake after
	// crypto/tls's failed on an earlier connection (connectTLS).
	switched string
	// ALPN lists the protocols offered.
	ALPN []string
	// Sessions and OwnSessions, when set, let later connections resume
	// (--reconnect), by crypto/tls and by the own engine.
	Sessions    tls.ClientSessionCache
	OwnSessions *handshake.SessionCache
	// TrustWith words how the user trusts a CA (chain.Options.TrustWith).
	TrustWith string
	// CNFallback and FallbackWith are chain.Options' (the common-name
	// fallback, as curl accepts a certificate without subjectAltName).
	CNFallback   bool
	FallbackWith string
	// Words says advice as the user's front end does (with its flags),
	// for the fix a verify event carries; advice it does not word is
	// said by the error's Hint.
	Words map[Advice]string
	// CertStatusWith words how the user asks for CertStatus, for the
	// error of a missing OCSP response; "" names the setting.
	CertStatusWith string
	// EngineWith words how the user asks for the own engine (EngineOwn),
	// for the reason its engine event gives; "" says only that it was
	// asked for.
	EngineWith string
}

// Handshake runs a TLS client handshake over raw (tapped), verifying the
// server's chain for host, with the engine o.Engine chooses: under
// EngineAuto, crypto/tls unless the settings ask for what only the own
// engine does (then an engine event says so first, as it does for
// EngineOwn).
func Handshake(ctx context.Context, t *source.Tracer, conn int, raw net.Conn, host string, o *TLSOptions, tm *Timings) (TLSConn, *source.Tap, error) {
	switch why := o.ownReason(); {
	case o.Engine == EngineOwn && o.switched == "":
		// (A retry after crypto/tls's refusal says why once the
		// handshake has shown what the server needed.)
		asked := "asked for"
		if o.EngineWith != "" {
			asked += " with " + o.EngineWith
		}
		t.Emit(trace.NewEvent(conn, trace.Local, &trace.EngineChoice{Engine: trace.EngineOwn, Reason: asked}))
	case why != "":
		t.Emit(trace.NewEvent(conn, trace.Local, &trace.EngineChoice{Engine: trace.EngineOwn, Reason: why}))
	}
	if o.Engine == EngineOwn || o.ownReason() != "" {
		return ownHandshake(ctx, t, conn, raw, host, o, tm)
	}
	return goHandshake(ctx, t, conn, raw, host, o, tm)
}

// goHandshake is Handshake by crypto/tls.
func goHandshake(ctx context.Context, t *source.Tracer, conn int, raw net.Conn, host string, o *TLSOptions, tm *Timings) (TLSConn, *source.Tap, error) {
	tap := t.NewTap(raw, conn, trace.Client)
	var verr error
	cfg := &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: true, // verified below, with the explanation
		KeyLogWriter:       t.KeyLogWriter(),
		Certificates:       o.Certificates,
		MinVersion:         o.MinVersion,
		MaxVersion:         o.MaxVersion,
		CipherSuites:       o.CipherSuites,
		CurvePreferences:   o.Curves,
		NextProtos:         o.ALPN,
		ClientSessionCache: o.Sessions,
		VerifyConnection: func(cs tls.ConnectionState) error {
			verr = verify(t, conn, host, o, cs.PeerCertificates, cs.OCSPResponse, cs.DidResume)
			return verr
		},
	}
	if len(o.Certificates) > 0 {
		cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return clientCertificate(o.Certificates, cri), nil
		}
	}
	if net.ParseIP(host) != nil {
		cfg.ServerName = "" // no SNI for an address; verified against it
	}
	tc := tls.Client(tap, cfg)
	start := time.Now()
	hctx, cancel, limit := handshakeContext(ctx)
	defer cancel()
	err := tc.HandshakeContext(hctx)
	tm.TLS = time.Since(start)
	if err != nil {
		return nil, nil, handshakeFailed(err, verr, tap, o, limit)
	}
	h := trace.HandshakeState(tc.ConnectionState())
	h.Duration = tm.TLS
	t.Emit(trace.NewEvent(conn, trace.Local, h))
	return goConn{tc}, tap, nil
}

// resumedChainNote is the note of a verify event on a resumed session.
const resumedChainNote = "the session was resumed: the server sent no certificate on this connection, and this is the chain of the session it resumes, checked again"

// clientCertificate chooses the client certificate to send as curl
// (OpenSSL) and the own engine do: the first given that can sign with a
// signature algorithm the server accepts, whatever CAs the
// CertificateRequest names. Those names are a hint (RFC 8446, Section
// 4.2.4; RFC 5246, Section 7.4.4): crypto/tls alone sends nothing when the
// chain does not end at one of them, as when the intermediate is missing
// from the certificate file, and then the server's refusal names no
// certificate. An empty certificate sends none.
func clientCertificate(certs []tls.Certificate, cri *tls.CertificateRequestInfo) *tls.Certificate {
	anyCA := *cri
	anyCA.AcceptableCAs = nil
	for i := range certs {
		if anyCA.SupportsCertificate(&certs[i]) == nil {
			return &certs[i]
		}
	}
	return &tls.Certificate{}
}

// handshakeContext returns the context a handshake runs in and its time
// limit: the time ctx has left when it has a deadline (a run given a
// limit, curl's -m, bounds its handshake by it, longer than the default
// or shorter), else DefaultHandshakeTimeout.
func handshakeContext(ctx context.Context) (context.Context, context.CancelFunc, time.Duration) {
	if dl, ok := ctx.Deadline(); ok {
		hctx, cancel := context.WithCancel(ctx)
		return hctx, cancel, time.Until(dl)
	}
	hctx, cancel := context.WithTimeout(ctx, DefaultHandshakeTimeout)
	return hctx, cancel, DefaultHandshakeTimeout
}

// handshakeFailed closes a connection whose handshake failed with err and
// explains why: a chain refused (verr) is the cause; otherwise what the
// wire shows. limit is the handshake's time limit, which a handshake that
// timed out names.
func handshakeFailed(err, verr error, tap *source.Tap, o *TLSOptions, limit time.Duration) error {
	tap.Close()
	var se *Error
	if errors.As(verr, &se) {
		return se
	}
	ev := tap.Evidence()
	e := explainHandshake(err, ev, o)
	if e.Advice == AdviseHandshakeTime {
		// The server's bytes ended at a message's end, or none came.
		what := "no answer to the ClientHello"
		if ev.Data[trace.Server] > 0 {
			what = "the server's messages stopped before the handshake's end"
		}
		e.Err = failure.Explained(fmt.Sprintf("the TLS handshake timed out: %s within %s", what, seconds(limit)), e.Err)
	}
	return e
}

// seconds writes d in whole seconds ("30 s"), or in tenths under 10 s.
func seconds(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d s", (d+time.Second/2)/time.Second)
}

// verify checks the server's chain as crypto/tls would, and emits what it
// found. Its verdict is crypto/x509's. It returns the failure that ends
// the connection: with o.Insecure, only a pin or a required status.
func verify(t *source.Tracer, conn int, host string, o *TLSOptions, certs []*x509.Certificate, staple []byte, resumed bool) error {
	r, links, p := chain.Peer(conn, certs, chain.Options{Name: host, Roots: o.RootCerts, RootPool: o.Roots, TrustWith: o.TrustWith,
		CNFallback: o.CNFallback, FallbackWith: o.FallbackWith})
	if resumed {
		// crypto/tls checks a resumed session's chain again: it was
		// not sent on this connection.
		p.Notes = append(p.Notes, resumedChainNote)
	}
	var evErr string
	defer func() {
		ev := trace.NewEvent(conn, trace.Local, p)
		ev.Error = evErr
		t.Emit(ev)
	}()
	if r == nil {
		evErr = "the server sent no certificate"
		return stepErr(StepVerify, errors.New(evErr), "")
	}
	for _, lev := range links {
		t.Emit(lev)
	}
	// trust is the chain's verdict, which --insecure waives; kept is
	// what it does not: a key that is not the pinned one, and the
	// status --cert-status requires (curl checks both with -k too, and
	// a pinned self-signed server is what -k --pinnedpubkey is for).
	var trust, kept error
	if !r.Valid {
		trust = stepErr(StepVerify, r.Failure(), r.Fix)
	}
	if len(o.Pins) > 0 {
		kept = checkPin(p, certs[0], o.Pins)
	}
	if o.CertStatus || len(staple) > 0 {
		// A stapled response is always read, as browsers do: one that the
		// issuer signed saying revoked fails the chain. Only
		// --cert-status requires one, and a good one.
		var issuer *x509.Certificate
		if len(r.Links) > 1 {
			issuer = r.Links[1].Cert
		} else if len(certs) > 1 {
			issuer = certs[1]
		}
		required := ""
		if o.CertStatus {
			required = cmp.Or(o.CertStatusWith, "CertStatus")
		}
		if err := checkOCSP(p, staple, certs, issuer, required, time.Time{}); err != nil && o.CertStatus {
			kept = cmp.Or(kept, err)
		} else if err != nil {
			trust = cmp.Or(trust, err)
		}
	}
	result := cmp.Or(trust, kept)
	switch {
	case result == nil:
		p.Verdict, p.Trusted = "trusted", true
		return nil
	case o.Insecure && kept == nil:
		p.Verdict, p.Insecure = "not trusted", true
		evErr = result.Error()
		return nil
	case o.Insecure:
		result = kept
	}
	p.Verdict = "not trusted"
	evErr = result.Error()
	var se *Error
	if errors.As(result, &se) {
		p.Fix = se.Hint
		if w, ok := o.Words[se.Advice]; ok {
			p.Fix = w
		}
	}
	return result
}

func checkPin(p *trace.Verify, leaf *x509.Certificate, pins []string) error {
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	got := base64.StdEncoding.EncodeToString(sum[:])
	p.PublicKeyPin = "sha256//" + got
	for _, pin := range pins {
		if pin == got {
			return nil
		}
	}
	return &Error{Step: StepVerify, Err: fmt.Errorf("the server's public key sha256//%s matches none of the pinned keys", got),
		Hint: "if the key changed on purpose, update the pinned keys", Advice: AdvisePin}
}

// checkOCSP checks a stapled OCSP response (RFC 6960) against the leaf
// (certs[0], certs the chain the server sent) and its issuer, at the time
// at (zero: now), the time its chain is judged at, as chain.JudgeStaple
// judges it, and sets p.OCSP to its status. A revoked status fails (not
// one dated after a given at: the certificate was not revoked then).
// When required names the setting that requires a response
// (TLSOptions.CertStatus, in the user's words), so do no response and
// any other that is not good, judged as curl judges it: invalid, out of
// its time window, unknown, or with an issuer the server did not send
// (curl looks for it in the chain sent only).
func checkOCSP(p *trace.Verify, raw []byte, certs []*x509.Certificate, issuer *x509.Certificate, required string, at time.Time) error {
	if len(raw) == 0 {
		p.OCSP = "none stapled"
		if required == "" {
			return nil
		}
		return &Error{Step: StepVerify, Err: fmt.Errorf("the server stapled no OCSP response (%s asks for one)", required),
			Hint: "enable OCSP stapling on the server, or stop asking for a stapled response", Advice: AdviseCertStatus}
	}
	v := chain.JudgeStaple(raw, certs, issuer, at, required != "")
	p.OCSP = v.Status
	if v.Err == nil || !v.Revoked && required == "" {
		return nil
	}
	return stepErr(StepVerify, v.Err, v.Fix)
}
