package client

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/suites"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// ownConn is a session tlstrace's own engine ran.
type ownConn struct {
	*handshake.Conn
	// retried: the handshake was EngineAuto's retry.
	retried bool
}

func (c ownConn) State() ConnState {
	s := c.Conn.State()
	return ConnState{Engine: trace.EngineOwn, Version: s.Version, CipherSuite: s.CipherSuite, ALPN: s.ALPN,
		PeerCertificates: s.PeerCertificates, OCSPResponse: s.OCSPResponse, Retried: c.retried}
}

// ownHandshake is Handshake by tlstrace's own engine: the same tap, key
// log and verification as crypto/tls's.
func ownHandshake(ctx context.Context, t *source.Tracer, conn int, raw net.Conn, host string, o *TLSOptions, tm *Timings) (TLSConn, *source.Tap, error) {
	tap := t.NewTap(raw, conn, trace.Client)
	var verr error
	cfg := &handshake.Config{
		ServerName:   host,
		MinVersion:   o.MinVersion,
		MaxVersion:   o.MaxVersion,
		CipherSuites: o.CipherSuites,
		TLS13Suites:  o.TLS13Suites,
		ALPN:         o.ALPN,
		KeyLog:       t.KeyLogWriter(),
		Sessions:     o.OwnSessions,
		VerifyPeer: func(chain []*x509.Certificate, staple []byte) error {
			verr = verify(t, conn, host, o, chain, staple, false)
			return verr
		},
		// A resumed session's chain was not sent on this connection: it
		// is the session's, checked again and said to be, as crypto/tls's
		// VerifyConnection does.
		VerifyResumed: func(chain []*x509.Certificate, staple []byte) error {
			verr = verify(t, conn, host, o, chain, staple, true)
			return verr
		},
	}
	if net.ParseIP(host) != nil {
		cfg.ServerName = "" // no SNI for an address; verified against it
	}
	for _, g := range o.Curves {
		cfg.Groups = append(cfg.Groups, uint16(g))
	}
	for _, c := range o.Certificates {
		if key, ok := c.PrivateKey.(crypto.Signer); ok {
			cfg.Certificates = append(cfg.Certificates, handshake.Certificate{Chain: c.Certificate, Key: key})
		}
	}
	hc := handshake.Client(tap, cfg)
	start := time.Now()
	hctx, cancel, limit := handshakeContext(ctx)
	defer cancel()
	err := hc.HandshakeContext(hctx)
	tm.TLS = time.Since(start)
	if o.switched != "" {
		// Said once the handshake has shown what the server needed.
		t.Emit(trace.NewEvent(conn, trace.Local, &trace.EngineChoice{Engine: trace.EngineOwn, Reason: switchReason(o.switched, hc)}))
	}
	if err != nil {
		return nil, nil, handshakeFailed(err, verr, tap, o, limit)
	}
	h := ownState(hc.State())
	h.Duration = tm.TLS
	t.Emit(trace.NewEvent(conn, trace.Local, h))
	return ownConn{hc, o.switched != ""}, tap, nil
}

// ownState fills a Handshake from what the own engine reports.
func ownState(s handshake.State) *trace.Handshake {
	h := &trace.Handshake{
		Engine:      trace.EngineOwn,
		Version:     wire.VersionName(s.Version),
		CipherSuite: wire.CipherSuiteName(s.CipherSuite),
		ServerName:  s.ServerName,
		ALPN:        s.ALPN,
		Resumed:     s.DidResume,
		HelloRetry:  s.HelloRetry,
	}
	switch {
	case s.DidResume && s.Version < wire.VersionTLS13:
		// An abbreviated handshake exchanges no key.
	case s.Group != 0:
		h.Group = wire.GroupName(s.Group)
	case s.DHGroup != "":
		h.Group = s.DHGroup
	case s.DHBits > 0:
		h.Group = fmt.Sprintf("a %d-bit DHE group of the server's", s.DHBits)
	}
	return h
}

// switchReason says why the own engine ran after crypto/tls failed (why),
// adding what the server chose that crypto/tls does not implement, as far
// as the handshake got: a chain refused after the server's ed448
// CertificateVerify still says the server signs with ed448.
func switchReason(why string, hc *handshake.Conn) string {
	s := hc.State()
	switch {
	case s.PeerSignatureScheme == 0x0808:
		return why + "; the server signs with ed448, which crypto/tls does not implement"
	case s.PeerSignatureScheme >= 0x0809 && s.PeerSignatureScheme <= 0x080b:
		// crypto/tls neither offers these schemes nor reads a
		// certificate whose key is RSASSA-PSS (RFC 4055).
		return why + "; the server signs with " + wire.SignatureSchemeName(s.PeerSignatureScheme) + ", its certificate's key being RSASSA-PSS, which crypto/tls does not implement"
	case s.CipherSuite != 0 && !suites.Go(s.CipherSuite):
		return why + "; the server chose " + wire.CipherSuiteName(s.CipherSuite) + ", which crypto/tls does not implement"
	case suites.FFDHE(s.Group):
		return why + "; the server chose the group " + wire.GroupName(s.Group) + ", which crypto/tls does not implement"
	}
	return why
}
