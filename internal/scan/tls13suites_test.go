package scan

import (
	"crypto/rand"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// tls13Responder answers every ClientHello that offers TLS 1.3 with a
// ServerHello choosing the first of suites it offers (x25519 with a key
// share, a HelloRetryRequest for the first group offered without one),
// then closes; it refuses other hellos, and those that offer none of
// suites, with a handshake_failure alert. It stands for the servers of
// suites no peer here speaks: the ShangMi ones (RFC 8998) and the
// integrity-only ones (RFC 9150).
func tls13Responder(t *testing.T, suites []uint16) string {
	return tlstest.Listen(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		ch := readClientHello(c)
		if ch == nil {
			return
		}
		i := slices.IndexFunc(suites, func(s uint16) bool { return slices.Contains(ch.CipherSuites, s) })
		if !slices.Contains(ch.SupportedVersions, wire.VersionTLS13) || i < 0 || len(ch.Groups) == 0 {
			_, _ = c.Write(mustRecord(t, wire.ContentAlert, wire.MarshalAlert(2, 40)))
			return
		}
		sh := &wire.ServerHello{Version: wire.VersionTLS12, Random: make([]byte, 32), SessionID: ch.SessionID, CipherSuite: suites[i],
			Extensions: []wire.Extension{wire.SelectedVersionExtension(wire.VersionTLS13)}}
		if slices.Contains(ch.KeyShareGroups, 29) {
			_, _ = rand.Read(sh.Random)
			pub := make([]byte, 32)
			_, _ = rand.Read(pub)
			ks, err := wire.ServerKeyShareExtension(wire.KeyShare{Group: 29, Data: pub})
			if err != nil {
				t.Error(err)
				return
			}
			sh.Extensions = append(sh.Extensions, ks)
		} else {
			sh.Random, sh.HelloRetry = nil, true
			sh.Extensions = append(sh.Extensions, wire.HelloRetryKeyShareExtension(ch.Groups[0]))
		}
		b, err := sh.Marshal()
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = c.Write(mustRecord(t, wire.ContentHandshake, b))
	})
}

// TestScanTLS13Suites scans a TLS 1.3 server of the ShangMi and
// integrity-only suites: they are offered in TLS 1.3 hellos and found
// there, the integrity-only ones as suites without encryption (0 bits,
// null-cipher), the ShangMi ones as 128-bit AEADs.
func TestScanTLS13Suites(t *testing.T) {
	suites := []uint16{0x00C6, 0xC0B4, 0x00C7, 0xC0B5}
	r := scanOf(t, tls13Responder(t, suites))
	if got := r.Version(wire.VersionTLS13).Suites; !slices.Equal(got, suites) {
		t.Errorf("TLS 1.3 suites %04X, want %04X", got, suites)
	}
	for s, want := range map[uint16]int{0x00C6: 128, 0x00C7: 128, 0xC0B4: 0, 0xC0B5: 0} {
		if b := Bits(s); b != want {
			t.Errorf("%s: %d bits, want %d", suiteName(s), b, want)
		}
	}
	i := slices.IndexFunc(r.Findings, func(f Finding) bool { return f.Rule == "null-cipher" })
	if i < 0 {
		t.Fatalf("findings %v lack null-cipher", r.Findings)
	}
	if f := r.Findings[i]; !strings.Contains(f.Cause, "TLS_SHA256_SHA256") || !strings.Contains(f.Cause, "TLS_SHA384_SHA384") || strings.Contains(f.Cause, "SM4") {
		t.Errorf("null-cipher cause %q, want the two integrity-only suites alone", f.Cause)
	}
	if slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Rule == "cbc-only" }) {
		t.Errorf("findings %v: cbc-only, though the ShangMi suites are AEADs", r.Findings)
	}
}

// TestTLS13ConfigEngineSuites: the full TLS 1.3 handshakes offer only the
// suites found that the engine has (an unknown one would make every
// handshake fail), and none is made when it has none of them.
func TestTLS13ConfigEngineSuites(t *testing.T) {
	r := &Result{Versions: []VersionResult{{Version: wire.VersionTLS13, Outcome: Accepted, Suites: []uint16{0xC0B4, 0x00C6, 0x1302, 0x1301}}}}
	if got := tls13Config(r, "").TLS13Suites; !slices.Equal(got, []uint16{0x1302, 0x1301}) {
		t.Errorf("engine's TLS 1.3 suites %04X, want [1302 1301]", got)
	}
	r.Versions[0].Suites = []uint16{0xC0B4}
	if got := tls13Config(r, "").TLS13Suites; len(got) != 0 {
		t.Errorf("engine's TLS 1.3 suites %04X, want none", got)
	}
}
