package suites

import (
	"crypto/tls"
	"errors"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestOwnSuiteNames compares the OpenSSL names of the suites only the own
// engine implements with what openssl itself calls them, and checks that
// crypto/tls implements none of them.
func TestOwnSuiteNames(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	out, err := exec.Command("openssl", "ciphers", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0").Output()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]uint16{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		hi, lo, ok := strings.Cut(f[0], ",")
		h, err1 := strconv.ParseUint(strings.TrimPrefix(hi, "0x"), 16, 8)
		l, err2 := strconv.ParseUint(strings.TrimPrefix(lo, "0x"), 16, 8)
		if ok && err1 == nil && err2 == nil {
			ids[f[2]] = uint16(h<<8 | l)
		}
	}
	for name, id := range ownSuites {
		if got, ok := ids[name]; !ok || got != id {
			t.Errorf("%s: openssl has 0x%04X (listed %v), the table 0x%04X", name, got, ok, id)
		}
		if Go(id) {
			t.Errorf("%s: crypto/tls implements it", name)
		}
		if wire.CipherSuiteName(id) == "" {
			t.Errorf("%s: wire has no IANA name for 0x%04X", name, id)
		}
	}
	for name, id := range opensslSuites {
		if got, ok := ids[name]; ok && got != id {
			t.Errorf("%s: openssl has 0x%04X, the table 0x%04X", name, got, id)
		}
	}
}

// TestParse reads suites and groups by OpenSSL and IANA name, in any
// case, and checks that a name neither stack implements is a
// setting.Error for the setting that named it.
func TestParse(t *testing.T) {
	got, err := Parse("ECDHE-RSA-AES128-GCM-SHA256:edh-rsa-aes256-sha256, TLS_RSA_WITH_AES_128_CCM tls_ecdhe_ecdsa_with_aes_256_gcm_sha384")
	if want := []uint16{0xc02f, 0x006b, 0xc09c, 0xc02c}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Parse: %#04x, %v; want %#04x", got, err, want)
	}
	if !Go(0xc02f) || Own(0xc02f) || Go(0x006b) || !Own(0x006b) {
		t.Error("Go and Own disagree on ECDHE-RSA-AES128-GCM-SHA256 or DHE-RSA-AES256-SHA256")
	}
	if got, err := ParseTLS13("TLS_AES_128_CCM_8_SHA256:tls_aes_256_gcm_sha384"); err != nil || !slices.Equal(got, []uint16{0x1305, 0x1302}) {
		t.Errorf("TLS 1.3 suites: %v, %v", got, err)
	}
	if got, err := ParseGroups("x25519:P-256:ffdhe3072:SecP256r1MLKEM768"); err != nil || !slices.Equal(got, []tls.CurveID{tls.X25519, tls.CurveP256, 257, tls.SecP256r1MLKEM768}) {
		t.Errorf("groups: %v, %v", got, err)
	}
	if !FFDHE(256) || !FFDHE(260) || FFDHE(255) || FFDHE(261) {
		t.Error("FFDHE does not hold to 256-260")
	}
	for _, c := range []struct {
		name, value string
		err         error
	}{
		{"Ciphers", "NULL-MD5", func() error { _, err := Parse("AES128-SHA:NULL-MD5"); return err }()},
		{"Ciphers", "", func() error { _, err := Parse(" : "); return err }()},
		{"TLS13Ciphers", "TLS_AES_128_CCM_8", func() error { _, err := ParseTLS13("TLS_AES_128_CCM_8"); return err }()},
		{"Curves", "sect163k1", func() error { _, err := ParseGroups("X25519:sect163k1"); return err }()},
	} {
		var se *setting.Error
		if !errors.As(c.err, &se) || se.Name != c.name || se.Value != c.value {
			t.Errorf("%s %q: error %v", c.name, c.value, c.err)
		}
	}
}
