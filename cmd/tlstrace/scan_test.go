package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
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

// TestScanJSON runs `tlstrace scan HOST:PORT --json` against crypto/tls
// with TLS 1.2 and one suite: one suite_accepted event, with the version
// and suite as enums, and exit 0; the text report names the suite, the
// finding and the grade.
func TestScanJSON(t *testing.T) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
		Certificates: []tls.Certificate{tlstest.SelfSignedLoopback(t, tlstest.NewKey(t, true))}}
	addr := tlstest.Listen(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
		_ = tc.Handshake()
	})
	var out, errOut bytes.Buffer
	if code := run([]string{"scan", addr, "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	type enum struct {
		Name  string
		Value int
	}
	var accepted []string
	for line := range strings.Lines(out.String()) {
		var ev struct {
			Layer, Type string
			Fields      struct {
				Version     enum
				CipherSuite enum `json:"cipher_suite"`
				Target      string
			}
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if ev.Layer == "scan" && ev.Type == "suite_accepted" {
			f := ev.Fields
			if f.Target != addr {
				t.Errorf("suite_accepted target %q, want %q", f.Target, addr)
			}
			if f.Version != (enum{"TLS 1.2", 771}) || f.CipherSuite != (enum{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 49199}) {
				t.Errorf("suite_accepted %+v", f)
			}
			accepted = append(accepted, line)
		}
	}
	if len(accepted) != 1 {
		t.Errorf("%d suite_accepted events, want 1:\n%s", len(accepted), out.String())
	}
	// A list with a target where nothing listens: the other is scanned,
	// the exit status is 1.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	list := filepath.Join(t.TempDir(), "list")
	if err := os.WriteFile(list, []byte(dead+"\n"+addr+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"scan", "-l", list, "--json"}, &out, &errOut); code != 1 || !strings.Contains(out.String(), `"suite_accepted"`) || !strings.Contains(errOut.String(), dead) {
		t.Errorf("scan -l with an unreachable target: exit %d, stderr %q, stdout:\n%s", code, errOut.String(), out.String())
	}
	out.Reset()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cfg.Certificates[0].Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"scan", addr, "--cacert", caFile}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	// tlstest's certificate lives an hour: expires-soon caps the grade at B.
	for _, want := range []string{"TLS 1.2  accepted", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "[no-tls13]", "Certificate chain of the RSA key (TLS 1.2)", "  trusted\n", "[expires-soon]", "Grade B",
		"Signature schemes (each offered alone)\n  TLS 1.2: rsa_pss_rsae_sha256, ", "\n  ticket_resumption                 yes     a second connection offering the ticket "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestScanShards checks that the shards of a list are disjoint and
// together the whole list, in its order.
func TestScanShards(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "list")
	if err := os.WriteFile(list, []byte("# hosts\na:1\n\nb:2\nc:3\n d:4 \ne:5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var all []string
	for k := 1; k <= 3; k++ {
		got, err := scanTargets(nil, &scanOptions{list: list, shard: fmt.Sprintf("%d/3", k)})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, got...)
	}
	slices.Sort(all)
	if want := []string{"a:1", "b:2", "c:3", "d:4", "e:5"}; !slices.Equal(all, want) {
		t.Errorf("union of the shards %q, want %q", all, want)
	}
	for _, bad := range []string{"0/3", "4/3", "1/0", "x/2", "2"} {
		if _, err := scanTargets(nil, &scanOptions{list: list, shard: bad}); err == nil {
			t.Errorf("--shard %s accepted", bad)
		}
	}
}

// TestNotTLSHint: the advice for a port that does not speak TLS follows
// its first bytes: a mail server's greeting asks for its STARTTLS dialog.
func TestNotTLSHint(t *testing.T) {
	for start, want := range map[string]string{
		"220 m": "--starttls smtp (or ftp)",
		"* OK ": "--starttls imap",
		"+OK D": "--starttls pop3",
		"HTTP/": "plain HTTP",
		"SSH-2": "this one does not speak TLS",
	} {
		if got := notTLSHint([]byte(start)); !strings.Contains(got, want) {
			t.Errorf("%q: hint %q, want %q in it", start, got, want)
		}
	}
}

// TestScanLabJSONAsText: what the text report of a scan says, --json
// says too. The lab's sni-required answers TLS 1.3 hellos with
// HelloRetryRequests only and refuses every full handshake: the text
// says so, and TLS 1.3's version event says it is not accepted
// (unconfirmed), not that it is. The lab's reset leaves the curves
// before TLS 1.3 unknown, and alpn-mismatch refuses every ALPN protocol:
// each has an event, and the HTML report shows both.
func TestScanLabJSONAsText(t *testing.T) {
	servers, ca := startLab(t, "sni-required", "reset", "alpn-mismatch")
	type fields struct {
		Version  struct{ Name string }
		Accepted *bool
		Outcome  string
		Reason   string
		Protocol string
	}
	for _, s := range servers {
		t.Run(s.Name, func(t *testing.T) {
			var text, out, errOut bytes.Buffer
			if code := run([]string{"scan", s.Host(), "--cacert", ca}, &text, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			html := filepath.Join(t.TempDir(), "scan.html")
			if code := run([]string{"scan", s.Host(), "--cacert", ca, "--json", "--html", html}, &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			byType := map[string][]fields{}
			for line := range strings.Lines(out.String()) {
				var ev struct {
					Layer, Type string
					Fields      fields
				}
				if err := json.Unmarshal([]byte(line), &ev); err != nil {
					t.Fatalf("%v: %s", err, line)
				}
				if ev.Layer == "scan" {
					byType[ev.Type] = append(byType[ev.Type], ev.Fields)
				}
			}
			page, err := os.ReadFile(html)
			if err != nil {
				t.Fatal(err)
			}
			switch s.Name {
			case "sni-required":
				if !strings.Contains(text.String(), "TLS 1.3  answered with HelloRetryRequests only, no handshake completed (every full handshake failed: alert unrecognized_name)") {
					t.Errorf("text report:\n%s", text.String())
				}
				var tls13 []fields
				for _, f := range byType["version"] {
					if f.Version.Name == "TLS 1.3" {
						tls13 = append(tls13, f)
					}
				}
				if len(tls13) != 1 || tls13[0].Accepted == nil || *tls13[0].Accepted || tls13[0].Outcome != "unconfirmed" || tls13[0].Reason != "every full handshake failed: alert unrecognized_name" {
					t.Errorf("TLS 1.3 version events %+v, want one, not accepted, unconfirmed by unrecognized_name", tls13)
				}
				if !strings.Contains(string(page), "<td>answered with HelloRetryRequests only, no handshake completed (every full handshake failed: alert unrecognized_name)</td>") {
					t.Error("the HTML report does not say TLS 1.3 is unconfirmed")
				}
			case "reset":
				cu := byType["curves_unknown"]
				if len(cu) != 1 || cu[0].Version.Name != "TLS 1.2" || !strings.Contains(text.String(), "ECDHE before TLS 1.3: unknown ("+cu[0].Reason+")") {
					t.Errorf("curves_unknown %+v; text report:\n%s", cu, text.String())
				}
				if len(cu) == 1 && !strings.Contains(string(page), "<dd class=\"mut\">unknown ("+cu[0].Reason+")</dd>") {
					t.Error("the HTML report does not say the curves are unknown")
				}
			case "alpn-mismatch":
				var refused []string
				for _, f := range byType["alpn_refused"] {
					refused = append(refused, f.Protocol)
				}
				list := strings.Join(refused, ", ")
				if len(refused) < 2 || !strings.Contains(text.String(), "ALPN refused (alert no_application_protocol): "+list+"\n") {
					t.Errorf("alpn_refused %v; text report:\n%s", refused, text.String())
				}
				if len(refused) >= 2 && !strings.Contains(string(page), "refused (alert no_application_protocol): "+list+"</p>") {
					t.Error("the HTML report does not list the ALPN protocols refused")
				}
			}
		})
	}
}
