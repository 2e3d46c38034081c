package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestCertStatusPeers staples OCSP responses that are wrong in each way
// curl --cert-status refuses (exit 91) or accepts with openssl s_server
// -status_file, and checks that tlstrace --cert-status takes and refuses
// the same ones, with a cause, a hint and the verify event's ocsp status:
// a response signed by a delegated responder whose certificate is expired
// or not yet valid (made by openssl ocsp -rsigner), one dated in the
// future or out of date beyond curl's 5 minutes of leeway (and within
// them), an unknown status, another CA's signature, and an answer that is
// not a successful response. And the CertID and the responder ID, made
// by openssl ocsp: a responder ID by key (-resp_key_id), one that names
// the issuer over a delegated responder's signature, an answer about
// another issuer's certificate with the leaf's serial, one beside the
// leaf's, and a CertID hashed with SHA-256, which curl does not look up.
// And signatures OpenSSL 3.0 verifies that crypto/x509 does not read:
// RSASSA-PSS with the longest salt (openssl ocsp -rsigopt
// rsa_padding_mode:pss, and an RSA-PSS key's), and Ed448; and a
// responder ID that names the issuer in another encoding and case of its
// name, which OpenSSL's X509_NAME_cmp takes as the same name.
func TestCertStatusPeers(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	inter := newTestCA(t, dir, "intermediate", root)
	other := newTestCA(t, dir, "other", nil)
	cert, key := inter.leaf(t, dir, "leaf", nil, inter)
	b, _ := os.ReadFile(cert)
	leaf, _ := parseFirstCert(b)
	now := time.Now()

	// staple signs a response about leaf with signer's key, carrying
	// signer's certificate when it is not the issuer's.
	staple := func(name string, signer *testCA, tmpl ocsp.Response) string {
		t.Helper()
		tmpl.SerialNumber = leaf.SerialNumber
		if tmpl.ThisUpdate.IsZero() {
			tmpl.ThisUpdate, tmpl.NextUpdate = now.Add(-time.Hour), now.Add(time.Hour)
		}
		der, err := ocsp.CreateResponse(inter.cert, signer.cert, tmpl, signer.key)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, name+".ocsp")
		os.WriteFile(file, der, 0o644)
		return file
	}
	// index lists leaf's serial as valid, for openssl ocsp.
	index := filepath.Join(dir, "index.txt")
	os.WriteFile(index, fmt.Appendf(nil, "V\t%s\t\t%X\tunknown\t/CN=localhost\n", now.Add(24*time.Hour).UTC().Format("060102150405Z"), leaf.SerialNumber), 0o644)
	// opensslStaple makes a response with openssl ocsp, as a responder
	// answering its own request: args name the request's certificates
	// (-issuer, -cert or -serial, a digest before them), the CA whose
	// certificates it answers for, and the signer.
	opensslStaple := func(name string, args ...string) string {
		t.Helper()
		out := filepath.Join(dir, name+".ocsp")
		if b, err := exec.Command("openssl", append([]string{"ocsp", "-index", index, "-respout", out, "-ndays", "7"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("openssl ocsp: %v\n%s", err, b)
		}
		return out
	}
	// delegate makes a delegated responder's certificate, issued by the
	// intermediate for OCSP signing, valid from notBefore to notAfter,
	// written to name.pem and its key to name.key.
	delegate := func(name string, notBefore, notAfter time.Time) *testCA {
		t.Helper()
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
			SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
			NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		}, inter.cert, k.Public(), inter.key)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		rc := filepath.Join(dir, name+".pem")
		writePEM(t, rc, "CERTIFICATE", der)
		kder, _ := x509.MarshalPKCS8PrivateKey(k)
		os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
		return &testCA{cert: c, key: k, file: rc}
	}
	// responder makes a response signed by a delegated responder valid
	// from notBefore to notAfter, with openssl ocsp.
	responder := func(name string, notBefore, notAfter time.Time, args ...string) string {
		t.Helper()
		r := delegate(name, notBefore, notAfter)
		return opensslStaple(name, append([]string{"-rsigner", r.file, "-rkey", strings.TrimSuffix(r.file, ".pem") + ".key", "-CA", inter.file,
			"-issuer", inter.file, "-cert", cert}, args...)...)
	}
	interKey := filepath.Join(dir, "intermediate.key")
	kder, _ := x509.MarshalPKCS8PrivateKey(inter.key)
	os.WriteFile(interKey, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	// The intermediate's certificate and the other CA's in one file, for
	// a responder answering for both.
	bothCAs := filepath.Join(dir, "both-cas.pem")
	b1, _ := os.ReadFile(inter.file)
	b2, _ := os.ReadFile(other.file)
	os.WriteFile(bothCAs, append(b1, b2...), 0o644)
	serial := fmt.Sprintf("0x%X", leaf.SerialNumber)
	// A delegated responder's signature under a responder ID that names
	// the intermediate: OpenSSL checks it with the intermediate's key.
	misnamed := delegate("misnamed", now.Add(-time.Hour), now.Add(24*time.Hour))
	der, err := ocsp.CreateResponse(inter.cert, inter.cert, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber,
		ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour), Certificate: misnamed.cert}, misnamed.key)
	if err != nil {
		t.Fatal(err)
	}
	misnamedStaple := filepath.Join(dir, "misnamed.ocsp")
	os.WriteFile(misnamedStaple, der, 0o644)
	// opensslResponder makes a delegated responder's certificate and key
	// with openssl, the key made by genpkey with args, and a response it
	// signs with rsigopt (-rsigopt options).
	opensslResponder := func(name string, genpkey []string, rsigopt ...string) string {
		t.Helper()
		base := filepath.Join(dir, name)
		ext := base + ".ext"
		os.WriteFile(ext, []byte("extendedKeyUsage=OCSPSigning\nkeyUsage=digitalSignature\n"), 0o644)
		for _, args := range [][]string{
			append([]string{"genpkey", "-out", base + ".key"}, genpkey...),
			{"req", "-new", "-key", base + ".key", "-subj", "/CN=" + name, "-out", base + ".csr"},
			{"x509", "-req", "-in", base + ".csr", "-CA", inter.file, "-CAkey", interKey, "-set_serial", fmt.Sprint(time.Now().UnixNano()), "-days", "1", "-extfile", ext, "-out", base + ".pem"},
		} {
			if b, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
				t.Fatalf("openssl %s: %v\n%s", args[0], err, b)
			}
		}
		args := []string{"-rsigner", base + ".pem", "-rkey", base + ".key", "-CA", inter.file, "-issuer", inter.file, "-cert", cert}
		for _, o := range rsigopt {
			args = append(args, "-rsigopt", o)
		}
		return opensslStaple(name, args...)
	}
	// The intermediate's name with its common name a UTF8String in
	// capitals, not a PrintableString in lower case, over its key: openssl
	// ocsp -rsigner names it in the responder ID, and -resp_no_certs
	// leaves the certificate out, so that OpenSSL finds the intermediate
	// the server sent by that name.
	renamed := filepath.Join(dir, "renamed.pem")
	{
		name, _ := asn1.Marshal(pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte("INTERMEDIATE")}}}})
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), RawSubject: name, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, inter.key.Public(), inter.key)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := x509.ParseCertificate(der); err != nil {
			t.Fatal(err)
		} else if bytes.Equal(c.RawSubject, inter.cert.RawSubject) {
			t.Fatal("the renamed certificate has the intermediate's name in the same bytes")
		}
		writePEM(t, renamed, "CERTIFICATE", der)
	}
	tryLater := filepath.Join(dir, "try-later.ocsp")
	os.WriteFile(tryLater, ocsp.TryLaterErrorResponse, 0o644)

	for _, c := range []struct {
		name   string
		staple string
		ok     bool   // curl --cert-status accepts it
		status string // the verify event's ocsp
		cause  string
		hint   string
	}{
		{"good", staple("good", inter, ocsp.Response{Status: ocsp.Good}), true, "good", "", ""},
		{"delegated-responder", responder("responder", now.Add(-time.Hour), now.Add(24*time.Hour)), true, "good", "", ""},
		{"delegated-responder-expired", responder("responder-expired", now.Add(-48*time.Hour), now.Add(-24*time.Hour)), false, "invalid",
			`whose certificate expired on`, "the CA must renew its OCSP responder's certificate"},
		{"delegated-responder-not-yet-valid", responder("responder-future", now.Add(24*time.Hour), now.Add(48*time.Hour)), false, "invalid",
			`whose certificate is not valid before`, "the CA must renew its OCSP responder's certificate"},
		{"this-update-in-the-future", staple("future", inter, ocsp.Response{Status: ocsp.Good, ThisUpdate: now.Add(5 * 24 * time.Hour), NextUpdate: now.Add(6 * 24 * time.Hour)}), false,
			"good but not yet valid", "it is dated in the future", "check the clocks"},
		{"this-update-within-leeway", staple("leeway-this", inter, ocsp.Response{Status: ocsp.Good, ThisUpdate: now.Add(2 * time.Minute), NextUpdate: now.Add(time.Hour)}), true, "good", "", ""},
		{"next-update-past", staple("stale", inter, ocsp.Response{Status: ocsp.Good, ThisUpdate: now.Add(-2 * time.Hour), NextUpdate: now.Add(-time.Hour)}), false,
			"good but stale", "it is out of date", "the server must staple a fresh response: check its OCSP stapling refresh"},
		{"next-update-within-leeway", staple("leeway-next", inter, ocsp.Response{Status: ocsp.Good, ThisUpdate: now.Add(-2 * time.Hour), NextUpdate: now.Add(-2 * time.Minute)}), true, "good", "", ""},
		{"unknown", staple("unknown", inter, ocsp.Response{Status: ocsp.Unknown}), false, "unknown", "status is unknown", "the server must staple the response its issuer's OCSP responder gives"},
		{"other-ca", staple("other", other, ocsp.Response{Status: ocsp.Good}), false, "invalid", `its responder ID names "CN=other", which is neither the issuer "CN=intermediate"`, "the server must staple a response signed by its certificate's issuer"},
		{"responder-id-by-key", responder("responder-by-key", now.Add(-time.Hour), now.Add(24*time.Hour), "-resp_key_id"), true, "good", "", ""},
		{"issuer-by-key", opensslStaple("issuer-by-key", "-rsigner", inter.file, "-rkey", interKey, "-CA", inter.file, "-issuer", inter.file, "-cert", cert, "-resp_key_id"), true, "good", "", ""},
		{"responder-id-names-the-issuer", misnamedStaple, false, "invalid",
			`it is not signed by the issuer "CN=intermediate", whom its responder ID names`, "the server must staple a response signed by its certificate's issuer"},
		{"other-issuer-same-serial", opensslStaple("other-issuer", "-rsigner", inter.file, "-rkey", interKey, "-CA", other.file, "-issuer", other.file, "-serial", serial), false, "invalid",
			"is about a certificate of another issuer with the same serial: its CertID's issuerNameHash", "the server must staple the response its issuer's OCSP responder gives for the certificate it sends"},
		{"two-issuers", opensslStaple("two-issuers", "-rsigner", inter.file, "-rkey", interKey, "-CA", bothCAs, "-issuer", inter.file, "-cert", cert, "-issuer", other.file, "-serial", serial), false, "invalid",
			"refuses a response about certificates of more than one issuer", "the server must staple the response its issuer's OCSP responder gives for the certificate it sends"},
		{"sha256-cert-id", opensslStaple("sha256", "-rsigner", inter.file, "-rkey", interKey, "-CA", inter.file, "-issuer", inter.file, "-sha256", "-cert", cert), false, "invalid",
			"by a CertID hashed with SHA-256", "the server must staple the response its issuer's OCSP responder gives for the certificate it sends"},
		{"try-later", tryLater, false, "invalid", "the stapled OCSP response is invalid", "the server must staple a well-formed OCSP response"},
		{"rsa-pss", opensslResponder("rsa-pss", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}, "rsa_padding_mode:pss"), true, "good", "", ""},
		{"rsa-pss-key", opensslResponder("rsa-pss-key", []string{"-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"}), true, "good", "", ""},
		{"ed448", opensslResponder("ed448", []string{"-algorithm", "Ed448"}), true, "good", "", ""},
		{"responder-id-names-the-issuer-in-another-encoding", opensslStaple("renamed", "-rsigner", renamed, "-rkey", interKey, "-resp_no_certs", "-CA", inter.file, "-issuer", inter.file, "-cert", cert), true, "good", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := sServer(t, cert, key, "-status_file", c.staple)
			var ee *exec.ExitError
			out, err := exec.Command("curl", "-sS", "-o", os.DevNull, "--cacert", root.file, "--cert-status", fmt.Sprintf("https://localhost:%d/", port)).CombinedOutput()
			if c.ok && err != nil || !c.ok && (!errors.As(err, &ee) || ee.ExitCode() != 91) {
				t.Fatalf("curl --cert-status: %v, want exit 0 %v or 91:\n%s", err, c.ok, out)
			}
			port = sServer(t, cert, key, "-status_file", c.staple)
			code, stdout, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--cert-status", "--json", "-m", "10s")
			ev := ""
			for line := range strings.Lines(stdout) {
				if strings.Contains(line, `"type":"verify"`) {
					ev = line
				}
			}
			if !strings.Contains(ev, fmt.Sprintf(`"ocsp":%q`, c.status)) {
				t.Errorf("the verify event does not say ocsp %q:\n%s", c.status, ev)
			}
			if c.ok {
				if code != 0 {
					t.Errorf("exit %d, want 0:\n%s", code, stderr)
				}
				return
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != exitVerify || len(lines) != 2 || !strings.HasPrefix(lines[0], "tlstrace: error: ") || !strings.Contains(lines[0], c.cause) ||
				!strings.HasPrefix(lines[1], "tlstrace: hint: "+c.hint) {
				t.Errorf("exit %d, want %d, a cause with %q and a hint starting %q:\n%s", code, exitVerify, c.cause, c.hint, stderr)
			}
			if !strings.Contains(ev, `"fix":"`+c.hint) {
				t.Errorf("the verify event's fix is not the hint:\n%s", ev)
			}
		})
	}
}

