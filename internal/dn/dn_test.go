package dn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

type atv struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// atvSET is a multi-valued RDN (encoding/asn1 writes a SET for a type
// whose name ends in SET).
type atvSET []atv

func str(tag int, v string) asn1.RawValue { return asn1.RawValue{Tag: tag, Bytes: []byte(v)} }

func oid(s string) asn1.ObjectIdentifier {
	var o asn1.ObjectIdentifier
	for _, p := range strings.Split(s, ".") {
		n := 0
		for _, c := range p {
			n = n*10 + int(c-'0')
		}
		o = append(o, n)
	}
	return o
}

// names are subjects whose text openssl must agree with: every attribute
// of the table once, and values that need escaping, of each string type.
func testNames(t *testing.T) map[string][]atvSET {
	var every []atvSET
	var keys []string
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		tag := 12
		switch names[k] {
		case "C", "jurisdictionC", "dnQualifier", "serialNumber":
			tag = 19
		case "emailAddress", "DC", "mail":
			tag = 22
		}
		v := "v-" + names[k]
		if tag == 19 && (names[k] == "C" || names[k] == "jurisdictionC") {
			v = "DE"
		}
		every = append(every, atvSET{{oid(k), str(tag, v)}})
	}
	cn := oid("2.5.4.3")
	return map[string][]atvSET{
		"every attribute": every,
		"escapes": {
			{{cn, str(12, " lead")}}, {{cn, str(12, "#hash")}}, {{cn, str(12, "trail ")}}, {{cn, str(12, " ")}}, {{cn, str(12, "")}},
			{{cn, str(12, "a=b\"c<d>e;f\\g+h,i#j")}}, {{cn, str(12, "ctl\x01\x7f")}},
		},
		"string types": {
			{{cn, str(12, "caf\u00e9 \u4e2d")}}, {{cn, str(20, "caf\xe9")}}, {{cn, str(30, "\x00c\x00\xe9")}},
			{{cn, str(28, "\x00\x00\x00A\x00\x01\xf6\x00")}}, {{oid("1.2.840.113549.1.9.1"), str(22, "x@y.test")}},
		},
		"multi-valued and unknown": {
			{{oid("2.5.4.6"), str(19, "US")}},
			{{oid("2.5.4.10"), str(19, "multi")}, {oid("0.9.2342.19200300.100.1.1"), str(12, "uid")}},
			{{oid("1.2.3.4"), str(12, "unknown")}},
			{{cn, str(12, "last")}},
		},
	}
}

// TestStringMatchesOpenSSL: certificates with these subjects are shown as
// openssl x509 -noout -subject -nameopt RFC2253,-esc_msb shows them.
func TestStringMatchesOpenSSL(t *testing.T) {
	// As tlstest.RequirePeer, which imports certgen and so this package.
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl is required under CI: %v", err)
		}
		t.Skip("openssl not installed")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, rdns := range testNames(t) {
		raw, err := asn1.Marshal(rdns)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), RawSubject: raw, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, "c.pem")
		if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("openssl", "x509", "-in", file, "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb").Output()
		if err != nil {
			t.Fatalf("%s: openssl: %v", name, err)
		}
		want := strings.TrimSuffix(strings.TrimPrefix(string(out), "subject="), "\n")
		if got := String(raw); got != want {
			t.Errorf("%s:\n got %q\nwant %q (openssl)", name, got, want)
		}
		// crypto/x509 refuses a UniversalString, which a Name read
		// from the wire (a CertificateRequest's authorities) may hold.
		if cert, err := x509.ParseCertificate(der); err == nil && (Subject(cert) != want || Issuer(cert) != want) {
			t.Errorf("%s: subject %q, issuer %q; want %q", name, Subject(cert), Issuer(cert), want)
		}
	}
}

// TestStringKeepsWhatCryptoX509Drops: a value of a type openssl does not
// print as a string, and a Name that does not parse, are given in hex
// rather than lost; a name crypto/x509 writes matches its order.
func TestStringKeepsWhatCryptoX509Drops(t *testing.T) {
	raw, err := asn1.Marshal([]atvSET{{{oid("2.5.4.5"), asn1.RawValue{Tag: 2, Bytes: []byte{1, 2}}}}, {{oid("2.5.4.3"), str(12, "x")}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := String(raw), "CN=x,serialNumber=#02020102"; got != want {
		t.Errorf("INTEGER value: %q, want %q", got, want)
	}
	if got, want := String([]byte{0x30, 0x03, 0x31, 0x01}), "#30033101"; got != want {
		t.Errorf("broken Name: %q, want %q", got, want)
	}
	n := pkix.Name{Country: []string{"US"}, Organization: []string{"Acme, Inc."}, CommonName: "a.test"}
	der, err := asn1.Marshal(n.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := String(der), n.String(); got != want {
		t.Errorf("%q; want crypto/x509's %q for the names it knows", got, want)
	}
}
