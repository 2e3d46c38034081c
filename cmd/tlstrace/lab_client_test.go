package main

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/lab"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestLabSlowStillSending checks what a client says of the slow server,
// which sends one byte a second for as long as it is read: when the time
// runs out it is still sending, and neither the cause, the trace nor the
// hint says it went silent or closed the connection; the figures are the
// pace the bytes came at.
func TestLabSlowStillSending(t *testing.T) {
	servers, ca := startLab(t, "slow")
	code, out, stderr := runCode(servers[0].URL, "--cacert", ca, "-m", "5s")
	if code != exitTLS {
		t.Fatalf("exit %d, want %d\n%s", code, exitTLS, stderr)
	}
	m := regexp.MustCompile(`timed out after 5s: the server is still sending, one byte about every (second|[0-9.]+ s) \((\d+) bytes in ([0-9.]+) s, the last ([0-9.]+) s before the limit\)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("cause does not say the server is still sending:\n%s", stderr)
	}
	n, _ := strconv.Atoi(m[2])
	span, _ := strconv.ParseFloat(m[3], 64)
	last, _ := strconv.ParseFloat(m[4], 64)
	// One byte a second over 5 s: its first about 1 s in.
	if n < 3 || n > 6 || span < 2 || span > 5 || last > 1.5 {
		t.Errorf("figures %q do not fit one byte a second over 5 s", m[0])
	}
	for _, wrong := range []string{"then nothing", "check that the server answers", "the connection ended inside", "closed the connection in the middle"} {
		if strings.Contains(stderr+out, wrong) {
			t.Errorf("output says %q:\n%s%s", wrong, out, stderr)
		}
	}
	if !strings.Contains(out, "the rest of a record was not read: the client closed the connection first") {
		t.Errorf("the partial record does not say the client closed first:\n%s", out)
	}
	if !strings.Contains(stderr, "hint: the server answers, but too slowly: raise -m/--max-time") {
		t.Errorf("hint:\n%s", stderr)
	}
}

// TestLabVersionHints checks the hint of a server that refuses every
// version offered (protocol_version): it names the versions the
// ClientHello offered, suggests only versions that were not, and the
// flag it suggests does connect.
func TestLabVersionHints(t *testing.T) {
	servers, ca := startLab(t, "tls10-only", "tls11-only")
	url := map[string]string{}
	for _, s := range servers {
		url[s.Name] = s.URL
	}
	for _, c := range []struct {
		server   string
		args     []string
		cause    string
		hint     string
		not      []string
		thenWith []string // the flags of the hint that connect
	}{
		{"tls10-only", []string{"--tls-max", "1.2"}, "offering TLS 1.2)",
			"the server may speak only older versions or only newer ones: allow older versions with --tlsv1.1 or --tlsv1.0", nil, []string{"--tlsv1.0"}},
		{"tls11-only", []string{"--tls-max", "1.2"}, "offering TLS 1.2)",
			"allow older versions with --tlsv1.1 or --tlsv1.0", []string{"may speak only newer versions"}, []string{"--tlsv1.1"}},
		{"tls10-only", []string{"--tlsv1.1"}, "offering TLS 1.3, TLS 1.2 and TLS 1.1)",
			"allow TLS 1.0 with --tlsv1.0 (insecure, RFC 8996), or upgrade the server", []string{"--tlsv1.1", "neither TLS 1.2 nor TLS 1.3"}, []string{"--tlsv1.0"}},
		{"tls10-only", nil, "offering TLS 1.3 and TLS 1.2)",
			"allow older versions with --tlsv1.1 or --tlsv1.0", []string{"--tls-max"}, []string{"--tlsv1.0"}},
	} {
		args := append([]string{url[c.server], "--cacert", ca, "-m", "10s"}, c.args...)
		code, _, stderr := runCode(args...)
		if code != exitTLS {
			t.Errorf("%v: exit %d, want %d\n%s", c.args, code, exitTLS, stderr)
			continue
		}
		cause, hint, _ := strings.Cut(stderr, "\ntlstrace: hint: ")
		if !strings.Contains(cause, "no TLS version in common with the server (it sent a protocol_version alert to a ClientHello "+c.cause) {
			t.Errorf("%s %v: cause %q, want one with %q", c.server, c.args, cause, c.cause)
		}
		if !strings.Contains(hint, c.hint) {
			t.Errorf("%s %v: hint %q, want one with %q", c.server, c.args, hint, c.hint)
		}
		for _, n := range c.not {
			if strings.Contains(hint, n) {
				t.Errorf("%s %v: hint %q says %q", c.server, c.args, hint, n)
			}
		}
		// The hint's remedy works.
		args = append([]string{url[c.server], "--cacert", ca, "-m", "10s"}, c.thenWith...)
		if code, _, stderr := runCode(args...); code != 0 {
			t.Errorf("%s with %v: exit %d\n%s", c.server, c.thenWith, code, stderr)
		}
	}
}

// TestLabALPNHints checks the hint of a server that refuses every ALPN
// protocol offered (alpn-mismatch, which openssl s_client finds refusing
// h2 and http/1.1 each): it never suggests offering what was just offered
// and refused; when both protocols of HTTP were, the fix is the server's.
func TestLabALPNHints(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	servers, ca := startLab(t, "alpn-mismatch")
	hostport := strings.TrimSuffix(strings.TrimPrefix(servers[0].URL, "https://"), "/")
	for _, p := range []string{"h2", "http/1.1"} {
		cmd := exec.Command("openssl", "s_client", "-connect", hostport, "-alpn", p)
		cmd.Stdin = strings.NewReader("")
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), "no application protocol") {
			t.Fatalf("openssl s_client -alpn %s: no no_application_protocol alert:\n%s", p, out)
		}
	}
	serverSide := "the server refused both protocols of HTTP over TLS, so no HTTP client can connect: add h2 or http/1.1 to the server's ALPN list (nothing on this side helps)"
	for _, c := range []struct {
		args    []string
		offered string
		hint    string
	}{
		{nil, "ALPN h2, http/1.1;", serverSide},
		{[]string{"--http2"}, "ALPN h2, http/1.1;", serverSide},
		{[]string{"--http1.1"}, "ALPN http/1.1;", "the server may speak h2 alone: offer it too (drop --http1.1), or add http/1.1 to the server's ALPN list"},
		{[]string{"--engine", "own"}, "ALPN http/1.1;", "the server may speak h2 alone, which only crypto/tls offers"},
	} {
		code, _, stderr := runCode(append([]string{servers[0].URL, "--cacert", ca, "-m", "10s"}, c.args...)...)
		cause, hint, _ := strings.Cut(stderr, "\ntlstrace: hint: ")
		if code != exitTLS || !strings.Contains(cause, c.offered) || !strings.HasPrefix(hint, c.hint) {
			t.Errorf("%v: exit %d\n%s\nwant the offer %q and the hint %q", c.args, code, stderr, c.offered, c.hint)
		}
	}
}

// TestLabLyingLengthCurl checks that --format curl numbers the message
// whose length lies (lying-length) by the msg_type on the wire, as
// OpenSSL's message callback does: the ServerHello is 2.
func TestLabLyingLengthCurl(t *testing.T) {
	if got := lab.LyingLength[wire.RecordHeaderLen]; got != byte(wire.TypeServerHello) {
		t.Fatalf("the lab's message has type %d, not a ServerHello's", got)
	}
	servers, ca := startLab(t, "lying-length")
	code, out, stderr := runCode(servers[0].URL, "--cacert", ca, "-m", "10s", "--format", "curl")
	if code != exitTLS {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !strings.Contains(out, "TLS handshake, Server hello (2):") || strings.Contains(out, "Server hello (0)") {
		t.Errorf("no Server hello (2):\n%s", out)
	}
}

// TestLabOversizedRecord checks what a client and scan say of a server
// whose record header claims 20000 bytes (oversized-record; the lab sends
// the header and 38 bytes after it): the header's claim, not a record of
// that size; the server's bytes before the client's record_overflow alert
// they caused, as they came; and the same limit in both, that of a record
// before encryption (16384 bytes), not the 18432 of any record.
func TestLabOversizedRecord(t *testing.T) {
	servers, ca := startLab(t, "oversized-record")
	code, out, stderr := runCode(servers[0].URL, "--cacert", ca, "-m", "10s", "--json")
	if code != exitTLS {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := "the server sent a record header that claims 20000 bytes, more than TLS allows (at most 16384 bytes in a record before encryption, RFC 5246, Section 6.2.1; RFC 8446, Section 5.1): 38 bytes of the record came after its header"
	if !strings.Contains(stderr, want) || strings.Contains(stderr, "a record of 20000 bytes") {
		t.Errorf("cause:\n%s\nwant %q", stderr, want)
	}
	partial, alert := -1, -1
	var partialT, alertT float64
	for i, ev := range parseEvents(t, out) {
		switch {
		case ev.Type == "partial_record" && ev.From == "server" && partial < 0:
			partial, partialT = i, ev.T
		case ev.Type == "alert" && ev.From == "client":
			alert, alertT = i, ev.T
		}
	}
	if partial < 0 || alert < 0 || partial > alert || partialT > alertT {
		t.Errorf("the server's bytes (event %d, t %v) do not come before the client's alert (event %d, t %v):\n%s", partial, partialT, alert, alertT, out)
	}
	code, out, stderr = runCode("scan", strings.TrimSuffix(strings.TrimPrefix(servers[0].URL, "https://"), "/"), "--cacert", ca)
	if code != 0 {
		t.Fatalf("scan: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(out, "record header that claims 20000 bytes, more than TLS allows (at most 16384 bytes in a record before encryption") ||
		strings.Contains(out, "18432") || strings.Contains(out, "not TLS") {
		t.Errorf("scan:\n%s", out)
	}
}
