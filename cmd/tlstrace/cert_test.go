package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestSeed001 runs seed document 001's three openssl commands (an Ed448
// CA, a CSR, a certificate signed with -copy_extensions copyall), then
// shows both certificates and verifies the server's with each signature
// shown as verified.
func TestSeed001(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	osl(t, dir, "req", "-x509", "-newkey", "ed448", "-days", "365", "-nodes", "-keyout", "ca_key.pem", "-out", "ca_cert.pem", "-subj", "/CN=Seed Test CA")
	osl(t, dir, "req", "-newkey", "ed448", "-nodes", "-keyout", "server_key.pem", "-out", "server_req.pem", "-subj", "/CN=localhost",
		"-addext", "subjectAltName=DNS:localhost")
	osl(t, dir, "x509", "-req", "-in", "server_req.pem", "-CA", "ca_cert.pem", "-CAkey", "ca_key.pem", "-CAcreateserial",
		"-out", "server_cert.pem", "-days", "365", "-copy_extensions", "copyall")
	ca, server := filepath.Join(dir, "ca_cert.pem"), filepath.Join(dir, "server_cert.pem")
	code, out, stderr := runCode("cert", "show", ca, server)
	if code != 0 {
		t.Fatalf("cert show: exit %d: %s", code, stderr)
	}
	for _, w := range []string{`signature_algorithm: "Ed448"`, `public_key: "Ed448"`, `subject: "CN=Seed Test CA"`, `"DNS:localhost"`, "sha256//"} {
		if !strings.Contains(out, w) {
			t.Errorf("cert show lacks %s:\n%s", w, out)
		}
	}
	code, out, stderr = runCode("verify", "--cacert", ca, "--name", "localhost", server)
	if code != 0 {
		t.Fatalf("verify: exit %d: %s%s", code, out, stderr)
	}
	if n := strings.Count(out, "✓ signature           Ed448 signature verified"); n != 2 {
		t.Errorf("%d verified Ed448 signatures shown, want 2:\n%s", n, out)
	}
	// The other name fails, with the cause.
	if code, _, stderr = runCode("verify", "--cacert", ca, "--name", "example.org", server); code != exitVerify || !strings.Contains(stderr, "example.org") {
		t.Errorf("wrong name: exit %d: %s", code, stderr)
	}
}

// TestCertMake makes a CA and a server certificate of every key type and
// checks them with openssl verify; those crypto/tls can serve are served by
// openssl s_server to openssl s_client -verify_return_error.
func TestCertMake(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	for _, kt := range []string{"rsa2048", "rsa3072", "rsa4096", "p256", "p384", "p521", "ed25519", "ed448"} {
		t.Run(kt, func(t *testing.T) {
			ca, caKey := filepath.Join(dir, "ca-"+kt+".pem"), filepath.Join(dir, "ca-"+kt+".key")
			leaf, leafKey := filepath.Join(dir, "leaf-"+kt+".pem"), filepath.Join(dir, "leaf-"+kt+".key")
			if code, _, stderr := runCode("cert", "ca", "--key-type", kt, "--cn", "CA "+kt, "-o", ca, "--key-out", caKey); code != 0 {
				t.Fatalf("cert ca: %s", stderr)
			}
			if code, _, stderr := runCode("cert", "new", "--key-type", kt, "--cn", "localhost", "--san", "localhost", "--ca", ca, "--ca-key", caKey, "-o", leaf, "--key-out", leafKey); code != 0 {
				t.Fatalf("cert new: %s", stderr)
			}
			for _, k := range []string{caKey, leafKey} {
				if fi, err := os.Stat(k); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v, want 0600", k, fi.Mode())
				}
			}
			osl(t, dir, "verify", "-CAfile", ca, "-verify_hostname", "localhost", "-purpose", "sslserver", leaf)
			osl(t, dir, "pkey", "-in", leafKey, "-noout")
			if code, out, stderr := runCode("verify", "--cacert", ca, "--name", "localhost", leaf); code != 0 {
				t.Errorf("tlstrace verify: %s%s", out, stderr)
			}
			if kt == "ed448" {
				return // crypto/tls and most TLS stacks do not use Ed448 certificates
			}
			port := sServer(t, leaf, leafKey)
			cmd := exec.Command("openssl", "s_client", "-connect", fmt.Sprintf("127.0.0.1:%d", port), "-servername", "localhost",
				"-verify_return_error", "-verify_hostname", "localhost", "-CAfile", ca)
			cmd.Stdin = strings.NewReader("GET / HTTP/1.0\r\n\r\n")
			b, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(b), "Verify return code: 0 (ok)") {
				t.Errorf("s_client: %v\n%s", err, b)
			}
		})
	}
	// Never overwrite without --force.
	ca := filepath.Join(dir, "ca-p256.pem")
	if code, _, stderr := runCode("cert", "ca", "--cn", "again", "-o", ca, "--key-out", filepath.Join(dir, "new.key")); code != exitInput || !strings.Contains(stderr, "--force") {
		t.Errorf("overwrote without --force: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runCode("cert", "ca", "--cn", "again", "-o", ca, "--key-out", filepath.Join(dir, "new2.key"), "--force"); code != 0 {
		t.Errorf("--force: exit %d: %s", code, stderr)
	}
}

