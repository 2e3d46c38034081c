package chain

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestOpenSSLStrictRules: chains that crypto/x509 accepts and OpenSSL
// (and so curl) refuses, or that tlstrace once explained wrongly, each
// made by openssl and judged as openssl verify judges it, with the
// purpose curl verifies with (-purpose sslserver, or sslclient):
//   - anyExtendedKeyUsage alone does not stand for serverAuth or
//     clientAuth, on the leaf, an intermediate or the trust anchor
//     (v3_purp.c, xku_reject); with serverAuth beside it, it does no harm;
//   - a leaf's nsCertType must include the SSL server (or client) type;
//     a CA's is not read when it has basicConstraints;
//   - a client's keyUsage may be digitalSignature or keyAgreement;
//   - the emailAddress attributes of subjects are held to the e-mail
//     constraints, and a host in an e-mail constraint stands for that
//     host only;
//   - directoryName constraints, critical or not, hold the subjects of
//     the certificates below (self-issued intermediates aside) and the
//     directoryName entries of their subjectAltNames, compared as
//     OpenSSL compares names (case and spaces aside, RDN by RDN);
//   - a name inside an excluded subtree is said to be inside it.
func TestOpenSSLStrictRules(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	const (
		ca     = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
		server = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:a.example.com\n"
	)
	type cert struct{ subj, ext string }
	for _, c := range []struct {
		name string
		// chain is the root first, the leaf last, each issued by the one
		// before it (the root by itself).
		chain  []cert
		client bool
		// check is the link check that fails, cause what the cause
		// says; "" for a chain openssl verify accepts.
		check, cause string
		// notCause is what the cause must not say.
		notCause string
	}{
		{name: "anyEKU leaf", chain: []cert{{"/CN=Root", ca}, {"/CN=leaf", strings.Replace(server, "serverAuth", "anyExtendedKeyUsage", 1)}},
			check: "extended_key_usage", cause: `the extended key usage of "CN=leaf" lists anyExtendedKeyUsage, not serverAuth, which a server's certificate needs: crypto/x509 takes anyExtendedKeyUsage for any use, but OpenSSL, curl and Firefox refuse it`},
		{name: "anyEKU and serverAuth leaf", chain: []cert{{"/CN=Root", ca}, {"/CN=leaf", strings.Replace(server, "serverAuth", "anyExtendedKeyUsage,serverAuth", 1)}}},
		{name: "anyEKU intermediate", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "extendedKeyUsage=anyExtendedKeyUsage\n"}, {"/CN=leaf", server}},
			check: "extended_key_usage", cause: `the extended key usage of the CA "CN=Int" lists anyExtendedKeyUsage, not serverAuth: crypto/x509 takes anyExtendedKeyUsage for any use, but OpenSSL, curl and Firefox refuse it`},
		{name: "anyEKU root", chain: []cert{{"/CN=Root", ca + "extendedKeyUsage=anyExtendedKeyUsage\n"}, {"/CN=leaf", server}},
			check: "extended_key_usage", cause: `the extended key usage of the CA "CN=Root" lists anyExtendedKeyUsage, not serverAuth: crypto/x509 takes anyExtendedKeyUsage for any use, but OpenSSL and curl refuse it, the trust anchor's included`},
		{name: "anyEKU client", client: true, chain: []cert{{"/CN=Root", ca}, {"/CN=client", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=anyExtendedKeyUsage\n"}},
			check: "extended_key_usage", cause: `lists anyExtendedKeyUsage, not clientAuth, which a client's certificate needs`},
		{name: "nsCertType client on a server", chain: []cert{{"/CN=Root", ca}, {"/CN=leaf", server + "nsCertType=client\n"}},
			check: "netscape_cert_type", cause: `the Netscape certificate type (nsCertType) of "CN=leaf" lists client, not server, which a server's certificate needs; OpenSSL and curl refuse it`},
		{name: "nsCertType server on a server", chain: []cert{{"/CN=Root", ca}, {"/CN=leaf", server + "nsCertType=server,email\n"}}},
		{name: "nsCertType server on a client", client: true, chain: []cert{{"/CN=Root", ca}, {"/CN=client", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nnsCertType=server\n"}},
			check: "netscape_cert_type", cause: `lists server, not client, which a client's certificate needs`},
		{name: "nsCertType objCA on CAs", chain: []cert{{"/CN=Root", ca + "nsCertType=objCA\n"}, {"/CN=Int", ca + "nsCertType=emailCA\n"}, {"/CN=leaf", server}}},
		{name: "keyAgreement client", client: true, chain: []cert{{"/CN=Root", ca}, {"/CN=client", "basicConstraints=CA:FALSE\nkeyUsage=critical,keyAgreement\nextendedKeyUsage=clientAuth\n"}}},
		{name: "keyEncipherment client", client: true, chain: []cert{{"/CN=Root", ca}, {"/CN=client", "basicConstraints=CA:FALSE\nkeyUsage=critical,keyEncipherment\nextendedKeyUsage=clientAuth\n"}},
			check: "key_usage", cause: `the key usage of "CN=client" allows only keyEncipherment, and a client's key signs its CertificateVerify (digitalSignature) or agrees on the key exchange (keyAgreement)`},
		{name: "subject email outside", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=critical,permitted;email:example.com\n"}, {"/CN=leaf/emailAddress=x@evil.com", server}},
			check: "name_constraints", cause: `permitted email example.com: the leaf's emailAddress x@evil.com (in the subject) falls outside them`},
		{name: "subject email on a subdomain", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=permitted;email:example.com\n"}, {"/CN=leaf/emailAddress=x@sub.example.com", server}},
			check: "name_constraints", cause: `emailAddress x@sub.example.com (in the subject) falls outside them`},
		{name: "subject email within", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=permitted;email:.example.com,permitted;email:example.com\n"}, {"/CN=leaf/emailAddress=x@Sub.Example.com", server + "subjectAltName=DNS:a.example.com,email:y@example.com\n"}}},
		{name: "SAN email on a subdomain", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=permitted;email:example.com\n"}, {"/CN=leaf", server + "subjectAltName=DNS:a.example.com,email:x@sub.example.com\n"}},
			check: "name_constraints", cause: `the leaf's x@sub.example.com falls outside them`},
		{name: "subject email excluded", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=excluded;email:.evil.com\n"}, {"/CN=leaf/emailAddress=x@a.evil.com", server}},
			check: "name_constraints", cause: `excluded email .evil.com: the leaf's emailAddress x@a.evil.com (in the subject) falls inside an excluded subtree`},
		{name: "dirName outside", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=permitted;dirName:dn,permitted;DNS:example.com\n[dn]\nO=Good\n"}, {"/O=Evil/CN=leaf", server}},
			check: "name_constraints", cause: `permitted DNS example.com; permitted dirName O=Good: the leaf's subject "CN=leaf,O=Evil" falls outside them`},
		{name: "dirName critical outside", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=critical,permitted;dirName:dn\n[dn]\nO=Good\n"}, {"/O=Evil/CN=leaf", server}},
			check: "name_constraints", cause: `permitted dirName O=Good: the leaf's subject "CN=leaf,O=Evil" falls outside them`, notCause: "not understood"},
		{name: "dirName critical within", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=critical,permitted;dirName:dn,excluded;dirName:ex\n[dn]\nO=Good\n[ex]\nO=Good\nOU=Bad\n"}, {"/O=good/OU=  Fine   Unit/CN=leaf", server}}},
		{name: "dirName excluded", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=critical,permitted;dirName:dn,excluded;dirName:ex\n[dn]\nO=Good\n[ex]\nO=Good\nOU=Bad\n"}, {"/O=Good/OU=bad/CN=leaf", server}},
			check: "name_constraints", cause: `the leaf's subject "CN=leaf,OU=bad,O=Good" falls inside an excluded subtree`},
		{name: "dirName over an intermediate", chain: []cert{{"/CN=Root", ca}, {"/O=Good/CN=Int", ca + "nameConstraints=permitted;dirName:dn\n[dn]\nO=Good\n"}, {"/CN=Sub", ca}, {"/O=Good/CN=leaf", server}},
			check: "name_constraints", cause: `permitted dirName O=Good: "CN=Sub"'s subject falls outside them`},
		{name: "dirName over a self-issued intermediate", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=permitted;dirName:dn\n[dn]\nO=Good\n"}, {"/CN=Int", ca}, {"/O=Good/CN=leaf", server}}},
		{name: "dirName in the subjectAltName", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=permitted;dirName:dn\n[dn]\nO=Good\n"}, {"/O=Good/CN=leaf", server + "subjectAltName=DNS:a.example.com,dirName:san\n[san]\nO=Evil\n"}},
			check: "name_constraints", cause: `the leaf's dirName:O=Evil falls outside them`},
		{name: "dirName against a multi-valued RDN", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=permitted;dirName:dn\n[dn]\nO=Good\n"}, {"/O=Good+OU=x/CN=leaf", server}},
			check: "name_constraints", cause: `falls outside them`},
		{name: "dirName of the trust anchor", chain: []cert{{"/CN=Root", ca + "nameConstraints=permitted;dirName:dn\n[dn]\nO=Good\n"}, {"/O=Evil/CN=leaf", server}},
			check: "name_constraints", cause: `the name constraints of "CN=Root" rule out the certificate: permitted dirName O=Good`},
		{name: "empty subject under dirName", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=permitted;dirName:dn\n[dn]\nO=Good\n"}, {"/", strings.Replace(server, "subjectAltName=", "subjectAltName=critical,", 1)}}},
		{name: "DNS excluded", chain: []cert{{"/CN=Root", ca}, {"/CN=Int", ca + "nameConstraints=excluded;DNS:bad.example.com\n"}, {"/CN=leaf", server + "subjectAltName=DNS:a.example.com,DNS:x.bad.example.com\n"}},
			check: "name_constraints", cause: `excluded DNS bad.example.com: the leaf's x.bad.example.com falls inside an excluded subtree`},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			run, must := opensslIn(t, dir)
			var files []string
			for i, k := range c.chain {
				f := fmt.Sprintf("c%d", i)
				if err := os.WriteFile(filepath.Join(dir, f+".ext"), []byte(k.ext), 0o644); err != nil {
					t.Fatal(err)
				}
				// Each its own key: one with its issuer's name is
				// self-issued, not self-signed.
				key := f + ".key"
				must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-subj", k.subj, "-out", f+".csr")
				args := []string{"x509", "-req", "-in", f + ".csr", "-set_serial", fmt.Sprint(i + 1), "-days", "30", "-extfile", f + ".ext", "-out", f + ".pem"}
				if i == 0 {
					args = append(args, "-signkey", key)
				} else {
					args = append(args, "-CA", files[i-1]+".pem", "-CAkey", files[i-1]+".key")
				}
				must(args...)
				files = append(files, f)
			}
			var inter []*x509.Certificate
			var untrusted []string
			for _, f := range files[1 : len(files)-1] {
				inter = append(inter, certsIn(t, dir, f+".pem")...)
				untrusted = append(untrusted, "-untrusted", f+".pem")
			}
			leafFile := files[len(files)-1] + ".pem"
			o := Options{Roots: certsIn(t, dir, "c0.pem"), Intermediates: inter, At: time.Now(), Purpose: x509.ExtKeyUsageServerAuth}
			args := append([]string{"verify", "-CAfile", "c0.pem", "-purpose", "sslserver"}, untrusted...)
			if c.client {
				o.Purpose, args[4] = x509.ExtKeyUsageClientAuth, "sslclient"
			} else {
				o.Name = "a.example.com"
				args = append(args, "-verify_hostname", o.Name)
			}
			out, err := run(append(args, leafFile)...)
			if (err == nil) != (c.check == "") {
				t.Fatalf("openssl %s: %v\n%s\nthe test expects valid %v", strings.Join(args, " "), err, out, c.check == "")
			}
			r := Verify(certsIn(t, dir, leafFile)[0], o)
			if c.check == "" {
				if !r.Valid {
					t.Fatalf("not valid: %s (openssl verify accepts it)", r.Cause)
				}
				for _, l := range r.Links {
					for _, k := range l.Checks {
						if !k.OK {
							t.Errorf("%s: failed %s check under a valid verdict: %s", l.Cert.Subject, k.Name, k.Detail)
						}
					}
				}
				return
			}
			wantFail(t, c.name, r, c.check, c.cause)
			if c.notCause != "" && strings.Contains(r.Cause, c.notCause) {
				t.Errorf("cause %q says %q", r.Cause, c.notCause)
			}
		})
	}
}
