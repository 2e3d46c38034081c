// Package lab runs servers that are broken on purpose, each in one known
// way, on 127.0.0.1: certificates made at start (so nothing goes stale)
// and raw TCP peers that write bytes no TLS server would. `tlstrace lab`
// serves them, and the tests use them as fixtures for the diagnoses.
package lab

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/handshake"
)

// Exit codes of `tlstrace URL` that a server's fault leads to.
const (
	ExitOK   = 0
	ExitTLS  = 6
	ExitCert = 7
	ExitHTTP = 8
)

// Kinds of fault.
const (
	KindNone     = "none"
	KindCert     = "certificate"
	KindProtocol = "protocol"
	KindHostile  = "hostile"
)

// Fault is one way a server is broken.
type Fault struct {
	// Name is how the lab and its users call it ("expired").
	Name string
	// Kind is KindCert, KindProtocol, KindHostile or KindNone.
	Kind string
	// Fault says what is wrong, in a few words.
	Fault string
	// Exit is the exit code of `tlstrace URL --cacert ca.pem`.
	Exit int
	// Warning is set when the client connects (Exit 0) but must warn.
	Warning bool
	// Scan, when set, is the rule of the finding `tlstrace scan` reports
	// for a fault a client cannot see (Exit 0, no warning).
	Scan string
	// tls, when set, is the server's configuration (certificate faults);
	// raw, when set, serves each connection by hand (hostile faults).
	tls *tls.Config
	raw func(net.Conn)
	// own, when set, is the configuration of the project's own engine's
	// server (what crypto/tls cannot serve).
	own *handshake.Config
	// respond, when set, answers after a good handshake instead of the
	// index page.
	respond func(net.Conn)
	// wrap, when set, stands between the connection and the tls server.
	wrap func(net.Conn) net.Conn
}

// Names lists the faults the lab serves, in the order of their ports
// (after the index on the first port).
var Names = []string{
	"expired", "not-yet-valid", "wrong-host", "no-san", "self-signed", "untrusted-root", "incomplete-chain", "sha1-chain",
	"rsa1024", "not-a-ca", "pathlen-exceeded", "clientauth-only", "name-constraints", "revoked", "long-validity",
	"tls10-only", "tls11-only", "dhe-1024", "no-common-suite", "mtls-required", "alpn-mismatch", "sni-required", "cbc-only",
	"garbage", "plain-http", "huge-headers", "silent", "slow", "reset", "truncated-record", "oversized-record", "sslv2", "alert-storm", "corrupt-cert",
	"lying-length", "heartbleed", "ccs-injection", "robot",
}

// Lab holds the root CA and the faults made from it.
type Lab struct {
	// Root is the CA a client trusts; RootPEM is it in PEM.
	Root    *x509.Certificate
	RootPEM []byte
	rootKey crypto.Signer
	faults  map[string]*Fault
}

// rootLife is how long the root CA is valid: longer than every
// certificate it issues (the longest, long-validity's, 400 days), so that
// no chain outlives its root. leafLife is the good leaves': well past
// the 30 days within which a scan warns that a certificate expires, so
// that only a fault about it is a finding.
const (
	rootLife = 5 * 365 * 24 * time.Hour
	leafLife = 90 * 24 * time.Hour
)

// New makes a fresh root CA and the certificates of every fault.
func New() (*Lab, error) {
	l := &Lab{faults: map[string]*Fault{}}
	now := time.Now()
	key, err := certgen.GenerateKey("p256")
	if err != nil {
		return nil, err
	}
	der, err := certgen.Issue(certgen.Config{CommonName: "tlstrace lab CA", Profile: certgen.ProfileCA, PathLen: -1, Key: key,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(rootLife)})
	if err != nil {
		return nil, fmt.Errorf("lab: making the root CA: %w", err)
	}
	if l.Root, err = x509.ParseCertificate(der); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	l.rootKey = key
	l.RootPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := l.certFaults(now); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	for _, f := range append(hostileFaults(), lengthFaults()...) {
		l.faults[f.Name] = f
	}
	return l, nil
}