// TestCertCSRSign makes a request with tlstrace and with openssl, and
// issues certificates for both, copying the requested names.
func TestCertCSRSign(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	ca, caKey := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key")
	runOK(t, "cert", "ca", "--key-type", "ed448", "--cn", "Signing CA", "-o", ca, "--key-out", caKey)
	for _, kt := range []string{"p256", "ed448"} {
		csr := filepath.Join(dir, kt+".csr")
		runOK(t, "cert", "csr", "--key-type", kt, "--cn", "svc.test", "--san", "svc.test", "--san", "IP:127.0.0.1", "-o", csr, "--key-out", filepath.Join(dir, kt+".key"))
		osl(t, dir, "req", "-in", csr, "-verify", "-noout")
		cert := filepath.Join(dir, kt+".pem")
		runOK(t, "cert", "sign", csr, "--ca", ca, "--ca-key", caKey, "--profile", "server", "-o", cert)
		osl(t, dir, "verify", "-CAfile", ca, "-verify_hostname", "svc.test", "-verify_ip", "127.0.0.1", cert)
	}
	// A request made by openssl, with an extension tlstrace must copy.
	osl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "o.key", "-out", "o.csr",
		"-subj", "/CN=openssl.test", "-addext", "subjectAltName=DNS:openssl.test,DNS:www.openssl.test", "-addext", "extendedKeyUsage=serverAuth")
	runOK(t, "cert", "sign", filepath.Join(dir, "o.csr"), "--ca", ca, "--ca-key", caKey, "-o", filepath.Join(dir, "o.pem"))
	out := osl(t, dir, "x509", "-in", "o.pem", "-noout", "-ext", "subjectAltName,extendedKeyUsage")
	if !strings.Contains(out, "DNS:www.openssl.test") || !strings.Contains(out, "TLS Web Server Authentication") {
		t.Errorf("requested extensions not copied:\n%s", out)
	}
}

