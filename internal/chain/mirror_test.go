package chain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestCNFallbackNameConstraints: a leaf without subjectAltName whose
// common name a name-constrained CA may not sign is refused with the
// common-name fallback, as openssl verify -verify_hostname refuses it
// (OpenSSL checks such a common name against the DNS constraints); a
// common name within the constraints passes. Without the fallback, the
// cause says that curl and OpenSSL refuse it too, and the fix does not
// offer the fallback.
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
	write("cn.ext", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
	for i, c := range []struct {
		cn    string
		valid bool
	}{{"evil.other.test", false}, {"www.good.test", true}} {
		name := strings.Split(c.cn, ".")[0]
		newreq(name, c.cn)
		must("x509", "-req", "-in", name+".csr", "-CA", "nc.pem", "-CAkey", "nc.key", "-set_serial", string(rune('3'+i)), "-days", "30", "-extfile", "cn.ext", "-out", name+".pem")
		t.Run(c.cn, func(t *testing.T) {
			run, _ := opensslIn(t, dir)
			out, err := run("verify", "-CAfile", "root.pem", "-untrusted", "nc.pem", "-verify_hostname", c.cn, name+".pem")
			if (err == nil) != c.valid {
				t.Fatalf("openssl verify: %v\n%s\nthe test expects valid %v", err, out, c.valid)
			}
			o := Options{Roots: certsIn(t, dir, "root.pem"), Intermediates: certsIn(t, dir, "nc.pem"), Name: c.cn, At: time.Now(), FallbackWith: "--cn-fallback"}
			leaf := certsIn(t, dir, name+".pem")[0]
			strict := Verify(leaf, o)
			o.CNFallback = true
			r := Verify(leaf, o)
			if c.valid {
				if !r.Valid {
					t.Errorf("with the fallback: not valid: %s", r.Cause)
				}
				if !strings.Contains(strict.Cause, "curl and OpenSSL accept it") || !strings.Contains(strict.Fix, "--cn-fallback") {
					t.Errorf("without the fallback: cause %q, fix %q", strict.Cause, strict.Fix)
				}
				return
			}
			wantFail(t, "with the fallback", r, "name_constraints", `the name constraints of "CN=NC" rule out the certificate`)
			if !strings.Contains(r.Cause, "the leaf's common name") {
				t.Errorf("with the fallback: cause %q does not name the common name", r.Cause)
			}
			if !strings.Contains(strict.Cause, "curl and OpenSSL, which fall back to the common name, refuse it too") || strings.Contains(strict.Fix, "--cn-fallback") {
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