// Fault returns the fault called name, or nil.
func (l *Lab) Fault(name string) *Fault { return l.faults[name] }

// WriteCA writes the root CA to dir/ca.pem (mode 0644) and returns the
// file's path, absolute unless the working directory cannot be known.
func (l *Lab) WriteCA(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	p := filepath.Join(dir, "ca.pem")
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	if err := os.WriteFile(p, l.RootPEM, 0o644); err != nil {
		return "", fmt.Errorf("lab: %w", err)
	}
	return p, os.Chmod(p, 0o644)
}

var localNames = []string{"localhost", "127.0.0.1", "::1"}

// leaf issues a server certificate with key (P-256 when nil) signed by
// issuer (self-signed when nil) and returns its DER.
func leaf(c certgen.Config, key crypto.Signer, issuer *x509.Certificate, issuerKey crypto.Signer) ([]byte, crypto.Signer, error) {
	if key == nil {
		var err error
		if key, err = certgen.GenerateKey("p256"); err != nil {
			return nil, nil, err
		}
	}
	c.Profile, c.Key, c.Issuer, c.IssuerKey = certgen.ProfileServer, key, issuer, issuerKey
	der, err := certgen.Issue(c)
	return der, key, err
}

func (l *Lab) certFaults(now time.Time) error {
	day := 24 * time.Hour
	add := func(name, fault string, chain [][]byte, key crypto.Signer) {
		l.faults[name] = &Fault{Name: name, Kind: KindCert, Fault: fault, Exit: ExitCert,
			tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: key}}}}
	}
	signed := func(c certgen.Config, key crypto.Signer) ([][]byte, crypto.Signer, error) {
		der, k, err := leaf(c, key, l.Root, l.rootKey)
		return [][]byte{der}, k, err
	}
	good := certgen.Config{CommonName: "localhost", SANs: localNames, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(leafLife)}

	// index: a server with nothing wrong.
	chain, key, err := signed(good, nil)
	if err != nil {
		return err
	}
	l.faults["index"] = &Fault{Name: "index", Kind: KindNone, Fault: "none: this page", Exit: ExitOK,
		tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: key}}}}

	c := good
	c.NotBefore, c.NotAfter = now.Add(-30*day), now.Add(-day)
	if chain, key, err = signed(c, nil); err != nil {
		return err
	}
	add("expired", "the certificate expired a day ago", chain, key)

	c = good
	c.NotBefore, c.NotAfter = now.Add(day), now.Add(leafLife)
	if chain, key, err = signed(c, nil); err != nil {
		return err
	}
	add("not-yet-valid", "the certificate is valid only from tomorrow", chain, key)

	c = good
	c.CommonName, c.SANs = "wrong.host.example", []string{"wrong.host.example"}
	if chain, key, err = signed(c, nil); err != nil {
		return err
	}
	add("wrong-host", "the certificate names another host", chain, key)

	c = good
	c.CommonName, c.SANs = "127.0.0.1", nil
	if chain, key, err = signed(c, nil); err != nil {
		return err
	}
	add("no-san", "the certificate names its host only in the subject's CN, no subjectAltName", chain, key)

	der, key, err := leaf(good, nil, nil, nil)
	if err != nil {
		return err
	}
	add("self-signed", "the certificate is self-signed", [][]byte{der}, key)

	otherKey, err := certgen.GenerateKey("p256")
	if err != nil {
		return err
	}
	otherDER, err := certgen.Issue(certgen.Config{CommonName: "tlstrace lab untrusted CA", Profile: certgen.ProfileCA, PathLen: -1, Key: otherKey,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(rootLife)})
	if err != nil {
		return err
	}
	other, err := x509.ParseCertificate(otherDER)
	if err != nil {
		return err
	}
	if der, key, err = leaf(good, nil, other, otherKey); err != nil {
		return err
	}
	add("untrusted-root", "the chain ends at a root the client does not trust", [][]byte{der, otherDER}, key)

	interKey, err := certgen.GenerateKey("p256")
	if err != nil {
		return err
	}
	interDER, err := certgen.Issue(certgen.Config{CommonName: "tlstrace lab intermediate CA", Profile: certgen.ProfileCA, PathLen: 0, Key: interKey,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(leafLife), Issuer: l.Root, IssuerKey: l.rootKey})
	if err != nil {
		return err
	}
	inter, err := x509.ParseCertificate(interDER)
	if err != nil {
		return err
	}
	if der, key, err = leaf(good, nil, inter, interKey); err != nil {
		return err
	}
	add("incomplete-chain", "the server sends its certificate without the intermediate CA that signed it", [][]byte{der}, key)

	if chain, key, err = l.sha1Leaf(good); err != nil {
		return err
	}
	add("sha1-chain", "the root signed the certificate with SHA-1, which is broken", chain, key)
	if err := l.chainFaults(good); err != nil {
		return err
	}
	if err := l.dheFaults(good); err != nil {
		return err
	}
	return l.protocolFaults(good)
}