// TestCertSignRequestNotCA: a request made by openssl that asks for
// CA:TRUE, keyCertSign and name constraints gets a leaf from cert sign
// without --profile (openssl then refuses a chain through it as a CA),
// with a warning that says what was left out and how to issue a CA on
// purpose; with --profile ca it is a CA openssl verifies below it.
func TestCertSignRequestNotCA(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	runOK(t, "cert", "ca", "--cn", "Signing CA", "-o", p("ca.pem"), "--key-out", p("ca.key"))
	osl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "r.key", "-out", "r.csr",
		"-subj", "/CN=sub.test", "-addext", "basicConstraints=critical,CA:TRUE,pathlen:3",
		"-addext", "keyUsage=critical,digitalSignature,keyCertSign,cRLSign", "-addext", "nameConstraints=critical,permitted;DNS:sub.test",
		"-addext", "subjectAltName=DNS:sub.test")
	// below signs a leaf for www.sub.test with the signed request's key, as
	// its holder could, and asks openssl whether the chain verifies.
	below := func(signed string) error {
		os.WriteFile(p("leaf.ext"), []byte("subjectAltName=DNS:www.sub.test\n"), 0o644)
		osl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=www.sub.test")
		osl(t, dir, "x509", "-req", "-in", "leaf.csr", "-CA", signed, "-CAkey", "r.key", "-days", "1", "-extfile", "leaf.ext", "-out", "leaf.pem")
		return exec.Command("openssl", "verify", "-CAfile", p("ca.pem"), "-untrusted", p(signed), p("leaf.pem")).Run()
	}

	code, _, stderr := runCode("cert", "sign", p("r.csr"), "--ca", p("ca.pem"), "--ca-key", p("ca.key"), "-o", p("signed.pem"))
	if code != 0 {
		t.Fatalf("cert sign: exit %d: %s", code, stderr)
	}
	out := osl(t, dir, "x509", "-in", "signed.pem", "-noout", "-ext", "basicConstraints,keyUsage,nameConstraints,subjectAltName")
	if !strings.Contains(out, "CA:FALSE") || strings.Contains(out, "Certificate Sign") || strings.Contains(out, "Permitted") || !strings.Contains(out, "DNS:sub.test") {
		t.Errorf("signed without --profile:\n%s\nwant CA:FALSE, no keyCertSign nor name constraints, the request's names", out)
	}
	for _, want := range []string{"CA:TRUE, pathlen:3", "keyCertSign, cRLSign", "nameConstraints", "--profile ca"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not say %q", stderr, want)
		}
	}
	if err := below("signed.pem"); err == nil {
		t.Error("openssl verified a chain through the certificate signed without --profile: the request made itself a CA")
	}

	code, _, stderr = runCode("cert", "sign", p("r.csr"), "--ca", p("ca.pem"), "--ca-key", p("ca.key"), "--profile", "ca", "--path-len", "0", "-o", p("sub.pem"))
	if code != 0 {
		t.Fatalf("cert sign --profile ca: exit %d: %s", code, stderr)
	}
	out = osl(t, dir, "x509", "-in", "sub.pem", "-noout", "-ext", "basicConstraints,nameConstraints")
	if !strings.Contains(out, "CA:TRUE, pathlen:0") || !strings.Contains(out, "DNS:sub.test") {
		t.Errorf("signed with --profile ca --path-len 0:\n%s\nwant the CA's path length and the request's name constraints", out)
	}
	if err := below("sub.pem"); err != nil {
		t.Errorf("openssl does not verify a chain through the CA signed with --profile ca: %v", err)
	}
	if code, _, _ := runCode("cert", "sign", p("r.csr"), "--ca", p("ca.pem"), "--path-len", "0", "-o", p("x.pem")); code != exitUsage {
		t.Errorf("--path-len without --profile ca: exit %d, want %d", code, exitUsage)
	}
}

// TestCertNamesAsOpenSSL: cert show (text and JSON) and verify name a
// subject's attributes as openssl x509 -nameopt RFC2253,-esc_msb does
// (emailAddress was an OID with hex, serialNumber SERIALNUMBER, and the
// attributes crypto/x509 has no field for came last).
func TestCertNamesAsOpenSSL(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	osl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-days", "1",
		"-subj", "/jurisdictionC=DE/jurisdictionST=Bayern/jurisdictionL=M\xc3\xbcnchen/businessCategory=Private Organization/serialNumber=HRB 1"+
			"/C=DE/ST=Bayern/L=M\xc3\xbcnchen/street=Hauptstr. 1/postalCode=80331/O=Beispiel, GmbH/organizationIdentifier=VATDE-123456789"+
			"/DC=example/DC=com/UID=jdoe/title=CTO/GN=Jo/SN=Doe/CN=www.example.test/emailAddress=pki@example.test",
		"-utf8", "-addext", "subjectAltName=DNS:www.example.test")
	want := strings.TrimSpace(strings.TrimPrefix(osl(t, dir, "x509", "-in", "c.pem", "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb"), "subject="))
	if !strings.Contains(want, "emailAddress=pki@example.test") || !strings.Contains(want, "L=München") {
		t.Fatalf("openssl made %q", want)
	}
	file := filepath.Join(dir, "c.pem")
	var show struct {
		Fields struct{ Subject, Issuer string }
	}
	if err := json.Unmarshal([]byte(runOK(t, "cert", "show", "--json", file)), &show); err != nil {
		t.Fatal(err)
	}
	if show.Fields.Subject != want || show.Fields.Issuer != want {
		t.Errorf("cert show --json: subject %q, issuer %q\nwant %q", show.Fields.Subject, show.Fields.Issuer, want)
	}
	if text := runOK(t, "cert", "show", file); !strings.Contains(text, want) {
		t.Errorf("cert show does not say %q:\n%s", want, text)
	}
	for line := range strings.Lines(runOK(t, "verify", "--json", "--cacert", file, file)) {
		var link struct {
			Type   string
			Fields struct{ Subject string }
		}
		if err := json.Unmarshal([]byte(line), &link); err != nil {
			t.Fatal(err)
		}
		if link.Type == "link" && link.Fields.Subject != want {
			t.Errorf("verify --json: link subject %q\nwant %q", link.Fields.Subject, want)
		}
	}
}

