package client

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestVerifyPeer fetches and verifies the chain of a local server that
// sends its leaf and its CA, with a stapled OCSP response of each status.
func TestVerifyPeer(t *testing.T) {
	mustKey := func() crypto.Signer { return tlstest.NewKey(t, false) }
	mustCert := func(c certgen.Config) *x509.Certificate { return tlstest.Issue(t, c) }
	caKey, key := mustKey(), mustKey()
	ca := mustCert(certgen.Config{CommonName: "peer CA", Profile: certgen.ProfileCA, PathLen: -1, Key: caKey})
	inter := mustCert(certgen.Config{CommonName: "peer intermediate", Profile: certgen.ProfileCA, PathLen: -1, Key: caKey, Issuer: ca, IssuerKey: caKey})
	leaf := mustCert(certgen.Config{CommonName: "peer.test", SANs: []string{"peer.test"}, Profile: certgen.ProfileServer, Key: key, Issuer: inter, IssuerKey: caKey})
	staple := func(status int) []byte {
		b, err := ocsp.CreateResponse(inter, inter, ocsp.Response{Status: status, SerialNumber: leaf.SerialNumber,
			ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(time.Hour), RevokedAt: time.Now().Add(-time.Hour)}, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	serve := func(ocspStaple []byte) (host, port string) {
		cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.Raw, inter.Raw}, PrivateKey: key, OCSPStaple: ocspStaple}}}
		addr := tlstest.Listen(t, func(c net.Conn) { tls.Server(c, cfg).Handshake() })
		host, port, _ = net.SplitHostPort(addr)
		return host, port
	}
	other, err := ocsp.CreateResponse(inter, inter, ocsp.Response{Status: ocsp.Revoked, SerialNumber: big.NewInt(1), ThisUpdate: time.Now()}, caKey)
	if err != nil {
		t.Fatal(err)
	}
	opts := chain.Options{Roots: []*x509.Certificate{ca}}
	for _, c := range []struct {
		name       string
		staple     []byte
		serverName string
		valid      bool
		cause      string
	}{
		{"no staple", nil, "peer.test", true, ""},
		{"good staple", staple(ocsp.Good), "peer.test", true, ""},
		{"revoked", staple(ocsp.Revoked), "peer.test", false, "revoked"},
		// Without a server name, the host is the name checked.
		{"the host's name", nil, "", false, "not valid for 127.0.0.1"},
		// A response about another certificate is not used.
		{"another certificate's", other, "peer.test", true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			host, port := serve(c.staple)
			r, err := VerifyPeer(t.Context(), &Session{Host: host, Port: port, ServerName: c.serverName}, 10*time.Second, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Valid != c.valid || !strings.Contains(r.Cause, c.cause) {
				t.Errorf("valid %v, cause %q; want %v, %q", r.Valid, r.Cause, c.valid, c.cause)
			}
			if len(r.Links) != 3 {
				t.Errorf("%d links; want leaf, intermediate sent by the server, root", len(r.Links))
			}
			var e *Error
			if c.cause == "revoked" && (!errors.As(r.Err, &e) || e.Step != StepVerify) {
				t.Errorf("the revocation is %#v; want a StepVerify *Error", r.Err)
			}
		})
	}
	if _, err := VerifyPeer(t.Context(), &Session{Host: "127.0.0.1", Port: "1"}, time.Second, opts); err == nil {
		t.Error("a closed port gave no error")
	}
}