// TestCertStatusHTML: the HTML report of get --cert-status says the
// stapled OCSP response's status below the chain's verdict, as it says a
// verify URL verdict's: good for a response curl --cert-status takes
// (openssl s_server -status_file), and the status of one it refuses (out
// of date), the verdict line saying why and the fix.
func TestCertStatusHTML(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	inter := newTestCA(t, dir, "intermediate", root)
	cert, key := inter.leaf(t, dir, "leaf", nil, inter)
	b, _ := os.ReadFile(cert)
	leaf, _ := parseFirstCert(b)
	now := time.Now()
	for _, c := range []struct {
		name       string
		thisUpdate time.Time
		ok         bool
		want       []string
	}{
		{"good", now.Add(-time.Hour), true, []string{`<p class="ok">stapled OCSP response: good</p>`}},
		{"stale", now.Add(-2 * time.Hour), false, []string{
			`<p class="warn">stapled OCSP response: good but stale</p>`,
			`: the stapled OCSP response is not usable: it is out of date`,
			`<span class="fix">fix: the server must staple a fresh response`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			next := now.Add(time.Hour)
			if !c.ok {
				next = now.Add(-time.Hour)
			}
			der, err := ocsp.CreateResponse(inter.cert, inter.cert, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber,
				ThisUpdate: c.thisUpdate, NextUpdate: next}, inter.key)
			if err != nil {
				t.Fatal(err)
			}
			staple := filepath.Join(dir, c.name+".ocsp")
			os.WriteFile(staple, der, 0o644)
			port := sServer(t, cert, key, "-status_file", staple)
			var ee *exec.ExitError
			out, err := exec.Command("curl", "-sS", "-o", os.DevNull, "--cacert", root.file, "--cert-status", fmt.Sprintf("https://localhost:%d/", port)).CombinedOutput()
			if c.ok && err != nil || !c.ok && (!errors.As(err, &ee) || ee.ExitCode() != 91) {
				t.Fatalf("curl --cert-status: %v, want exit 0 %v or 91:\n%s", err, c.ok, out)
			}
			port = sServer(t, cert, key, "-status_file", staple)
			report := filepath.Join(dir, c.name+".html")
			code, _, stderr := runCode("get", fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--cert-status", "--html", report, "-m", "10s")
			if want := map[bool]int{true: 0, false: exitVerify}[c.ok]; code != want {
				t.Errorf("exit %d, want %d:\n%s", code, want, stderr)
			}
			page, err := os.ReadFile(report)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.want {
				if !strings.Contains(string(page), s) {
					t.Errorf("the report lacks %s", s)
				}
			}
		})
	}
}

