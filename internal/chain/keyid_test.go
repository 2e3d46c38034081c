package chain

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestKeyIDMismatch: a leaf whose authority key identifier is not the
// subject key identifier of the root it verifies with (the root's
// certificate made again with the same name and key but another
// identifier) is valid, as crypto/x509 finds the issuer by name and
// signature, with a warning that openssl verify refuses it; openssl
// verify does, with the error the warning names. With the root that
// issued it, no warning.
func TestKeyIDMismatch(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	run, must := opensslIn(t, dir)
	ca := []string{"-days", "2", "-subj", "/CN=KeyID Root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"}
	must(append([]string{"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem"}, ca...)...)
	must(append([]string{"req", "-x509", "-key", "ca.key", "-out", "other-id.pem", "-addext", "subjectKeyIdentifier=0102030405"}, ca...)...)
	os.WriteFile(filepath.Join(dir, "leaf.ext"), []byte("subjectAltName=DNS:keyid.test\nauthorityKeyIdentifier=keyid:always\n"), 0o644)
	must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=keyid.test")
	must("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "1", "-extfile", "leaf.ext", "-out", "leaf.pem")

	leaf := certsIn(t, dir, "leaf.pem")[0]
	for _, c := range []struct {
		root string
		warn bool
	}{{"ca.pem", false}, {"other-id.pem", true}} {
		out, err := run("verify", "-CAfile", c.root, "leaf.pem")
		if (err != nil) != c.warn || c.warn && !strings.Contains(out, "unable to get local issuer certificate") {
			t.Fatalf("openssl verify with %s: %v\n%s", c.root, err, out)
		}
		r := Verify(leaf, Options{Roots: certsIn(t, dir, c.root), Name: "keyid.test", At: time.Now()})
		if !r.Valid {
			t.Fatalf("%s: not valid (%v); crypto/x509 finds the issuer by name and signature", c.root, r.Err)
		}
		warned := false
		for _, w := range r.Warnings {
			if strings.Contains(w.Cause, "authority key identifier") {
				warned = true
				if !strings.Contains(w.Cause, "01:02:03:04:05") || !strings.Contains(w.Cause, "unable to get local issuer certificate") || w.Fix == "" {
					t.Errorf("%s: warning %+v", c.root, w)
				}
			}
		}
		if warned != c.warn {
			t.Errorf("%s: warnings %+v; want the key identifier said: %v", c.root, r.Warnings, c.warn)
		}
	}
}

// zeroSerialRoot is a root with serial number 0, as nine roots of the
// Mozilla store carry (Go Daddy Class 2, Starfield Class 2…), and
// zeroSerialLeaf a leaf it issued with serial 1, for zero.test: made for
// this test with crypto/x509, valid from 2026 to 2046 and 2036.
const (
	zeroSerialRoot = `-----BEGIN CERTIFICATE-----
MIIBZzCCAQ2gAwIBAgIBADAKBggqhkjOPQQDAjAbMRkwFwYDVQQDExBTZXJpYWwg
WmVybyBSb290MB4XDTI2MDEwMTAwMDAwMFoXDTQ2MDEwMTAwMDAwMFowGzEZMBcG
A1UEAxMQU2VyaWFsIFplcm8gUm9vdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IA
BHExQuyTgGY89WFpQtdHHf5CdrBeK88ysicj3Y73iizOPdumJCZ6mn5GEPhVQete
4sOBY1wRfOrai0yLMHAgPSGjQjBAMA4GA1UdDwEB/wQEAwICBDAPBgNVHRMBAf8E
BTADAQH/MB0GA1UdDgQWBBRd5VvWEYLhVnqL9yB9LHvgRNAwtDAKBggqhkjOPQQD
AgNIADBFAiEAr+HNTCF8GwflrH3SNJ/kOYtjvUSIWNIeUIboLOwnmxsCIAcr1onK
zx8+ZsG3Fgc1hKF8xjn6+cWW3IffkXqYuOVl
-----END CERTIFICATE-----`
	zeroSerialLeaf = `-----BEGIN CERTIFICATE-----
MIIBfDCCASKgAwIBAgIBATAKBggqhkjOPQQDAjAbMRkwFwYDVQQDExBTZXJpYWwg
WmVybyBSb290MB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAwMDAwMFowFDESMBAG
A1UEAxMJemVyby50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEd/YsNTW8
uVO00WSe0QRqpZ5KB+N9T6UbfKCpwHWVCwxulvj6Zat9A9WXCcqDbU9sPPsKDKLl
oGmBUtYnq2FgpqNeMFwwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUF
BwMBMB8GA1UdIwQYMBaAFF3lW9YRguFWeov3IH0se+BE0DC0MBQGA1UdEQQNMAuC
CXplcm8udGVzdDAKBggqhkjOPQQDAgNIADBFAiAj+6HxyQUFwYgjZUqsSwKf1QI6
OZ5SWOJ1V3XZd9O+1gIhAP+hJYOsRONPpwCrsu+r/UfHQzdr5+t4PlCyCwsZpL3J
-----END CERTIFICATE-----`
)

// TestZeroSerial: serial number 0 is shown as the byte its DER holds
// (openssl x509 -serial: serial=00), not as nothing, and a chain through
// a certificate with it is valid with a warning that RFC 5280 forbids it,
// to reissue it; not for a trusted root, as roots in use carry it.
func TestZeroSerial(t *testing.T) {
	root, leaf := pemCert(t, zeroSerialRoot), pemCert(t, zeroSerialLeaf)
	if got := SerialText(root); got != "00" {
		t.Errorf("serial 0 shown as %q, want 00", got)
	}
	if got := SerialText(leaf); got != "01" {
		t.Errorf("serial 1 shown as %q, want 01", got)
	}
	for _, f := range Describe(root).Children {
		if f.Name == "serial" && f.Str != "00" {
			t.Errorf("Describe: serial %q, want 00", f.Str)
		}
	}
	zeroWarning := func(r *Result) *trace.Warning {
		t.Helper()
		if !r.Valid {
			t.Fatalf("not valid (%v); serial 0 fails no verifier", r.Err)
		}
		for i, w := range r.Warnings {
			if strings.Contains(w.Cause, "serial number 0") {
				if !strings.Contains(w.Cause, "RFC 5280 (Section 4.1.2.2)") {
					t.Errorf("warning %+v does not cite RFC 5280", w)
				}
				return &r.Warnings[i]
			}
		}
		t.Fatalf("no warning of serial 0: %+v", r.Warnings)
		return nil
	}
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	r := Verify(leaf, Options{Roots: []*x509.Certificate{root}, Name: "zero.test", At: at})
	if !r.Valid {
		t.Fatalf("not valid (%v); serial 0 fails no verifier", r.Err)
	}
	for _, w := range r.Warnings {
		if strings.Contains(w.Cause, "serial number 0") {
			t.Errorf("warned of a trusted root's serial 0: %+v", w)
		}
	}

	// A leaf with serial 0, issued by a root with a positive one.
	now := time.Now()
	ca, caKey := newCert(t, "positive root", false, now.Add(-time.Hour), now.Add(time.Hour), nil, nil)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(0), Subject: pkix.Name{CommonName: "zero leaf"},
		DNSNames: []string{"zero.test"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	zeroLeaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	w := zeroWarning(Verify(zeroLeaf, Options{Roots: []*x509.Certificate{ca}, Name: "zero.test", At: now}))
	if !strings.Contains(w.Cause, `"CN=zero leaf"`) || !strings.Contains(w.Fix, `reissue "CN=zero leaf" with a positive serial number`) {
		t.Errorf("leaf's warning %+v", w)
	}
}
