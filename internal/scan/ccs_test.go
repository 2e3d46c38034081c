package scan

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/lab"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// labServer serves the lab's fault name on a port of 127.0.0.1 the
// system chooses until the test ends, and returns it.
func labServer(t *testing.T, name string) *lab.Server {
	t.Helper()
	l, err := lab.New()
	if err != nil {
		t.Fatal(err)
	}
	servers, err := l.Listen(0, []string{name})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { servers[0].Serve(ctx, nil) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return servers[0]
}

// nmapCCS runs nmap's ssl-ccs-injection script on addr and reports
// whether it finds the server vulnerable.
func nmapCCS(t *testing.T, addr string) bool {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nmap", "-Pn", "-n", "-p", port, "--script", "ssl-ccs-injection", host).CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "ssl-ccs-injection") && !strings.Contains(string(out), "open") {
		t.Fatalf("nmap did not reach the port:\n%s", out)
	}
	return strings.Contains(string(out), "State: VULNERABLE")
}

// TestScanCCSInjection scans openssl s_server (OpenSSL 3), nginx and
// gnutls-serv, which answer a ChangeCipherSpec sent before the key
// exchange with unexpected_message, and the lab's ccs-injection fault,
// which takes it as OpenSSL before 1.0.1h did: the first three are not
// vulnerable, with the alert seen, the lab is, with a high finding.
// nmap's ssl-ccs-injection, which sends the same two records, is the
// oracle of each verdict. A server that speaks only TLS 1.3 is not
// affected and not probed.
func TestScanCCSInjection(t *testing.T) {
	tlstest.RequirePeer(t, "openssl", "nginx", "gnutls-serv", "nmap")
	ccsLab := labServer(t, "ccs-injection")
	if e := ccsLab.Entry(); e.Expect.Scan != "ccs-injection" || e.Expect.Exit != 0 || !strings.Contains(e.Fault, "CVE-2014-0224") {
		t.Errorf("the lab lists ccs-injection as %+v", e)
	}
	for _, c := range []struct {
		name       string
		addr       func(t *testing.T) string
		vulnerable bool
		detail     string
	}{
		{"openssl", func(t *testing.T) string { return sServer(t, false) }, false, "the server answered with the alert unexpected_message"},
		{"nginx", func(t *testing.T) string { return nginxServer(t, "") }, false, "the server answered with the alert unexpected_message"},
		{"gnutls", func(t *testing.T) string { return gnutlsServer(t, false, "--http") }, false, "the server answered with the alert unexpected_message"},
		{"lab", func(t *testing.T) string { return ccsLab.Host() }, true, "the server sent no alert (nothing for Nms), and to a second one it answered with the alert bad_record_mac"},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr := c.addr(t)
			r := scanOf(t, addr)
			f := r.Feature("ccs_injection")
			if f == nil || !f.Known || f.Supported != c.vulnerable || f.Version != wire.VersionTLS12 || !strings.Contains(waited(f.Detail), c.detail) {
				t.Fatalf("ccs_injection %+v, want known, vulnerable %v, with %q", f, c.vulnerable, c.detail)
			}
			found := false
			for _, fd := range r.Findings {
				if fd.Rule == "ccs-injection" {
					found = fd.Severity == High && strings.HasPrefix(fd.Cause, f.Detail)
				}
			}
			if found != c.vulnerable {
				t.Errorf("ccs-injection finding %v, want %v: %+v", found, c.vulnerable, r.Findings)
			}
			if got := nmapCCS(t, addr); got != c.vulnerable {
				t.Errorf("nmap's ssl-ccs-injection says vulnerable %v, the scan %v", got, c.vulnerable)
			}
		})
	}
	t.Run("tls13-only", func(t *testing.T) {
		r := scanOf(t, goServer(t, &tls.Config{MinVersion: tls.VersionTLS13}))
		f := r.Feature("ccs_injection")
		if f == nil || !f.Known || f.Supported || f.Version != wire.VersionTLS13 || !strings.Contains(f.Detail, "not probed") {
			t.Errorf("ccs_injection %+v, want known, not vulnerable, not probed", f)
		}
	})
}

// waited writes the time a detail says the probe waited (three times
// the hello's, 250 ms at least) as N ms, for a comparison that does not
// depend on the machine's speed.
func waited(detail string) string {
	return regexp.MustCompile(`nothing for [0-9.]+m?s`).ReplaceAllString(detail, "nothing for Nms")
}