// TestVerifyAtStaple: verify URL --at judges the stapled OCSP response at
// the time given, as it judges the chain. openssl s_server staples a
// response saying revoked, signed by a delegated responder whose
// certificate is valid around the time given and not now, the response's
// own window holding that time and not now: openssl ocsp -attime takes the
// signature at that time and refuses it now. tlstrace verify --at that
// time fails the chain as revoked; without --at it does not use the
// response (its responder's certificate is not yet valid) and the chain
// is valid.
func TestVerifyAtStaple(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	inter := newTestCA(t, dir, "intermediate", root)
	cert, key := inter.leaf(t, dir, "leaf", nil, inter)
	b, _ := os.ReadFile(cert)
	leaf, _ := parseFirstCert(b)
	now := time.Now()
	at := now.Add(12 * time.Hour)
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rder, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "responder"},
		NotBefore: at.Add(-time.Hour), NotAfter: at.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
	}, inter.cert, k.Public(), inter.key)
	if err != nil {
		t.Fatal(err)
	}
	responder, _ := x509.ParseCertificate(rder)
	der, err := ocsp.CreateResponse(inter.cert, responder, ocsp.Response{Status: ocsp.Revoked, SerialNumber: leaf.SerialNumber,
		ThisUpdate: at.Add(-30 * time.Minute), NextUpdate: at.Add(30 * time.Minute), RevokedAt: at.Add(-time.Hour),
		RevocationReason: ocsp.KeyCompromise, Certificate: responder}, k)
	if err != nil {
		t.Fatal(err)
	}
	staple := filepath.Join(dir, "revoked.ocsp")
	os.WriteFile(staple, der, 0o644)
	leafOnly := filepath.Join(dir, "leaf-only.pem")
	writePEM(t, leafOnly, "CERTIFICATE", leaf.Raw)
	// The oracle: openssl ocsp checks the response's signature at the
	// time given, and refuses it now.
	oracle := func(attime ...string) (string, error) {
		out, err := exec.Command("openssl", append([]string{"ocsp", "-respin", staple, "-issuer", inter.file, "-cert", leafOnly,
			"-CAfile", root.file, "-verify_other", inter.file}, attime...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := oracle("-attime", fmt.Sprint(at.Unix())); err != nil || !strings.Contains(out, "Response verify OK") || !strings.Contains(out, "revoked") {
		t.Fatalf("openssl ocsp -attime: %v, want the response verified and revoked:\n%s", err, out)
	}
	if out, _ := oracle(); strings.Contains(out, "Response verify OK") {
		t.Fatalf("openssl ocsp verifies the response now:\n%s", out)
	}
	port := sServer(t, cert, key, "-status_file", staple)
	code, out, stderr := runCode("verify", "--cacert", root.file, "--at", at.UTC().Format(time.RFC3339), fmt.Sprintf("https://localhost:%d/", port))
	if code != exitVerify || !strings.Contains(out+stderr, "was revoked") {
		t.Errorf("verify --at: exit %d, want %d and the certificate revoked:\n%s%s", code, exitVerify, out, stderr)
	}
	port = sServer(t, cert, key, "-status_file", staple)
	if code, out, stderr := runCode("verify", "--cacert", root.file, fmt.Sprintf("https://localhost:%d/", port)); code != 0 {
		t.Errorf("verify now: exit %d, want 0:\n%s%s", code, out, stderr)
	}
}

// TestCertStatusIssuerNotSent: curl makes the CertID it looks a stapled
// answer up by with the certificate's issuer as it finds it in the chain
// the server sent, never among its trusted roots: a server that sends
// only its leaf, which a root issued directly, fails curl --cert-status
// (exit 91) with a response that the root signed and that carries the
// root's certificate (openssl ocsp -rsigner), though the chain is
// trusted. tlstrace get --cert-status fails it too, saying why; without
// --cert-status the response is read with the root the verifier found,
// and the request succeeds. The same server sending the root after its
// leaf passes both.
func TestCertStatusIssuerNotSent(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	cert, key := root.leaf(t, dir, "leaf", nil)
	b, _ := os.ReadFile(cert)
	leaf, _ := parseFirstCert(b)
	now := time.Now()
	index := filepath.Join(dir, "index.txt")
	os.WriteFile(index, fmt.Appendf(nil, "V\t%s\t\t%X\tunknown\t/CN=localhost\n", now.Add(24*time.Hour).UTC().Format("060102150405Z"), leaf.SerialNumber), 0o644)
	rootKey := filepath.Join(dir, "root.key")
	kder, _ := x509.MarshalPKCS8PrivateKey(root.key)
	writePEM(t, rootKey, "PRIVATE KEY", kder)
	staple := filepath.Join(dir, "good.ocsp")
	if b, err := exec.Command("openssl", "ocsp", "-index", index, "-rsigner", root.file, "-rkey", rootKey, "-CA", root.file,
		"-issuer", root.file, "-cert", cert, "-respout", staple, "-ndays", "1").CombinedOutput(); err != nil {
		t.Fatalf("openssl ocsp: %v\n%s", err, b)
	}
	// withRoot is the leaf with the root after it (the -chain.pem file
	// sServer passes with -cert_chain).
	withRoot := filepath.Join(dir, "with-root.pem")
	os.WriteFile(withRoot, b, 0o644)
	rb, _ := os.ReadFile(root.file)
	os.WriteFile(chainOf(withRoot), rb, 0o644)

	for _, c := range []struct {
		name string
		cert string
		ok   bool
	}{
		{"leaf-only", cert, false},
		{"leaf-and-root", withRoot, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			port := sServer(t, c.cert, key, "-status_file", staple)
			var ee *exec.ExitError
			out, err := exec.Command("curl", "-sS", "-o", os.DevNull, "--cacert", root.file, "--cert-status", fmt.Sprintf("https://localhost:%d/", port)).CombinedOutput()
			if c.ok && err != nil || !c.ok && (!errors.As(err, &ee) || ee.ExitCode() != 91) {
				t.Fatalf("curl --cert-status: %v, want exit 0 %v or 91:\n%s", err, c.ok, out)
			}
			port = sServer(t, c.cert, key, "-status_file", staple)
			code, stdout, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--cert-status", "--json", "-m", "10s")
			if c.ok {
				if code != 0 {
					t.Errorf("get --cert-status: exit %d, want 0:\n%s", code, stderr)
				}
			} else {
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if code != exitVerify || len(lines) != 2 || !strings.Contains(lines[0], `the server did not send the certificate of the issuer "CN=root"`) ||
					!strings.HasPrefix(lines[1], `tlstrace: hint: the server must send the certificate of its issuer "CN=root" after its own`) {
					t.Errorf("get --cert-status: exit %d, want %d with the issuer not sent:\n%s", code, exitVerify, stderr)
				}
				if !strings.Contains(stdout, `"ocsp":"not checked: the issuer was not sent"`) {
					t.Errorf("the verify event does not say the issuer was not sent:\n%s", stdout)
				}
			}
			// Without --cert-status, the response is read with the
			// root the verifier found.
			port = sServer(t, c.cert, key, "-status_file", staple)
			if code, stdout, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", root.file, "--json", "-m", "10s"); code != 0 || !strings.Contains(stdout, `"ocsp":"good"`) {
				t.Errorf("get: exit %d, want 0 and the response good:\n%s%s", code, stdout, stderr)
			}
		})
	}
}

