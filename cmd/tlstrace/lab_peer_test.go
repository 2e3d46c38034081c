package main

import (
	"context"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/lab"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestLabPeersFail runs curl and openssl s_client against each of the
// lab's certificate faults with the lab's root trusted, and checks that
// they fail too: the fault is real, not one tlstrace alone sees. The
// exceptions: curl accepts no-san's certificate by its common name, and
// both read revoked's stapled OCSP response only when asked (curl
// --cert-status fails, s_client -status shows it revoked).
func TestLabPeersFail(t *testing.T) {
	tlstest.RequirePeer(t, "curl", "openssl")
	var names []string
	for _, n := range lab.Names {
		if f := mustLab(t).Fault(n); f.Kind == lab.KindCert {
			names = append(names, n)
		}
	}
	servers, ca := startLab(t, append([]string{"index"}, names...)...)
	for _, s := range servers {
		t.Run(s.Name, func(t *testing.T) {
			u, err := url.Parse(s.URL)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			curlArgs := []string{"-sS", "-m", "5", "--cacert", ca, "-o", "/dev/null", s.URL}
			osslArgs := []string{"s_client", "-connect", u.Host, "-CAfile", ca, "-verify_return_error", "-verify_ip", u.Hostname(), "-brief"}
			if s.Name == "revoked" {
				// Both read a stapled OCSP response only when asked to;
				// s_client then shows it, and goes on.
				curlArgs = append(curlArgs, "--cert-status")
				osslArgs = append(osslArgs[:len(osslArgs)-1], "-status")
			}
			curl, cerr := exec.CommandContext(ctx, "curl", curlArgs...).CombinedOutput()
			cmd := exec.CommandContext(ctx, "openssl", osslArgs...)
			cmd.Stdin = strings.NewReader("")
			ossl, oerr := cmd.CombinedOutput()
			t.Logf("curl: %v: %s", cerr, firstLines(string(curl), 1))
			t.Logf("openssl s_client: %v: %s", oerr, firstLines(string(ossl), 3))
			if s.Name == "revoked" {
				if cerr == nil || !strings.Contains(string(ossl), "Cert Status: revoked") {
					t.Errorf("curl --cert-status: %v; openssl s_client -status:\n%s", cerr, ossl)
				}
				return
			}
			ok := s.Exit == lab.ExitOK
			// curl takes the common name for the host when there is no
			// subjectAltName (tlstrace's cause line says so).
			if (cerr == nil) != (ok || s.Name == "no-san") {
				t.Errorf("curl: %v, want success %v", cerr, ok)
			}
			if (oerr == nil) != ok {
				t.Errorf("openssl s_client: %v, want success %v", oerr, ok)
			}
		})
	}
}

// TestLabCurlHugeHeaders checks that curl refuses huge-headers' response
// too, as tlstrace's hint says.
func TestLabCurlHugeHeaders(t *testing.T) {
	tlstest.RequirePeer(t, "curl")
	servers, ca := startLab(t, "huge-headers")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", "-sS", "-m", "5", "--cacert", ca, "-o", "/dev/null", servers[0].URL).CombinedOutput()
	t.Logf("curl: %v: %s", err, firstLines(string(out), 1))
	if err == nil {
		t.Error("curl accepted 1 MB of response headers")
	}
}

func mustLab(t *testing.T) *lab.Lab {
	t.Helper()
	l, err := lab.New()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func firstLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[:min(n, len(l))], " | ")
}

// TestLabPeersDHE checks that curl and openssl s_client refuse dhe-1024's
// group too, at OpenSSL's default security level.
func TestLabPeersDHE(t *testing.T) {
	tlstest.RequirePeer(t, "curl", "openssl")
	servers, ca := startLab(t, "dhe-1024")
	u, err := url.Parse(servers[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	curl, cerr := exec.CommandContext(ctx, "curl", "-sS", "-m", "5", "--cacert", ca, "-o", "/dev/null", servers[0].URL).CombinedOutput()
	cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", u.Host, "-CAfile", ca, "-brief")
	cmd.Stdin = strings.NewReader("")
	ossl, oerr := cmd.CombinedOutput()
	t.Logf("curl: %v: %s", cerr, firstLines(string(curl), 1))
	t.Logf("openssl s_client: %v: %s", oerr, firstLines(string(ossl), 3))
	if cerr == nil || !strings.Contains(string(curl), "dh key too small") || oerr == nil || !strings.Contains(string(ossl), "dh key too small") {
		t.Errorf("curl: %v %s; openssl s_client: %v %s", cerr, curl, oerr, ossl)
	}
}

// TestLabPeersHostile checks that curl and openssl s_client fail on the
// hostile servers for the fault each claims, not for something met
// before it: a ServerHello without renegotiation_info would stop them
// first ("unsafe legacy renegotiation disabled"), and a
// no_renegotiation warning is fatal to OpenSSL at the first one, so it
// would never see a flood.
func TestLabPeersHostile(t *testing.T) {
	tlstest.RequirePeer(t, "curl", "openssl")
	want := map[string]string{
		"corrupt-cert": "asn1",
		"alert-storm":  "too many warn alerts",
		"lying-length": "excessive message size",
	}
	servers, _ := startLab(t, "corrupt-cert", "alert-storm", "lying-length")
	for _, s := range servers {
		t.Run(s.Name, func(t *testing.T) {
			u, err := url.Parse(s.URL)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			curl, cerr := exec.CommandContext(ctx, "curl", "-sS", "-m", "5", "-k", "-o", "/dev/null", s.URL).CombinedOutput()
			cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", u.Host, "-brief")
			cmd.Stdin = strings.NewReader("")
			ossl, oerr := cmd.CombinedOutput()
			t.Logf("curl: %v: %s", cerr, firstLines(string(curl), 1))
			t.Logf("openssl s_client: %v: %s", oerr, firstLines(string(ossl), 3))
			if cerr == nil || !strings.Contains(strings.ToLower(string(curl)), want[s.Name]) {
				t.Errorf("curl: %v, want a failure naming %q:\n%s", cerr, want[s.Name], curl)
			}
			if oerr == nil || !strings.Contains(strings.ToLower(string(ossl)), want[s.Name]) {
				t.Errorf("openssl s_client: %v, want a failure naming %q:\n%s", oerr, want[s.Name], ossl)
			}
		})
	}
}
