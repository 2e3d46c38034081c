package client

import (
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// ParseTarget returns the host and port of target, an https:// URL (its
// path ignored) or HOST[:PORT], the port 443 by default. A target with
// a user (USER[:PASSWORD]@) is refused: taken as a host name, the
// password would be sent to the DNS resolver and shown in the trace.
func ParseTarget(target string) (host, port string, err error) {
	hostport, _, _ := strings.Cut(strings.TrimPrefix(target, "https://"), "/")
	if strings.Contains(hostport, "@") {
		return "", "", errors.New("the target names a user (USER@ before the host): tlstrace sends this server no credentials")
	}
	return SplitHostPort(hostport, "443")
}

// NamesServer reports whether target names a server rather than a
// certificate file: an https:// URL, or HOST:PORT naming no file. A file
// that exists is a file, a colon in its name or not.
func NamesServer(target string) bool {
	if strings.HasPrefix(target, "https://") {
		return true
	}
	_, err := os.Stat(target)
	return err != nil && strings.Contains(target, ":")
}

// VerifyPeer verifies the chain the server of s sends, fetched as
// PeerChain does within maxTime (when it is positive) with a trace that is
// not kept, as the client judges it in its handshake (chain.Peer): without
// o.Name, the name checked is the server name, or the host; the warnings
// are the client's (a chain sent out of order among them); and a path
// that needs an intermediate of o.Intermediates the server did not send
// fails (*chain.NotSentError), as it fails a client that does not have
// it. A stapled OCSP response is then judged as a client that requires a
// good one judges it (checkOCSP, its issuer as the client finds it), at
// the time the chain is judged at (o.At, zero for now), its status in
// r.OCSP and why it is not good in r.OCSPCause and r.OCSPFix: one saying
// revoked at that time fails the chain (its Err a StepVerify *Error); one
// saying revoked after it does not (the certificate was good then), nor
// an invalid, out of date or unknown one.
func VerifyPeer(ctx context.Context, s *Session, maxTime time.Duration, o chain.Options) (*chain.Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if maxTime > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxTime)
		defer cancel()
	}
	o.Name = cmp.Or(o.Name, s.ServerName, s.Host)
	certs, staple, err := PeerChain(ctx, source.NewTracer(time.Now(), func(*trace.Event) {}), s)
	if err != nil {
		return nil, err
	}
	r, _, p := chain.Peer(1, certs, o)
	r.Warnings = p.Warnings
	var issuer *x509.Certificate
	if len(r.Links) > 1 {
		issuer = r.Links[1].Cert
	} else if len(certs) > 1 {
		issuer = certs[1]
	}
	v := &trace.Verify{}
	var ce *Error
	switch err := checkOCSP(v, staple, certs, issuer, "a client that requires one", o.At); {
	case !errors.As(err, &ce) || len(staple) == 0: // good, or none: the status says it
	case v.OCSP == "revoked" && r.Valid:
		r.Valid, r.Err, r.Cause, r.Fix, r.Warnings = false, ce, ce.Err.Error(), ce.Hint, nil
	default:
		r.OCSPCause, r.OCSPFix = ce.Err.Error(), ce.Hint
	}
	r.OCSP = v.OCSP
	return r, nil
}

// PeerChain connects as Connect does (every Network option, the server
// name, the TLS options) and returns the certificate chain the server
// sends, and the OCSP response it staples (nil when none), without
// enforcing a verdict on them: that is the caller's to give. The steps are
// traced to t.
func PeerChain(ctx context.Context, t *source.Tracer, s *Session) ([]*x509.Certificate, []byte, error) {
	conn := t.NextConn()
	tm := &Timings{Start: time.Now()}
	name := s.ServerName
	if name == "" {
		name = s.Host
	}
	o := s.TLS
	o.Insecure, o.Pins, o.CertStatus = true, nil, false
	_, raw, tc, tap, err := connectTLS(t, conn, &o, func(conn int, o *TLSOptions) (net.Conn, TLSConn, *source.Tap, error) {
		raw, err := dial(ctx, t, conn, s.Network, s.Host, s.Port, tm)
		if err != nil {
			return nil, nil, nil, err
		}
		tc, tap, err := Handshake(ctx, t, conn, raw, name, o, tm)
		return raw, tc, tap, err
	})
	if raw != nil {
		defer raw.Close()
	}
	if err != nil {
		return nil, nil, err
	}
	defer tap.Wait(time.Second)
	defer tc.Close()
	st := tc.State()
	if len(st.PeerCertificates) == 0 {
		return nil, nil, stepErr(StepTLS, errors.New("the server sent no certificate"), "")
	}
	return st.PeerCertificates, st.OCSPResponse, nil
}
