package chain

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/ed448"

	"github.com/tlstrace/tlstrace/internal/certgen"
)

// cnChain makes a root and a leaf whose subject common name is cn, with
// keys of keyType ("ecdsa" or "ed448"); tweak edits the leaf's template,
// tweakRoot the root's.
func cnChain(t *testing.T, keyType, cn string, tweak func(*x509.Certificate), tweakRoot ...func(*x509.Certificate)) (leaf, root *x509.Certificate) {
	t.Helper()
	keys := make([]crypto.Signer, 2)
	for i := range keys {
		switch keyType {
		case "ecdsa":
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			keys[i] = k
		case "ed448":
			keys[i] = ed448.NewKeyFromSeed(bytes.Repeat([]byte{byte(i + 1)}, ed448.SeedSize))
		}
	}
	now := time.Now()
	rt := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageCertSign}
	// As openssl x509 -req makes it from a CSR with only a subject: no
	// extensions at all.
	lt := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	if tweak != nil {
		tweak(lt)
	}
	for _, f := range tweakRoot {
		if f != nil {
			f(rt)
		}
	}
	parse := func(tpl, parent *x509.Certificate, key, signer crypto.Signer) *x509.Certificate {
		der, err := certgen.CreateCertificate(tpl, parent, key.Public(), signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	root = parse(rt, rt, keys[0], keys[0])
	return parse(lt, root, keys[1], keys[0]), root
}

// TestCommonNameFallback checks a leaf without subjectAltName: refused for
// the name of its common name by default, with a cause that says why and a
// fix that says how to add a subjectAltName; accepted with CNFallback,
// whose host_name check says the common name was used. Names the common
// name does not match, and leaves with a subjectAltName, stay refused.
func TestCommonNameFallback(t *testing.T) {
	for _, keyType := range []string{"ecdsa", "ed448"} {
		t.Run(keyType, func(t *testing.T) {
			for _, c := range []struct {
				cn, name string
				tweak    func(*x509.Certificate)
				fallback bool // CNFallback accepts it
			}{
				{"localhost", "localhost", nil, true},
				{"LocalHost", "localhost", nil, true},
				{"*.example.com", "www.example.com", nil, true},
				{"*.example.com", "a.b.example.com", nil, false},
				{"127.0.0.1", "127.0.0.1", nil, true},
				{"localhost", "example.com", nil, false},
				{"localhost", "127.0.0.1", nil, false},
				{"", "localhost", nil, false},
				{"localhost", "localhost", func(c *x509.Certificate) { c.DNSNames = []string{"www.example.com"} }, false},
				{"localhost", "localhost", func(c *x509.Certificate) { c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)} }, false},
			} {
				leaf, root := cnChain(t, keyType, c.cn, c.tweak)
				o := Options{Name: c.name, Roots: []*x509.Certificate{root}, FallbackWith: "--cn-fallback"}
				what := c.cn + " for " + c.name
				strict := Verify(leaf, o)
				wantFail(t, what, strict, "host_name", "is not valid for "+c.name)
				if got := CommonNameMatches(leaf, c.name); got != c.fallback {
					t.Errorf("%s: CommonNameMatches %v, want %v", what, got, c.fallback)
				}
				if c.fallback {
					accept := "curl and OpenSSL accept it through the common-name fallback"
					if c.name == "127.0.0.1" {
						// X509_check_ip has no fallback.
						accept = "curl accepts it (OpenSSL does not, for an IP address) through the common-name fallback"
					}
					for _, w := range []string{"no subjectAltName", accept} {
						if !strings.Contains(strict.Cause, w) {
							t.Errorf("%s: cause %q lacks %q", what, strict.Cause, w)
						}
					}
					for _, w := range []string{"subjectAltName=", "--cn-fallback"} {
						if !strings.Contains(strict.Fix, w) {
							t.Errorf("%s: fix %q lacks %q", what, strict.Fix, w)
						}
					}
				}
				if !c.fallback && c.tweak == nil {
					// No subjectAltName, and a common name that does not
					// match either: curl refuses it too, and neither
					// the check nor the cause may say otherwise.
					want := fmt.Sprintf("its common name %q does not match %s either", c.cn, c.name)
					if c.cn == "" {
						want = "no common name"
					}
					if !strings.Contains(strict.Cause, want) || strings.Contains(strict.Cause, "accept it") {
						t.Errorf("%s: cause %q, want %q", what, strict.Cause, want)
					}
					for _, ch := range strict.Links[0].Checks {
						if ch.Name == "host_name" && (!strings.Contains(ch.Detail, want) || strings.Contains(ch.Detail, "fall back to it")) {
							t.Errorf("%s: host_name check %q, want %q", what, ch.Detail, want)
						}
					}
					if !strings.Contains(strict.Fix, "subjectAltName="+sanFor(c.name)) {
						t.Errorf("%s: fix %q", what, strict.Fix)
					}
				}
				var host x509.HostnameError
				if err := strict.Failure(); err == nil || !errors.As(err, &host) {
					t.Errorf("%s: the failure %v is not an x509.HostnameError", what, err)
				}
				o.CNFallback = true
				r := Verify(leaf, o)
				if !c.fallback {
					wantFail(t, what+" with the fallback", r, "host_name", "is not valid for "+c.name)
					continue
				}
				if !r.Valid {
					t.Errorf("%s: refused with the fallback: %s", what, r.Cause)
					continue
				}
				for _, ch := range r.Links[0].Checks {
					if ch.Name == "host_name" && (!ch.OK || !strings.Contains(ch.Detail, "common name")) {
						t.Errorf("%s: host_name check %+v", what, ch)
					}
				}
				// The fallback does not excuse anything else.
				o.At = leaf.NotAfter.Add(time.Minute)
				wantFail(t, what+" expired", Verify(leaf, o), "validity", "")
			}
		})
	}
}
