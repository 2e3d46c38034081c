package scan

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestScanAddressName scans openssl s_server, whose trusted certificate
// names localhost only, by its address: the chains (TLS 1.2's and TLS
// 1.3's) are checked against 127.0.0.1, as crypto/x509 and curl check an
// address, and fail with an untrusted-chain finding that says so; with
// --sni localhost they are checked for localhost and verify.
func TestScanAddressName(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	certFile, keyFile := writeTLSCert(t, tlstest.SelfSigned(t, tlstest.NewKey(t, false), "localhost"))
	addr := sServerFiles(t, certFile, keyFile, "-www")
	for _, name := range []string{"", "localhost"} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		r, err := Scan(ctx, Options{Addr: addr, ServerName: name, Timeout: 5 * time.Second, Roots: slices.Clone(roots)})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Chains) == 0 {
			t.Fatalf("sni %q: no chain", name)
		}
		for _, cc := range r.Chains {
			if cc.Verdict == nil || cc.Verdict.Valid != (name != "") {
				t.Errorf("sni %q: %s chain (%s) verdict %+v", name, cc.KeyType, wire.VersionName(cc.Version), cc.Verdict)
			}
		}
		i := slices.IndexFunc(r.Findings, func(f Finding) bool { return f.Rule == "untrusted-chain" })
		switch {
		case name != "" && i >= 0:
			t.Errorf("sni %q: finding %+v", name, r.Findings[i])
		case name == "" && i < 0:
			t.Errorf("by address: no untrusted-chain finding in %+v", r.Findings)
		case name == "" && (!strings.Contains(r.Findings[i].Cause, "127.0.0.1") || r.Findings[i].Fix == ""):
			t.Errorf("by address: finding %+v does not name the address or has no fix", r.Findings[i])
		}
	}
}

// TestScanAddressSelfSigned scans, by its address, openssl s_server with
// a self-signed certificate made by openssl req -x509 for CN=localhost
// (no subjectAltName) and trusted by no one. openssl verify -verify_ip
// finds two faults, the certificate is self-signed (error 18) and does
// not name the address (error 64): the untrusted-chain finding says
// both, with a fix for each, since a new certificate naming the address
// would still be refused as untrusted.
func TestScanAddressSelfSigned(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "ss.pem"), filepath.Join(dir, "ss.key")
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "30", "-subj", "/CN=localhost").CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	out, _ := exec.Command("openssl", "verify", "-verify_ip", "127.0.0.1", certFile).CombinedOutput()
	if !strings.Contains(string(out), "error 18 ") || !strings.Contains(string(out), "error 64 ") {
		t.Fatalf("openssl verify does not find the certificate self-signed and not for the address:\n%s", out)
	}
	addr := sServerFiles(t, certFile, keyFile, "-www")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := Scan(ctx, Options{Addr: addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range r.Findings {
		if f.Rule != "untrusted-chain" {
			continue
		}
		n++
		t.Logf("cause: %s\nfix: %s", f.Cause, f.Fix)
		if !strings.Contains(f.Cause, "not valid for 127.0.0.1") || !strings.Contains(f.Cause, "self-signed") {
			t.Errorf("cause %q: want both the address the certificate does not name and its being self-signed", f.Cause)
		}
		if !strings.Contains(f.Fix, "subjectAltName=IP:127.0.0.1") || !strings.Contains(f.Fix, "trust it") {
			t.Errorf("fix %q: want both a certificate naming the address and trusting it", f.Fix)
		}
	}
	if n == 0 {
		t.Errorf("no untrusted-chain finding in %+v", r.Findings)
	}
}