// TestCertNegativeSerial: a certificate with a negative serial number,
// which openssl makes, shows and verifies, is shown with its sign and
// verified with a warning (crypto/x509 refused to read it).
func TestCertNegativeSerial(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	osl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
		"-subj", "/CN=Serial Root", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	osl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "l.key", "-out", "l.csr", "-subj", "/CN=neg.test")
	os.WriteFile(p("l.ext"), []byte("subjectAltName=DNS:neg.test\n"), 0o644)
	osl(t, dir, "x509", "-req", "-in", "l.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "-1234", "-days", "1", "-extfile", "l.ext", "-out", "neg.pem")
	if out := osl(t, dir, "x509", "-in", "neg.pem", "-noout", "-text"); !strings.Contains(out, "-1234 (-0x4d2)") {
		t.Fatalf("openssl made:\n%s", out)
	}
	osl(t, dir, "verify", "-CAfile", "ca.pem", "neg.pem")
	var show struct{ Fields struct{ Serial string } }
	if err := json.Unmarshal([]byte(runOK(t, "cert", "show", "--json", p("neg.pem"))), &show); err != nil {
		t.Fatal(err)
	}
	if show.Fields.Serial != "(Negative)04:D2" {
		t.Errorf("serial %q, want (Negative)04:D2", show.Fields.Serial)
	}
	code, _, stderr := runCode("verify", "--cacert", p("ca.pem"), "--name", "neg.test", p("neg.pem"))
	if code != 0 || !strings.Contains(stderr, "negative serial number (-1234)") {
		t.Errorf("verify: exit %d, stderr %q; want valid with a warning", code, stderr)
	}
}

// TestCertShowEveryName: cert show lists every subjectAltName openssl
// writes, in its order and in openssl's configuration syntax, the names
// crypto/x509 does not read (otherName, dirName, RID) included, and the
// policy constraints.
func TestCertShowEveryName(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	sans := []string{"DNS:a.test", "IP:::1", "email:a@b.test", "URI:https://u.test/x", "otherName:1.2.3.4;UTF8:hello", "dirName:CN=dir", "RID:1.2.3", "IP:192.0.2.1"}
	conf := "subjectAltName=" + strings.Join(sans, ",") + "\npolicyConstraints=requireExplicitPolicy:1,inhibitPolicyMapping:2\ninhibitAnyPolicy=3\n[dir]\nCN=dir\n"
	conf = strings.Replace(conf, "dirName:CN=dir", "dirName:dir", 1)
	os.WriteFile(filepath.Join(dir, "x.ext"), []byte(conf), 0o644)
	osl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem", "-out", "k.csr.pem", "-days", "1", "-subj", "/CN=names")
	osl(t, dir, "x509", "-in", "k.csr.pem", "-signkey", "k.pem", "-days", "1", "-extfile", "x.ext", "-out", "c.pem")
	if out := osl(t, dir, "x509", "-in", "c.pem", "-noout", "-ext", "subjectAltName"); !strings.Contains(out, "Registered ID:1.2.3") {
		t.Fatalf("openssl made:\n%s", out)
	}
	var show struct {
		Fields struct {
			SubjectAltNames   []string `json:"subject_alt_names"`
			PolicyConstraints string   `json:"policy_constraints"`
		}
	}
	if err := json.Unmarshal([]byte(runOK(t, "cert", "show", "--json", filepath.Join(dir, "c.pem"))), &show); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(show.Fields.SubjectAltNames, sans) {
		t.Errorf("subject_alt_names %q\nwant %q", show.Fields.SubjectAltNames, sans)
	}
	if want := "requireExplicitPolicy:1, inhibitPolicyMapping:2, inhibitAnyPolicy:3"; show.Fields.PolicyConstraints != want {
		t.Errorf("policy_constraints %q, want %q", show.Fields.PolicyConstraints, want)
	}
}

// TestCertShowSelfSigned: a certificate named as its issuer but signed by
// another key (a CA of the same name) is not self-signed, as openssl
// verify -check_ss_sig finds when it is its own trust anchor; a root is.
func TestCertShowSelfSigned(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	osl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
		"-subj", "/CN=Same Name", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	osl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "l.key", "-out", "l.csr", "-subj", "/CN=Same Name")
	osl(t, dir, "x509", "-req", "-in", "l.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "1", "-out", "same.pem")
	for _, c := range []struct {
		file string
		self bool
	}{{"ca.pem", true}, {"same.pem", false}} {
		err := exec.Command("openssl", "verify", "-check_ss_sig", "-CAfile", filepath.Join(dir, c.file), filepath.Join(dir, c.file)).Run()
		if (err == nil) != c.self {
			t.Fatalf("openssl verify of %s by itself: %v; the test expects self-signed %v", c.file, err, c.self)
		}
		var show struct {
			Fields struct {
				SelfSigned bool `json:"self_signed"`
			}
		}
		if err := json.Unmarshal([]byte(runOK(t, "cert", "show", "--json", filepath.Join(dir, c.file))), &show); err != nil {
			t.Fatal(err)
		}
		if show.Fields.SelfSigned != c.self {
			t.Errorf("%s: self_signed %v, want %v", c.file, show.Fields.SelfSigned, c.self)
		}
	}
}