// sha1Leaf issues a server certificate that the root signs with
// ECDSA-with-SHA1: certgen refuses SHA-1, so it is made with crypto/x509,
// which still signs with it (and refuses to verify it).
func (l *Lab) sha1Leaf(c certgen.Config) ([][]byte, crypto.Signer, error) {
	key, err := certgen.GenerateKey("p256")
	if err != nil {
		return nil, nil, err
	}
	serial, err := certgen.SerialNumber()
	if err != nil {
		return nil, nil, err
	}
	t := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: c.CommonName}, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true,
		SignatureAlgorithm: x509.ECDSAWithSHA1}
	if err := certgen.AddSANs(t, c.SANs); err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, t, l.Root, key.Public(), l.rootKey)
	if err != nil {
		return nil, nil, fmt.Errorf("sha1-chain: %w", err)
	}
	return [][]byte{der}, key, nil
}

// protocolFaults adds the crypto/tls servers whose certificate is good
// but whose settings leave a default client nothing in common.
func (l *Lab) protocolFaults(good certgen.Config) error {
	chain, key, err := leaf(good, nil, l.Root, l.rootKey)
	if err != nil {
		return err
	}
	cert := []tls.Certificate{{Certificate: [][]byte{chain}, PrivateKey: key}}
	roots := x509.NewCertPool()
	roots.AddCert(l.Root)
	add := func(name, fault string, c *tls.Config) {
		c.Certificates = cert
		l.faults[name] = &Fault{Name: name, Kind: KindProtocol, Fault: fault, Exit: ExitTLS, tls: c}
	}
	add("tls10-only", "the server speaks only TLS 1.0", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10})
	add("tls11-only", "the server speaks only TLS 1.1", &tls.Config{MinVersion: tls.VersionTLS11, MaxVersion: tls.VersionTLS11})
	add("no-common-suite", "the server's only cipher suite is RC4, which no client offers by default", &tls.Config{MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA}})
	l.faults["huge-headers"] = &Fault{Name: "huge-headers", Kind: KindHostile, Fault: "the server's HTTP response has 5000 headers, 1 MB, more than clients accept",
		Exit: ExitHTTP, tls: &tls.Config{Certificates: cert, NextProtos: []string{"http/1.1"}}, respond: HugeHeaders}
	add("mtls-required", "the server requires a client certificate", &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: roots})
	add("alpn-mismatch", "the server's only application protocol is one no client offers", &tls.Config{NextProtos: []string{"x-tlstrace-lab"}})
	l.negotiationFaults(cert)
	l.faults["heartbleed"] = &Fault{Name: "heartbleed", Kind: KindProtocol, Exit: ExitOK, Scan: "heartbleed",
		Fault: "the server answers a heartbeat request with the payload length it claims, bytes past what it carried (Heartbleed, CVE-2014-0160: here a made-up pattern); clients see a good server, tlstrace scan finds it",
		tls:   &tls.Config{Certificates: cert, MaxVersion: tls.VersionTLS12},
		wrap:  func(c net.Conn) net.Conn { return newBleedConn(c) }}
	l.faults["ccs-injection"] = &Fault{Name: "ccs-injection", Kind: KindProtocol, Exit: ExitOK, Scan: "ccs-injection",
		Fault: "the server takes a ChangeCipherSpec sent before the key exchange without an alert, as OpenSSL before 1.0.1h did, and fails the next record as one it cannot decrypt (CCS injection, CVE-2014-0224); clients see a good server, tlstrace scan finds it",
		tls:   &tls.Config{Certificates: cert, MaxVersion: tls.VersionTLS12},
		wrap:  func(c net.Conn) net.Conn { return newCCSConn(c) }}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	rsaChain, _, err := leaf(good, rsaKey, l.Root, l.rootKey)
	if err != nil {
		return err
	}
	l.faults["robot"] = &Fault{Name: "robot", Kind: KindProtocol, Exit: ExitOK, Scan: "robot",
		Fault: "the server accepts RSA key exchange and answers a premaster secret whose PKCS#1 v1.5 padding does not start 0x0002 with decrypt_error, one with no 0x00 before a 48-byte secret with handshake_failure, and a good one with bad_record_mac at a bad Finished: a padding oracle that lets anyone decrypt recorded sessions (ROBOT, 2017); clients see a good server, tlstrace scan finds it",
		tls: &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{rsaChain}, PrivateKey: rsaKey}},
			CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
				tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_128_CBC_SHA}},
		wrap: func(c net.Conn) net.Conn { return newRobotConn(c, rsaKey) }}
	return nil
}

