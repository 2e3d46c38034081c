package chain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestLeafExplanationsAgainstOpenSSL: leaves that openssl verify refuses
// for a reason the explanation must name exactly:
//   - a DNS name that reads as an IP address does not match that address
//     (openssl verify -verify_ip): the cause says the address is listed as
//     a DNS name, and the fix gives the IP entry;
//   - a leaf whose keyUsage allows only keyCertSign (openssl verify
//     -purpose sslserver: unsuitable certificate purpose) is refused,
//     though crypto/x509 ignores a leaf's key usage, so that no failed
//     check stands under a valid verdict;
//   - a leaf whose subjectAltName holds only an e-mail address (or a
//     URI) is said to have no DNS name or IP address there, not no
//     subjectAltName, and the fix is to add the name to it, not to
//     give it one.
//
// And a leaf whose subjectAltName holds only an e-mail address and whose
// common name is the host, which openssl verify accepts through its
// common-name fallback: the fix adds the name to the subjectAltName too.
func TestLeafExplanationsAgainstOpenSSL(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	run, must := opensslIn(t, dir)
	must("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "root.key", "-out", "root.pem", "-subj", "/CN=Root", "-days", "30",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
	for _, c := range []struct {
		name, ext, verify string
		check, cause, fix string
		opensslArgs       []string
	}{
		{"ip-as-dns", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:10.0.0.1\n", "10.0.0.1", "host_name",
			"10.0.0.1 is an IP address, and the certificate lists it as a DNS name (DNS:10.0.0.1)", "subjectAltName=IP:10.0.0.1",
			[]string{"-verify_ip", "10.0.0.1"}},
		{"keycertsign-leaf", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyCertSign\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:leaf.example.test\n", "leaf.example.test", "key_usage",
			`the key usage of "CN=leaf" allows only keyCertSign`, "reissue the certificate with keyUsage digitalSignature",
			[]string{"-purpose", "sslserver"}},
		{"email-only-san", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=email:a@example.com\n", "a.example.com", "host_name",
			"it has no DNS name or IP address among its subject alternative names (only email:a@example.com), and its common name",
			"add DNS:a.example.com to the certificate's subjectAltName, which lists only email:a@example.com, and reissue it (openssl x509 -req -extfile FILE with a line subjectAltName=email:a@example.com,DNS:a.example.com)",
			[]string{"-verify_hostname", "a.example.com"}},
		{"uri-only-san", "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=URI:https://a.example.com/\n", "a.example.com", "host_name",
			"it has no DNS name or IP address among its subject alternative names (only URI:https://a.example.com/), and its common name",
			"add DNS:a.example.com to the certificate's subjectAltName, which lists only URI:https://a.example.com/, and reissue it (openssl x509 -req -extfile FILE with a line subjectAltName=URI:https://a.example.com/,DNS:a.example.com)",
			[]string{"-verify_hostname", "a.example.com"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.WriteFile(filepath.Join(dir, c.name+".ext"), []byte(c.ext), 0o644)
			must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", c.name+".key", "-subj", "/CN=leaf", "-out", c.name+".csr")
			must("x509", "-req", "-in", c.name+".csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "7", "-days", "30", "-extfile", c.name+".ext", "-out", c.name+".pem")
			if out, err := run(append(append([]string{"verify", "-CAfile", "root.pem"}, c.opensslArgs...), c.name+".pem")...); err == nil {
				t.Fatalf("openssl verify accepts it:\n%s", out)
			}
			r := Verify(certsIn(t, dir, c.name+".pem")[0], Options{Roots: certsIn(t, dir, "root.pem"), Name: c.verify, At: time.Now()})
			wantFail(t, c.name, r, c.check, c.cause)
			if !strings.Contains(r.Fix, c.fix) {
				t.Errorf("fix %q lacks %q", r.Fix, c.fix)
			}
			// The line the fix gives, used, makes a certificate openssl
			// accepts for the name.
			if _, line, ok := strings.Cut(r.Fix, "-extfile FILE with a line "); ok && strings.HasPrefix(line, "subjectAltName=") {
				line = strings.TrimSuffix(line, ")")
				os.WriteFile(filepath.Join(dir, c.name+"-fixed.ext"), []byte("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"+line+"\n"), 0o644)
				must("x509", "-req", "-in", c.name+".csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "9", "-days", "30", "-extfile", c.name+"-fixed.ext", "-out", c.name+"-fixed.pem")
				if out, err := run(append(append([]string{"verify", "-CAfile", "root.pem"}, c.opensslArgs...), c.name+"-fixed.pem")...); err != nil {
					t.Errorf("openssl verify refuses the certificate the fix makes:\n%s", out)
				}
			}
		})
	}
	t.Run("email-only-san-cn-matches", func(t *testing.T) {
		os.WriteFile(filepath.Join(dir, "cn.ext"), []byte("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=email:a@example.com\n"), 0o644)
		must("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "cn.key", "-subj", "/CN=a.example.com", "-out", "cn.csr")
		must("x509", "-req", "-in", "cn.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "8", "-days", "30", "-extfile", "cn.ext", "-out", "cn.pem")
		if out, err := run("verify", "-CAfile", "root.pem", "-verify_hostname", "a.example.com", "cn.pem"); err != nil {
			t.Fatalf("openssl verify refuses it:\n%s", out)
		}
		r := Verify(certsIn(t, dir, "cn.pem")[0], Options{Roots: certsIn(t, dir, "root.pem"), Name: "a.example.com", At: time.Now()})
		wantFail(t, "cn", r, "host_name", "no DNS name or IP address among its subject alternative names (only email:a@example.com), only the common name")
		if want := "add DNS:a.example.com to the certificate's subjectAltName, which lists only email:a@example.com, and reissue it"; !strings.HasPrefix(r.Fix, want) {
			t.Errorf("fix %q does not start %q", r.Fix, want)
		}
	})
}