// TestCertShowRequest: cert show shows a request as openssl req -text
// does (it said the file held no certificate): its subject, key and the
// extensions it asks for, so that the issuer can read what it would sign.
func TestCertShowRequest(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	osl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "r.key", "-out", "r.csr",
		"-subj", "/CN=req.test/emailAddress=pki@req.test", "-addext", "basicConstraints=critical,CA:TRUE,pathlen:3",
		"-addext", "keyUsage=critical,digitalSignature,keyCertSign", "-addext", "extendedKeyUsage=serverAuth,codeSigning",
		"-addext", "subjectAltName=DNS:req.test,IP:192.0.2.7")
	text := osl(t, dir, "req", "-in", "r.csr", "-noout", "-text", "-nameopt", "RFC2253,-esc_msb")
	for _, want := range []string{"Subject: emailAddress=pki@req.test,CN=req.test", "CA:TRUE, pathlen:3", "Digital Signature, Certificate Sign", "DNS:req.test, IP Address:192.0.2.7"} {
		if !strings.Contains(text, want) {
			t.Fatalf("openssl req -text does not say %q:\n%s", want, text)
		}
	}
	var show struct {
		Type   string
		Fields struct {
			Subject          string
			PublicKey        string   `json:"public_key"`
			BasicConstraints string   `json:"basic_constraints"`
			KeyUsage         string   `json:"key_usage"`
			ExtKeyUsage      string   `json:"extended_key_usage"`
			SANs             []string `json:"subject_alt_names"`
		}
	}
	if err := json.Unmarshal([]byte(runOK(t, "cert", "show", "--json", filepath.Join(dir, "r.csr"))), &show); err != nil {
		t.Fatal(err)
	}
	f := show.Fields
	if show.Type != "certificate_request" || f.Subject != "emailAddress=pki@req.test,CN=req.test" || f.PublicKey != "ECDSA P-256" ||
		f.BasicConstraints != "CA:TRUE, pathlen:3" || f.KeyUsage != "digitalSignature, keyCertSign" || f.ExtKeyUsage != "serverAuth, codeSigning" ||
		!slices.Equal(f.SANs, []string{"DNS:req.test", "IP:192.0.2.7"}) {
		t.Errorf("cert show: %+v", show)
	}
	// An Ed448 request, which crypto/x509 cannot check.
	runOK(t, "cert", "csr", "--key-type", "ed448", "--cn", "ed.test", "-o", filepath.Join(dir, "ed.csr"), "--key-out", filepath.Join(dir, "ed.key"))
	if out := runOK(t, "cert", "show", filepath.Join(dir, "ed.csr")); !strings.Contains(out, `public_key: "Ed448"`) || !strings.Contains(out, `signature_algorithm: "Ed448"`) {
		t.Errorf("cert show of an Ed448 request:\n%s", out)
	}
}

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	code, out, stderr := runCode(args...)
	if code != 0 {
		t.Fatalf("tlstrace %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return out
}

// TestPKCS12 reads PKCS#12 files made by openssl (default and -legacy)
// and has openssl read one tlstrace writes.
func TestPKCS12(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	ca, caKey := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key")
	runOK(t, "cert", "ca", "--cn", "P12 CA", "-o", ca, "--key-out", caKey)
	leaf, leafKey := filepath.Join(dir, "leaf.pem"), filepath.Join(dir, "leaf.key")
	p12 := filepath.Join(dir, "leaf.p12")
	runOK(t, "cert", "new", "--key-type", "rsa2048", "--cn", "p12.test", "--san", "p12.test", "--ca", ca, "--ca-key", caKey,
		"-o", leaf, "--key-out", leafKey, "--p12", p12, "--pass", "s3cret")
	if fi, _ := os.Stat(p12); fi.Mode().Perm() != 0o600 {
		t.Errorf("PKCS#12 mode %v, want 0600", fi.Mode())
	}
	out := osl(t, dir, "pkcs12", "-in", p12, "-passin", "pass:s3cret", "-nodes", "-info")
	if !strings.Contains(out, "subject=CN = p12.test") || !strings.Contains(out, "PRIVATE KEY") {
		t.Errorf("openssl cannot read the PKCS#12 tlstrace wrote:\n%s", out)
	}
	for _, legacy := range []bool{false, true} {
		name := filepath.Join(dir, fmt.Sprintf("openssl-%v.p12", legacy))
		args := []string{"pkcs12", "-export", "-in", leaf, "-inkey", leafKey, "-certfile", ca, "-out", name, "-passout", "pass:pw"}
		if legacy {
			args = append(args, "-legacy")
		}
		osl(t, dir, args...)
		out := runOK(t, "cert", "show", name, "--pass", "pw")
		if !strings.Contains(out, `subject: "CN=p12.test"`) || !strings.Contains(out, `subject: "CN=P12 CA"`) || !strings.Contains(out, `format: "PKCS#12"`) {
			t.Errorf("legacy=%v: cert show:\n%s", legacy, out)
		}
	}
	// A PKCS#7 bundle.
	osl(t, dir, "crl2pkcs7", "-nocrl", "-certfile", leaf, "-certfile", ca, "-out", "bundle.p7b")
	if out := runOK(t, "cert", "show", filepath.Join(dir, "bundle.p7b")); strings.Count(out, "X509 Certificate") != 2 {
		t.Errorf("PKCS#7 bundle: %s", out)
	}
}

// TestVerifyLiveAndPathLen: `tlstrace verify https://…` against openssl
// s_server, JSON output, `cert key`, and a --path-len 1 root whose
// intermediates may not issue further CAs.
func TestVerifyLiveAndPathLen(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	runOK(t, "cert", "key", "--key-type", "p384", "-o", p("root.key"))
	runOK(t, "cert", "ca", "--key", p("root.key"), "--cn", "Root PL1", "--path-len", "1", "-o", p("root.pem"))
	runOK(t, "cert", "ca", "--cn", "Inter", "--ca", p("root.pem"), "--ca-key", p("root.key"), "-o", p("inter.pem"), "--key-out", p("inter.key"))
	runOK(t, "cert", "ca", "--cn", "Inter2", "--ca", p("inter.pem"), "--ca-key", p("inter.key"), "-o", p("inter2.pem"), "--key-out", p("inter2.key"))
	runOK(t, "cert", "new", "--cn", "localhost", "--san", "localhost", "--ca", p("inter.pem"), "--ca-key", p("inter.key"), "-o", p("ok.pem"), "--key-out", p("ok.key"))
	runOK(t, "cert", "new", "--cn", "localhost", "--san", "localhost", "--ca", p("inter2.pem"), "--ca-key", p("inter2.key"), "-o", p("deep.pem"), "--key-out", p("deep.key"))

	// Too deep: both openssl and tlstrace refuse.
	code, _, stderr := runCode("verify", "--cacert", p("root.pem"), "--untrusted", p("inter.pem"), "--untrusted", p("inter2.pem"), "--name", "localhost", p("deep.pem"))
	if code != exitVerify || !strings.Contains(stderr, "path length") {
		t.Errorf("path length: exit %d: %s", code, stderr)
	}
	if b, err := exec.Command("openssl", "verify", "-CAfile", p("root.pem"), "-untrusted", p("inter.pem"), "-untrusted", p("inter2.pem"), p("deep.pem")).CombinedOutput(); err == nil {
		t.Errorf("openssl verify accepted the too-deep chain: %s", b)
	}

	// A live chain: the server sends its certificate and the intermediate.
	port := sServer(t, p("ok.pem"), p("ok.key"), "-cert_chain", p("inter.pem"))
	code, out, stderr := runCode("verify", "--cacert", p("root.pem"), "--json", fmt.Sprintf("https://localhost:%d/", port))
	if code != 0 {
		t.Fatalf("verify URL: exit %d: %s", code, stderr)
	}
	for _, w := range []string{`"type":"link"`, `"role":"intermediate"`, `"trusted_root":true`, `"type":"verdict"`, `"valid":true`, `"name":"localhost"`} {
		if !strings.Contains(out, w) {
			t.Errorf("JSON lacks %s", w)
		}
	}
}

// TestCertSignRequestBadName: a request made by openssl whose
// subjectAltName holds what is not a DNS name, or an e-mail address that
// is not one, is refused by cert sign (exit 3), naming the name, as
// --san refuses it; --san, which replaces the request's names, signs it.
func TestCertSignRequestBadName(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	runOK(t, "cert", "ca", "--cn", "Signing CA", "-o", p("ca.pem"), "--key-out", p("ca.key"))
	for i, san := range []string{"DNS:a..b.test", "DNS:-x.test", "DNS:x_y z.test", "DNS:*.*.test", "email:alice"} {
		csr := p(fmt.Sprintf("r%d.csr", i))
		osl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("r.key"), "-out", csr,
			"-subj", "/CN=r.test", "-addext", "subjectAltName="+san)
		code, _, stderr := runCode("cert", "sign", csr, "--ca", p("ca.pem"), "--ca-key", p("ca.key"), "-o", p("r.pem"))
		_, name, _ := strings.Cut(san, ":")
		if code != exitInput || !strings.Contains(stderr, strconv.Quote(name)) || !strings.Contains(stderr, "--san") {
			t.Errorf("%s: exit %d, want %d and the name with a hint to use --san:\n%s", san, code, exitInput, stderr)
		}
		if _, err := os.Stat(p("r.pem")); err == nil {
			t.Fatalf("%s: a certificate was written", san)
		}
		runOK(t, "cert", "sign", csr, "--ca", p("ca.pem"), "--ca-key", p("ca.key"), "--san", "r.test", "-o", p("r.pem"))
		os.Remove(p("r.pem"))
	}
}