// TestVerifyURLStaple: verify URL shows the stapled OCSP response as get
// --cert-status judges it (the verdict's ocsp, and why it is not good),
// failing the chain only for a response that says revoked at the time
// judged: a good one; a stale one, one signed by another CA, one about
// another certificate, which curl --cert-status refuses (exit 91) and
// which leave the chain valid; one saying revoked, which fails the chain
// now, and not at a time before the revocation (--at), when the
// certificate was good.
func TestVerifyURLStaple(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "curl")
	dir := t.TempDir()
	root := newTestCA(t, dir, "root", nil)
	inter := newTestCA(t, dir, "intermediate", root)
	other := newTestCA(t, dir, "other", nil)
	cert, key := inter.leaf(t, dir, "leaf", nil, inter)
	b, _ := os.ReadFile(cert)
	leaf, _ := parseFirstCert(b)
	now := time.Now()
	staple := func(name string, signer *testCA, tmpl ocsp.Response) string {
		t.Helper()
		if tmpl.SerialNumber == nil {
			tmpl.SerialNumber = leaf.SerialNumber
		}
		if tmpl.ThisUpdate.IsZero() {
			tmpl.ThisUpdate, tmpl.NextUpdate = now.Add(-time.Hour), now.Add(time.Hour)
		}
		der, err := ocsp.CreateResponse(inter.cert, signer.cert, tmpl, signer.key)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, name+".ocsp")
		os.WriteFile(file, der, 0o644)
		return file
	}
	revoked := staple("revoked", inter, ocsp.Response{Status: ocsp.Revoked, RevokedAt: now.Add(-10 * time.Minute), RevocationReason: ocsp.KeyCompromise})
	before := now.Add(-30 * time.Minute).UTC().Format(time.RFC3339)
	for _, c := range []struct {
		name   string
		staple string
		at     string
		curlOK bool   // curl --cert-status accepts it (checked when at is "")
		code   int    // verify's exit code
		ocsp   string // the verdict's
		cause  string // the verdict's ocsp_cause, or its cause when the chain fails
	}{
		{"good", staple("good", inter, ocsp.Response{Status: ocsp.Good}), "", true, 0, "good", ""},
		{"stale", staple("stale", inter, ocsp.Response{Status: ocsp.Good, ThisUpdate: now.Add(-2 * time.Hour), NextUpdate: now.Add(-time.Hour)}), "", false, 0,
			"good but stale", "the stapled OCSP response is not usable: it is out of date"},
		{"not-yet-valid", staple("future", inter, ocsp.Response{Status: ocsp.Good, ThisUpdate: now.Add(2 * time.Hour), NextUpdate: now.Add(3 * time.Hour)}), "", false, 0,
			"good but not yet valid", "it is dated in the future"},
		{"other-ca", staple("other", other, ocsp.Response{Status: ocsp.Good}), "", false, 0, "invalid", `its responder ID names "CN=other"`},
		{"other-certificate", staple("other-serial", inter, ocsp.Response{Status: ocsp.Good, SerialNumber: big.NewInt(7)}), "", false, 0, "invalid", "it answers about serial 07, another certificate"},
		{"unknown", staple("unknown", inter, ocsp.Response{Status: ocsp.Unknown}), "", false, 0, "unknown", "status is unknown"},
		{"revoked", revoked, "", false, exitVerify, "revoked", "was revoked on"},
		{"revoked-after-at", revoked, before, false, 0, "revoked after the time", "after the time the chain is judged at (" + before + "): it was not revoked then"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.at == "" {
				port := sServer(t, cert, key, "-status_file", c.staple)
				var ee *exec.ExitError
				out, err := exec.Command("curl", "-sS", "-o", os.DevNull, "--cacert", root.file, "--cert-status", fmt.Sprintf("https://localhost:%d/", port)).CombinedOutput()
				if c.curlOK && err != nil || !c.curlOK && (!errors.As(err, &ee) || ee.ExitCode() != 91) {
					t.Fatalf("curl --cert-status: %v, want exit 0 %v or 91:\n%s", err, c.curlOK, out)
				}
			}
			args := []string{"verify", "--cacert", root.file}
			if c.at != "" {
				args = append(args, "--at", c.at)
			}
			port := sServer(t, cert, key, "-status_file", c.staple)
			code, stdout, stderr := runCode(append(args, "--json", fmt.Sprintf("https://localhost:%d/", port))...)
			var verdict struct {
				Valid bool   `json:"valid"`
				Cause string `json:"cause"`
				OCSP  string `json:"ocsp"`
				Note  string `json:"ocsp_cause"`
				Fix   string `json:"ocsp_fix"`
			}
			for _, ev := range parseEvents(t, stdout) {
				if ev.Type == "verdict" {
					json.Unmarshal(ev.Fields, &verdict)
				}
			}
			if code != c.code || verdict.OCSP != c.ocsp || verdict.Valid != (c.code == 0) {
				t.Errorf("exit %d, verdict valid %v, ocsp %q; want exit %d, ocsp %q:\n%s%s", code, verdict.Valid, verdict.OCSP, c.code, c.ocsp, stdout, stderr)
			}
			switch {
			case c.cause == "":
				if verdict.Note != "" {
					t.Errorf("ocsp_cause %q, want none", verdict.Note)
				}
			case c.code == 0 && (!strings.Contains(verdict.Note, c.cause) || verdict.Fix == ""):
				t.Errorf("ocsp_cause %q (fix %q), want one with %q and a fix", verdict.Note, verdict.Fix, c.cause)
			case c.code != 0 && !strings.Contains(verdict.Cause, c.cause):
				t.Errorf("cause %q, want one with %q", verdict.Cause, c.cause)
			}
			// The text says it as well.
			port = sServer(t, cert, key, "-status_file", c.staple)
			_, out, _ := runCode(append(args, fmt.Sprintf("https://localhost:%d/", port))...)
			if !strings.Contains(out, "OCSP "+c.ocsp) || c.code == 0 && c.cause != "" && !strings.Contains(out, c.cause) {
				t.Errorf("the text does not say OCSP %s with %q:\n%s", c.ocsp, c.cause, out)
			}
		})
	}
}
