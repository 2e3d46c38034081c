package client

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// This file holds what lets the client run either TLS stack: crypto/tls,
// the default, and tlstrace's own engine (internal/handshake), which
// speaks what crypto/tls does not (Ed448 signatures, the rsa_pss_pss
// signatures of RSASSA-PSS certificates, finite-field DHE and the ffdhe
// groups, AES-CCM, a chosen subset of the TLS 1.3 suites). Both
// run over the same tapped connection and log their secrets to the same
// tracer, so the trace is read from the wire whichever ran.

// Engine chooses the TLS stack of a client handshake.
type Engine string

const (
	// EngineAuto runs crypto/tls, unless the settings ask for what it
	// does not implement, or the server refuses crypto/tls's ClientHello
	// (a handshake_failure or insufficient_security alert): then the own
	// engine runs, on a new connection for a retry, and the trace says
	// why (a trace.EngineChoice event).
	EngineAuto Engine = ""
	// EngineGo runs crypto/tls only.
	EngineGo Engine = "go"
	// EngineOwn runs tlstrace's own engine only.
	EngineOwn Engine = "own"
)

// TLSConn is a client's TLS session after its handshake, whichever engine
// ran it (a *tls.Conn or a *handshake.Conn underneath).
type TLSConn interface {
	net.Conn
	// CloseWrite sends close_notify.
	CloseWrite() error
	// State is what the handshake settled.
	State() ConnState
}

// ConnState is what a client handshake settled, as the engine that ran
// it reports.
type ConnState struct {
	// Engine is trace.EngineGo or trace.EngineOwn.
	Engine               string
	Version, CipherSuite uint16
	// ALPN is the protocol the server chose, "" if none.
	ALPN             string
	PeerCertificates []*x509.Certificate
	OCSPResponse     []byte
	// Retried says that the own engine ran the handshake on EngineAuto's
	// retry, after the server refused crypto/tls's ClientHello.
	Retried bool
}

// goConn is a session crypto/tls ran.
type goConn struct{ *tls.Conn }

func (c goConn) State() ConnState {
	cs := c.ConnectionState()
	return ConnState{Engine: trace.EngineGo, Version: cs.Version, CipherSuite: cs.CipherSuite, ALPN: cs.NegotiatedProtocol,
		PeerCertificates: cs.PeerCertificates, OCSPResponse: cs.OCSPResponse}
}

// ownReason says why the own engine runs a handshake under EngineAuto
// before crypto/tls is tried: what of the settings crypto/tls lacks, ""
// when it has all of it.
func (o *TLSOptions) ownReason() string {
	if o.Engine != EngineAuto {
		return ""
	}
	if lacks := o.goLacks(); lacks != "" {
		return "the settings ask for " + lacks
	}
	return ""
}

// retryReason says why a failed crypto/tls handshake is tried again with
// the own engine, and whether it is: under EngineAuto, when the server
// refused crypto/tls's ClientHello with a handshake_failure or
// insufficient_security alert (and did not ask for a client certificate
// the client lacks: err's advice is then to give one). The server may need
// what crypto/tls does not offer: Ed448 signatures, the rsa_pss_pss
// signatures of a certificate with an RSASSA-PSS key, DHE or CCM suites,
// ffdhe groups.
//
// Settings that limit the suites or groups to some crypto/tls implements
// are not retried: the limit is the likely cause, and the own engine would
// offer the same.
func (o *TLSOptions) retryReason(err error) (string, bool) {
	if o.Engine != EngineAuto || err == nil || o.CipherSuites != nil || o.Curves != nil || o.ownReason() != "" {
		// (With settings crypto/tls lacks, the own engine made the
		// handshake that failed.)
		return "", false
	}
	var ce *Error
	var ae *AlertError
	if !errors.As(err, &ce) || ce.Step != StepTLS || !errors.As(err, &ae) || ae.From != trace.Server {
		return "", false
	}
	switch ae.Description() {
	case wire.AlertHandshakeFailure:
		if ce.Advice != AdviseSuites {
			return "", false
		}
	case wire.AlertInsufficientSecurity:
	default:
		return "", false
	}
	return "the server refused crypto/tls's ClientHello (" + ae.Name() + " alert); tlstrace's own engine also offers Ed448 signatures, the rsa_pss_pss signatures of RSASSA-PSS certificates, finite-field DHE, the ffdhe groups and AES-CCM", true
}

// retrySuites12 are the TLS 1.0–1.2 suites the own engine offers when it
// runs after crypto/tls failed and the settings name none: every suite it
// implements with ECDHE, DHE or RSA key exchange, AEAD first, so that a
// server that allows only suites crypto/tls lacks (DHE, CCM) finds one.
var retrySuites12 = []uint16{
	0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, // ECDHE with AES-GCM and ChaCha20-Poly1305
	0xC0AC, 0xC0AD, 0xC0AE, 0xC0AF, // ECDHE-ECDSA with AES-CCM and AES-CCM_8
	0x009E, 0x009F, 0xCCAA, // DHE-RSA with AES-GCM and ChaCha20-Poly1305
	0xC09E, 0xC09F, 0xC0A2, 0xC0A3, // DHE-RSA with AES-CCM and AES-CCM_8
	0xC009, 0xC013, 0xC00A, 0xC014, 0xC023, 0xC027, 0xC024, 0xC028, // ECDHE with AES-CBC
	0x0033, 0x0039, 0x0067, 0x006B, // DHE-RSA with AES-CBC
	0x009C, 0x009D, 0xC09C, 0xC09D, 0xC0A0, 0xC0A1, // RSA with AES-GCM, AES-CCM and AES-CCM_8
	0x002F, 0x0035, 0x003C, 0x003D, // RSA with AES-CBC
}

// connector makes one connection for a caller, up to the end of its TLS
// handshake, on connection number conn with the TLS settings o. It returns
// the raw connection (to be closed by the caller, also on failure) and the
// session.
type connector func(conn int, o *TLSOptions) (net.Conn, TLSConn, *source.Tap, error)

// connectTLS runs c on connection conn; when crypto/tls's handshake failed
// in a way the own engine may not (retryReason), it closes that connection
// and runs c again on a new one with the own engine, the reason said in an
// engine event. It returns the number of the connection that was kept.
// When the server cannot be reached again (a server that accepts one
// connection), the first failure is the one returned.
func connectTLS(t *source.Tracer, conn int, o *TLSOptions, c connector) (int, net.Conn, TLSConn, *source.Tap, error) {
	raw, tc, tap, err := c(conn, o)
	why, retry := o.retryReason(err)
	if !retry {
		return conn, raw, tc, tap, err
	}
	if raw != nil {
		raw.Close()
	}
	first, failed := err, conn
	conn = t.NextConn()
	own := *o
	own.Engine, own.switched = EngineOwn, fmt.Sprintf("on connection %d, %s", failed, why)
	if own.CipherSuites == nil {
		own.CipherSuites = retrySuites12
	}
	raw, tc, tap, err = c(conn, &own)
	var ce *Error
	if errors.As(err, &ce) && (ce.Step == StepDNS || ce.Step == StepConnect) {
		if errors.As(first, &ce) {
			// The hint is then to let the own engine try from the start.
			ce.Advice, ce.Hint = AdviseRetryOwn, ""
		}
		return failed, raw, nil, nil, first
	}
	return conn, raw, tc, tap, err
}