// TestCertNameWarningsAsOpenSSL: what cert new's warnings say of a DNS
// name is what openssl verify does with it: a partial wildcard over one
// label matches nothing (and the advice is no wildcard over one label); a
// partial wildcard over two matches, but no host whose first label is an
// A-label; a "*" within an A-label matches no host; an IP address written
// as a DNS name never matches the address. tlstrace verify (crypto/x509)
// matches none of them.
func TestCertNameWarningsAsOpenSSL(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	runOK(t, "cert", "ca", "--cn", "Names CA", "-o", p("ca.pem"), "--key-out", p("ca.key"))
	type host struct {
		name    string
		openssl bool // openssl verify matches it
	}
	for i, c := range []struct {
		san      string
		hosts    []host
		say, not []string
	}{
		{"f*.com", []host{{"foo.com", false}, {"f.com", false}},
			[]string{"partial wildcard over a single label", "none matches a host with it", "a wildcard under a domain of two labels or more (*.example.com)"}, []string{"use *.com", "OpenSSL matches it"}},
		{"x*.example.test", []host{{"xa.example.test", true}, {"xn--caf-dma.example.test", false}},
			[]string{"OpenSSL matches it (though never a host whose first label is an A-label", "use *.example.test"}, nil},
		{"xn--*.example.test", []host{{"xn--caf-dma.example.test", false}, {"xn--a.example.test", false}, {"foo.example.test", false}},
			[]string{"as a plain character", "none matches a host with it", "use *.example.test"}, []string{"OpenSSL matches it"}},
		{"DNS:127.0.0.1", []host{{"127.0.0.1", false}},
			[]string{`the DNS name "127.0.0.1" is an IP address`, "never matches", "give IP:127.0.0.1 (--san IP:127.0.0.1)"}, nil},
	} {
		t.Run(c.san, func(t *testing.T) {
			cert := p(fmt.Sprintf("c%d.pem", i))
			code, _, stderr := runCode("cert", "new", "--cn", "names", "--san", c.san, "--ca", p("ca.pem"), "--ca-key", p("ca.key"),
				"-o", cert, "--key-out", p(fmt.Sprintf("c%d.key", i)))
			if code != 0 {
				t.Fatalf("cert new: exit %d: %s", code, stderr)
			}
			for _, want := range c.say {
				if !strings.Contains(stderr, want) {
					t.Errorf("the warning does not say %q:\n%s", want, stderr)
				}
			}
			for _, not := range c.not {
				if strings.Contains(stderr, not) {
					t.Errorf("the warning says %q:\n%s", not, stderr)
				}
			}
			for _, h := range c.hosts {
				check := "-verify_hostname"
				if h.name == "127.0.0.1" {
					check = "-verify_ip"
				}
				err := exec.Command("openssl", "verify", "-CAfile", p("ca.pem"), check, h.name, cert).Run()
				if (err == nil) != h.openssl {
					t.Errorf("openssl verify %s %s: matched=%v, want %v", check, h.name, err == nil, h.openssl)
				}
				if code, _, _ := runCode("verify", "--cacert", p("ca.pem"), "--name", h.name, cert); code != exitVerify {
					t.Errorf("tlstrace verify --name %s: exit %d, want %d", h.name, code, exitVerify)
				}
			}
		})
	}
}