// ccsScript serves a TLS 1.2 ServerHello and ServerHelloDone to a
// ClientHello, then gives the client's next records, one at a time, to
// then until it returns false.
func ccsScript(t *testing.T, then func(c net.Conn, typ byte, n int) bool) string {
	return tlstest.Listen(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if readClientHello(c) == nil {
			return
		}
		sh := &wire.ServerHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuite: 0x009c}
		b, err := sh.Marshal()
		if err != nil {
			t.Error(err)
			return
		}
		flight := append(mustRecord(t, wire.ContentHandshake, b), mustRecord(t, wire.ContentHandshake, []byte{byte(wire.TypeServerHelloDone), 0, 0, 0})...)
		if _, err := c.Write(flight); err != nil {
			return
		}
		for n := 1; ; n++ {
			hdr := make([]byte, 5)
			if _, err := io.ReadFull(c, hdr); err != nil {
				return
			}
			if _, err := io.CopyN(io.Discard, c, int64(hdr[3])<<8|int64(hdr[4])); err != nil {
				return
			}
			if !then(c, hdr[0], n) {
				return
			}
		}
	})
}

// TestCCSInjectionUnknown probes scripted servers whose answers prove
// nothing either way: the verdict is unknown, and the detail says what
// was seen; and one that answers the second record as the lab does.
func TestCCSInjectionUnknown(t *testing.T) {
	alert := func(d wire.AlertDescription) []byte {
		return []byte{21, 3, 3, 0, 2, 2, byte(d)}
	}
	for _, c := range []struct {
		name       string
		then       func(c net.Conn, typ byte, n int) bool
		known, vul bool
		detail     string
	}{
		{"silent", func(net.Conn, byte, int) bool { return true }, false, false,
			"the server said nothing for Nms, nor to a second one within the probe's time: whether it is vulnerable"},
		{"closes", func(net.Conn, byte, int) bool { return false }, false, false,
			"the server closed the connection without an alert, not unexpected_message: whether it is vulnerable"},
		{"other-alert", func(c net.Conn, _ byte, _ int) bool { _, _ = c.Write(alert(wire.AlertHandshakeFailure)); return false }, false, false,
			"the server sent the alert handshake_failure, not unexpected_message"},
		{"bad-mac-at-once", func(c net.Conn, _ byte, _ int) bool { _, _ = c.Write(alert(wire.AlertBadRecordMAC)); return false }, false, false,
			"the server sent the alert bad_record_mac, not unexpected_message"},
		{"refuses-second", func(c net.Conn, _ byte, n int) bool {
			if n == 2 {
				_, _ = c.Write(alert(wire.AlertUnexpectedMessage))
			}
			return n < 2
		}, false, false, "to a second one it then sent the alert unexpected_message, neither a refusal of the first"},
		{"fails-second", func(c net.Conn, typ byte, n int) bool {
			if n == 2 && typ == byte(wire.ContentChangeCipherSpec) {
				_, _ = c.Write(alert(wire.AlertDecryptionFailed))
			}
			return n < 2
		}, true, true, "sent no alert (nothing for Nms), and to a second one it answered with the alert decryption_failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &prober{addr: ccsScript(t, c.then), timeout: 2 * time.Second, sem: make(chan struct{}, 1)}
			r := &Result{Versions: []VersionResult{{Version: wire.VersionTLS12, Outcome: Accepted, Suites: []uint16{0x009c}}}}
			start := time.Now()
			f := scanCCSInjection(context.Background(), r, p)
			if f == nil || f.Known != c.known || f.Supported != c.vul || !strings.Contains(waited(f.Detail), c.detail) {
				t.Errorf("ccs_injection %+v, want known %v, vulnerable %v, with %q", f, c.known, c.vul, c.detail)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("the probe took %s, more than its time", d)
			}
		})
	}
}

// FuzzReadCCSReply feeds readCCSReply any bytes as the server's answer:
// it always ends, an alert it reports is the first alert record of the
// input, and the reply is said in words.
func FuzzReadCCSReply(f *testing.F) {
	f.Add([]byte{21, 3, 3, 0, 2, 2, 10})
	f.Add([]byte{22, 3, 3, 0, 4, 0, 0, 0, 0, 21, 3, 3, 0, 2, 2, 20})
	f.Add([]byte{21, 3, 3, 0, 24, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := readCCSReply(&recordReader{r: iotestHalf(b)})
		if r.String() == "" {
			t.Fatal("no words for the reply")
		}
		if r.hasAlert {
			i := 0
			for len(b)-i >= 5 {
				n := 5 + (int(b[i+3])<<8 | int(b[i+4]))
				if len(b)-i < n {
					break
				}
				if b[i] == 21 {
					if n != 7 || wire.AlertDescription(b[i+6]) != r.alert {
						t.Fatalf("alert %s, but the first alert record is % x", r.alert, b[i:i+n])
					}
					return
				}
				i += n
			}
			t.Fatalf("alert %s, but the input has no whole alert record", r.alert)
		}
		if !r.closed && !r.reset && r.err == nil && !r.timedOut && !r.oddAlert {
			t.Fatalf("the reply did not end: %+v", r)
		}
	})
}

// iotestHalf reads b a byte or two at a time, as a network may cut it.
func iotestHalf(b []byte) io.Reader { return &dribble{r: bytes.NewReader(b)} }

type dribble struct{ r *bytes.Reader }

func (d *dribble) Read(p []byte) (int, error) { return d.r.Read(p[:min(len(p), 2)]) }
