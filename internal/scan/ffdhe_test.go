package scan

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestScanFFDHE scans servers offering DHE suites in TLS 1.2 with the
// RFC 7919 groups offered in supported_groups: gnutls-serv picks one of
// them, openssl s_server sends the group of its -dhparam file, which is
// a published one (RFC 3526's group 14) or one made for the test; the
// version probes' dh_group says the same of the group. encrypt_then_mac
// is read with the CBC suites: OpenSSL has it unless -no_etm.
func TestScanFFDHE(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "gnutls-serv")
	dir := t.TempDir()
	param := func(name string, args ...string) string {
		file := filepath.Join(dir, name+".pem")
		if out, err := exec.Command("openssl", append([]string{"genpkey", "-genparam", "-algorithm", "DH", "-out", file}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("openssl genpkey: %v\n%s", err, out)
		}
		return file
	}
	modp := param("modp2048", "-pkeyopt", "group:modp_2048")
	own := param("own", "-pkeyopt", "dh_paramgen_prime_len:1024")
	dhe := []string{"-tls1_2", "-cipher", "kDHE:@SECLEVEL=0"}
	for _, c := range []struct {
		name  string
		addr  func(t *testing.T) string
		group uint16
		known string
		bits  int
		etm   bool
	}{
		{"gnutls", func(t *testing.T) string {
			return gnutlsServer(t, true, "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+DHE-RSA")
		}, 256, "ffdhe2048", 2048, true},
		{"openssl-modp2048", func(t *testing.T) string { return sServer(t, true, append(dhe, "-dhparam", modp)...) }, 0, "RFC 3526 group 14 (MODP 2048 bits)", 2048, true},
		{"openssl-own-no-etm", func(t *testing.T) string { return sServer(t, true, append(dhe, "-dhparam", own, "-no_etm")...) }, 0, "", 1024, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := scanOf(t, c.addr(t))
			f := r.FFDHE
			if f == nil || f.Err != "" || f.Group != c.group || f.Known != c.known || f.Bits != c.bits || wire.CipherSuiteKeyExchange(f.Suite) != wire.KexDHE {
				t.Errorf("dh_ffdhe %+v, want group %#x, %q, %d bits", f, c.group, c.known, c.bits)
			}
			if i := slices.IndexFunc(r.DH, func(g DHGroup) bool { return g.Version == wire.VersionTLS12 }); i < 0 || r.DH[i].Known != c.known || r.DH[i].Bits != c.bits {
				t.Errorf("dh_group %+v, want %q", r.DH, c.known)
			}
			i := slices.IndexFunc(r.Features, func(f Feature) bool { return f.Name == "encrypt_then_mac" })
			if i < 0 || !r.Features[i].Known || r.Features[i].Supported != c.etm || !strings.Contains(r.Features[i].Detail, "CBC") {
				t.Errorf("encrypt_then_mac %+v, want %v", r.Features, c.etm)
			}
		})
	}
}

// TestDHCommonPrime checks testssl.sh's rule for published primes: up
// to 1024 bits high, up to 800 critical, whatever dh-small would say of
// the size alone.
func TestDHCommonPrime(t *testing.T) {
	for _, c := range []struct {
		bits  int
		known string
		want  Severity
	}{
		{1024, "", Medium},
		{1024, "RFC 2409 group 2 (MODP 1024 bits)", High},
		{768, "RFC 2409 group 1 (MODP 768 bits)", Critical},
		{768, "", High},
		{1536, "RFC 3526 group 5 (MODP 1536 bits)", Medium},
	} {
		r := &Result{DH: []DHGroup{{Version: wire.VersionTLS12, Suite: 0x0033, Bits: c.bits, Known: c.known}}}
		f := dhFindings(r)
		if len(f) != 1 || f[0].Severity != c.want || (c.known != "") != strings.Contains(f[0].Cause, "published") {
			t.Errorf("%d bits %q: %+v, want %s", c.bits, c.known, f, c.want)
		}
	}
}