// TestCertSignUnknownCritical: a request's critical extension no verifier
// knows is copied into the certificate, as openssl's copy_extensions =
// copy does, with a warning that the certificate is refused for it;
// openssl verify and tlstrace verify both refuse it.
func TestCertSignUnknownCritical(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	runOK(t, "cert", "ca", "--cn", "Signing CA", "-o", p("ca.pem"), "--key-out", p("ca.key"))
	osl(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "r.key", "-out", "r.csr",
		"-subj", "/CN=crit.test", "-addext", "1.2.3.4.5=critical,ASN1:NULL", "-addext", "subjectAltName=DNS:crit.test")
	code, _, stderr := runCode("cert", "sign", p("r.csr"), "--ca", p("ca.pem"), "--ca-key", p("ca.key"), "-o", p("signed.pem"))
	if code != 0 {
		t.Fatalf("cert sign: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "warning: the certificate carries the request's critical extension 1.2.3.4.5") || !strings.Contains(stderr, "refuses the certificate") {
		t.Errorf("no warning of the critical extension:\n%s", stderr)
	}
	if out := osl(t, dir, "x509", "-in", "signed.pem", "-noout", "-text"); !strings.Contains(out, "1.2.3.4.5: critical") {
		t.Errorf("openssl x509 -text shows no critical 1.2.3.4.5:\n%s", out)
	}
	if out, err := exec.Command("openssl", "verify", "-CAfile", p("ca.pem"), p("signed.pem")).CombinedOutput(); err == nil || !strings.Contains(string(out), "unhandled critical extension") {
		t.Errorf("openssl verify: %v: %s; want unhandled critical extension", err, out)
	}
	if code, _, _ := runCode("verify", "--cacert", p("ca.pem"), "--name", "crit.test", p("signed.pem")); code != exitVerify {
		t.Errorf("tlstrace verify: exit %d, want %d", code, exitVerify)
	}
	// A request without it gets no such warning.
	osl(t, dir, "req", "-new", "-key", "r.key", "-out", "plain.csr", "-subj", "/CN=crit.test", "-addext", "subjectAltName=DNS:crit.test")
	if _, _, stderr := runCode("cert", "sign", p("plain.csr"), "--ca", p("ca.pem"), "--ca-key", p("ca.key"), "-o", p("plain.pem")); strings.Contains(stderr, "critical") {
		t.Errorf("a warning for a request without a critical extension:\n%s", stderr)
	}
}

// TestCertNoDays: --days 0 (or less), which would end the validity now,
// is a usage error that writes nothing, as openssl req refuses -days 0;
// an end given as a time may be in the past.
func TestCertNoDays(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("o.key"),
		"-out", p("o.pem"), "-subj", "/CN=o", "-days", "0").CombinedOutput(); err == nil {
		t.Errorf("openssl req -days 0 made a certificate: %s", out)
	}
	for _, days := range []string{"0", "-1"} {
		for _, cmd := range [][]string{
			{"cert", "new", "--cn", "zero", "--san", "zero.test", "-o", p("z.pem"), "--key-out", p("z.key")},
			{"cert", "ca", "--cn", "zero", "-o", p("z.pem"), "--key-out", p("z.key")},
		} {
			code, _, stderr := runCode(append(cmd, "--days", days)...)
			if code != exitUsage || !strings.Contains(stderr, fmt.Sprintf("--days %q", days)) || !strings.Contains(stderr, "--not-after") {
				t.Errorf("%s --days %s: exit %d, want %d with --days and --not-after said:\n%s", cmd[1], days, code, exitUsage, stderr)
			}
			if _, err := os.Stat(p("z.pem")); err == nil {
				t.Fatalf("%s --days %s wrote the certificate", cmd[1], days)
			}
		}
	}
	runOK(t, "cert", "new", "--cn", "old", "--san", "old.test", "--not-before", "2020-01-01T00:00:00Z", "--not-after", "2020-01-02T00:00:00Z", "--days", "0",
		"-o", p("old.pem"), "--key-out", p("old.key"))
	if out := osl(t, dir, "x509", "-in", "old.pem", "-noout", "-enddate"); !strings.Contains(out, "Jan  2 00:00:00 2020 GMT") {
		t.Errorf("an end given as a time: %s", out)
	}
}