// Server is one fault listening.
type Server struct {
	*Fault
	// URL is where a client reaches it.
	URL string
	ln  net.Listener
}

// Listen opens one listener per name on 127.0.0.1 from port basePort (0:
// ports the system chooses) and returns the servers; Serve runs them.
func (l *Lab) Listen(basePort int, names []string) ([]*Server, error) {
	var out []*Server
	for i, n := range names {
		f := l.faults[n]
		if f == nil {
			closeAll(out)
			return nil, fmt.Errorf("lab: no fault %q", n)
		}
		port := 0
		if basePort != 0 {
			port = basePort + i
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", fmt.Sprint(port)))
		if err != nil {
			closeAll(out)
			return nil, fmt.Errorf("lab: %s: %w", n, err)
		}
		out = append(out, &Server{Fault: f, URL: "https://" + ln.Addr().String() + "/", ln: ln})
	}
	return out, nil
}

// Host is the server's address as tlstrace scan takes it (HOST:PORT).
func (s *Server) Host() string { return s.ln.Addr().String() }

func closeAll(s []*Server) {
	for _, x := range s {
		x.ln.Close()
	}
}

// Serve serves s until ctx is done, then closes its listener and the
// connections it holds, and returns once they have ended.
func (s *Server) Serve(ctx context.Context, index func() []byte) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	stop := context.AfterFunc(ctx, func() {
		s.ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				c.Close()
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
			}()
			s.serveConn(c, index)
		}()
	}
	s.ln.Close()
	wg.Wait()
}

func (s *Server) serveConn(c net.Conn, index func() []byte) {
	if s.raw != nil {
		s.raw(c)
		return
	}
	if s.own != nil {
		s.serveOwn(c, index)
		return
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if s.wrap != nil {
		c = s.wrap(c)
	}
	tc := tls.Server(c, s.tls)
	if err := tc.Handshake(); err != nil {
		return
	}
	if s.respond != nil {
		s.respond(tc)
		return
	}
	serveHTTP(tc, index)
}
