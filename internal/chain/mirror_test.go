package chain

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestCNFallbackNameConstraints: a leaf's common name is held to the DNS
// name constraints of the CAs above it as OpenSSL holds it, with
// openssl verify as the oracle: when the leaf has no DNS name in its
// subjectAltName, and only a common name that looks like a host name
// (v3_ncons.c, cn2dnsid: one with a dot, of letters, digits, '_', '-' and
// '.'). So "localhost" and a wildcard are not checked, "127.0.0.1" is
// checked as a DNS name, and a leaf with an IP address only in its
// subjectAltName has its common name checked though the name verified is
// the address. A common name refused with the fallback makes the cause
// without it say that curl and OpenSSL refuse it too; one accepted, that
// they accept it.
func TestCNFallbackNameConstraints(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	_, must := opensslIn(t, dir)
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	must("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-subj", "/CN=Root", "-days", "30",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	newreq := func(name, cn string) {
		must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name+".key", "-subj", "/CN="+cn, "-out", name+".csr")
	}
	write("nc.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nnameConstraints=critical,permitted;DNS:good.test\n")
	newreq("nc", "NC")
	must("x509", "-req", "-in", "nc.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "2", "-days", "30", "-extfile", "nc.ext", "-out", "nc.pem")
	for i, c := range []struct {
		cn, name string
		ipSAN    bool // the leaf names 127.0.0.1 in its subjectAltName
		valid    bool // as openssl verify judges it
		// stricter: tlstrace refuses the fallback all the same: the
		// host the common name stands for is outside the constraints
		// (fallbackConstraints).
		stricter bool
	}{
		{"evil.other.test", "evil.other.test", false, false, false},
		{"bad.example", "bad.example", false, false, false},
		{"www.good.test", "www.good.test", false, true, false},
		{"localhost", "localhost", false, true, true},
		{"*.other.test", "a.other.test", false, true, true},
		{"*.good.test", "a.good.test", false, true, false},
		{"127.0.0.1", "127.0.0.1", false, false, false},
		{"evil.other.test", "127.0.0.1", true, false, false},
		{"localhost", "127.0.0.1", true, true, false},
	} {
		name := fmt.Sprintf("leaf%d", i)
		newreq(name, c.cn)
		ext := "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
		if c.ipSAN {
			ext += "subjectAltName=IP:127.0.0.1\n"
		}
		write(name+".ext", ext)
		must("x509", "-req", "-in", name+".csr", "-CA", "nc.pem", "-CAkey", "nc.key", "-set_serial", fmt.Sprint(3+i), "-days", "30", "-extfile", name+".ext", "-out", name+".pem")
		t.Run(fmt.Sprintf("%s for %s, IP SAN %v", c.cn, c.name, c.ipSAN), func(t *testing.T) {
			run, _ := opensslIn(t, dir)
			check := "-verify_hostname"
			if net.ParseIP(c.name) != nil {
				// X509_check_ip has no common-name fallback: the
				// constraints are judged without a name.
				check = "-verify_ip"
			}
			args := []string{"verify", "-CAfile", "root.pem", "-untrusted", "nc.pem", check, c.name, name + ".pem"}
			if check == "-verify_ip" && !c.ipSAN {
				args = slices.Delete(args, 5, 7)
			}
			out, err := run(args...)
			if (err == nil) != c.valid {
				t.Fatalf("openssl %s: %v\n%s\nthe test expects valid %v", strings.Join(args, " "), err, out, c.valid)
			}
			o := Options{Roots: certsIn(t, dir, "root.pem"), Intermediates: certsIn(t, dir, "nc.pem"), Name: c.name, At: time.Now(), FallbackWith: "--cn-fallback"}
			leaf := certsIn(t, dir, name+".pem")[0]
			strict := Verify(leaf, o)
			o.CNFallback = !c.ipSAN
			r := Verify(leaf, o)
			if c.stricter {
				wantFail(t, c.cn, r, "name_constraints", `the name constraints of "CN=NC" rule out the certificate`)
				if want := fmt.Sprintf("the host name %s, for which the leaf's common name %q stands", c.name, c.cn); !strings.Contains(r.Cause, want) {
					t.Errorf("cause %q, want %q", r.Cause, want)
				}
				if want := "curl and OpenSSL accept it through the common-name fallback, but tlstrace refuses it even so"; !strings.Contains(strict.Cause, want) || strings.Contains(strict.Fix, "--cn-fallback") {
					t.Errorf("without the fallback: cause %q, fix %q; want %q and no --cn-fallback", strict.Cause, strict.Fix, want)
				}
				return
			}
			if c.valid {
				if !r.Valid {
					t.Errorf("not valid: %s", r.Cause)
				}
				if !c.ipSAN && (!strings.Contains(strict.Cause, "accept") || !strings.Contains(strict.Fix, "--cn-fallback")) {
					t.Errorf("without the fallback: cause %q, fix %q", strict.Cause, strict.Fix)
				}
				return
			}
			wantFail(t, c.cn, r, "name_constraints", `the name constraints of "CN=NC" rule out the certificate`)
			want := fmt.Sprintf("the leaf's common name %s (a host name, which OpenSSL and curl check against the DNS constraints when the subjectAltName has no DNS name) falls outside them", c.cn)
			if !strings.Contains(r.Cause, want) {
				t.Errorf("cause %q, want %q", r.Cause, want)
			}
			refuse := "curl and OpenSSL, which fall back to the common name, refuse it too"
			if net.ParseIP(c.name) != nil {
				refuse = "curl, which falls back to the common name (OpenSSL does not, for an IP address), refuses it too"
			}
			if !c.ipSAN && (!strings.Contains(strict.Cause, refuse) || strings.Contains(strict.Fix, "--cn-fallback")) {
				t.Errorf("without the fallback: cause %q, fix %q", strict.Cause, strict.Fix)
			}
		})
	}
}

// TestOwnChainsJudgedByCryptoX509Too: chains whose signatures
// crypto/x509 cannot check (an id-RSASSA-PSS key, Ed448) are still held
// to its other rules: an intermediate that requires an explicit policy
// (policyConstraints requireExplicitPolicy:0) over a leaf without one fails,
// as it fails with an ECDSA key and as openssl verify -policy_check fails
// it.
func TestOwnChainsJudgedByCryptoX509Too(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	for _, alg := range []string{"RSA-PSS", "ED448", "EC"} {
		t.Run(alg, func(t *testing.T) {
			dir := t.TempDir()
			_, must := opensslIn(t, dir)
			genkey := func(out string) {
				args := []string{"genpkey", "-algorithm", alg, "-out", out}
				switch alg {
				case "RSA-PSS":
					args = append(args, "-pkeyopt", "rsa_keygen_bits:2048")
				case "EC":
					args = append(args, "-pkeyopt", "ec_paramgen_curve:P-256")
				}
				must(args...)
			}
			os.WriteFile(filepath.Join(dir, "pol.ext"), []byte("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\npolicyConstraints=critical,requireExplicitPolicy:0\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "leaf.ext"), []byte("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:leaf.example.test\n"), 0o644)
			genkey("root.key")
			must("req", "-x509", "-key", "root.key", "-out", "root.pem", "-subj", "/CN=Root", "-days", "30",
				"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
			genkey("int.key")
			must("req", "-new", "-key", "int.key", "-subj", "/CN=Policy CA", "-out", "int.csr")
			must("x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "5", "-days", "30", "-extfile", "pol.ext", "-out", "int.pem")
			must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-subj", "/CN=leaf", "-out", "leaf.csr")
			must("x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey", "int.key", "-set_serial", "6", "-days", "30", "-extfile", "leaf.ext", "-out", "leaf.pem")
			run, _ := opensslIn(t, dir)
			if out, err := run("verify", "-policy_check", "-CAfile", "root.pem", "-untrusted", "int.pem", "leaf.pem"); err == nil {
				t.Fatalf("openssl verify -policy_check accepts the chain:\n%s", out)
			}
			if out, err := run("verify", "-CAfile", "root.pem", "-untrusted", "int.pem", "leaf.pem"); err != nil {
				t.Fatalf("openssl verify refuses the chain without -policy_check, so the test shows nothing about policies:\n%s", out)
			}
			o := Options{Roots: certsIn(t, dir, "root.pem"), Intermediates: certsIn(t, dir, "int.pem"), Name: "leaf.example.test", At: time.Now()}
			r := Verify(certsIn(t, dir, "leaf.pem")[0], o)
			wantFail(t, alg, r, "policy", "no certificate policy is valid along the chain")
		})
	}
}

// TestPSSOverSHA1Refused: a certificate signed with RSASSA-PSS over SHA-1
// (openssl x509 -sha1 -sigopt rsa_padding_mode:pss) is refused as
// crypto/x509 refuses SHA-1 signatures, with the cause that says so; one
// over SHA-224, which crypto/x509 does not take, is refused too; SHA-256
// passes.
func TestPSSOverSHA1Refused(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	_, must := opensslIn(t, dir)
	os.WriteFile(filepath.Join(dir, "leaf.ext"), []byte("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:leaf.example.test\n"), 0o644)
	must("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rr.key", "-out", "rr.pem", "-subj", "/CN=RSARoot", "-days", "30",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "s1.key", "-subj", "/CN=s1", "-out", "s1.csr")
	for _, c := range []struct {
		hash, salt, check, cause string
	}{
		{"sha1", "20", "signature", "is signed with SHA1-RSAPSS (salt 20), which is no longer accepted"},
		{"sha224", "28", "signature", "SHA-224, which crypto/x509 does not take"},
		{"sha256", "32", "", ""},
	} {
		t.Run(c.hash, func(t *testing.T) {
			out := c.hash + ".pem"
			must("x509", "-req", "-in", "s1.csr", "-CA", "rr.pem", "-CAkey", "rr.key", "-set_serial", "4", "-days", "30", "-extfile", "leaf.ext",
				"-"+c.hash, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:"+c.salt, "-out", out)
			r := Verify(certsIn(t, dir, out)[0], Options{Roots: certsIn(t, dir, "rr.pem"), Name: "leaf.example.test", At: time.Now()})
			if c.check == "" {
				if !r.Valid {
					t.Errorf("not valid: %s", r.Cause)
				}
				return
			}
			wantFail(t, c.hash, r, c.check, "")
			if !strings.Contains(r.Cause+" "+r.Links[0].Checks[0].Detail, c.cause) {
				t.Errorf("cause %q, signature check %q; want %q", r.Cause, r.Links[0].Checks[0].Detail, c.cause)
			}
		})
	}
}
