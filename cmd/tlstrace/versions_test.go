package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestMinVersionFlags checks the --tlsv1.x flags that get, connect and
// serve share: each sets the lowest version, the highest given wins, and
// none leaves the setting as it was.
func TestMinVersionFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "as before"},
		{[]string{"--tlsv1.0"}, "1.0"},
		{[]string{"--tlsv1.1"}, "1.1"},
		{[]string{"--tlsv1.2"}, "1.2"},
		{[]string{"--tlsv1.3"}, "1.3"},
		{[]string{"--tlsv1.0", "--tlsv1.2"}, "1.2"},
		{[]string{"--tlsv1.3", "--tlsv1.1"}, "1.3"},
	} {
		var m minVersionFlags
		f := pflag.NewFlagSet("test", pflag.ContinueOnError)
		m.add(f, [4]string{})
		if err := f.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		got := "as before"
		m.set(&got)
		if got != tc.want {
			t.Errorf("%q: %q, want %q", tc.args, got, tc.want)
		}
	}
	for _, c := range []*cobra.Command{newGetCmd(io.Discard, io.Discard, "get"), newConnectCmd(nil, io.Discard, io.Discard), newServeCmd(io.Discard, io.Discard)} {
		for i := range 4 {
			if c.Flags().Lookup("tlsv1."+strconv.Itoa(i)) == nil {
				t.Errorf("%s has no --tlsv1.%d", c.Name(), i)
			}
		}
	}
}

// TestTLSMaxAlone: --tls-max 1.1 without a --tlsv1.x flag speaks TLS 1.1
// to a server that speaks only it (openssl s_server -tls1_1), as serve
// takes the flag, rather than failing for want of a version between the
// default minimum (TLS 1.2) and the maximum.
func TestTLSMaxAlone(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	p := newPKI(t, dir)
	port := sServer(t, p.cert, p.key, "-tls1_1", "-cipher", "ALL:@SECLEVEL=0")
	code, out, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", p.root.file, "--tls-max", "1.1", "--json", "-m", "20s")
	if code != 0 || !strings.Contains(out, `"type":"handshake_complete","fields":{"engine":"crypto/tls","version":"TLS 1.1"`) {
		t.Errorf("exit %d, stderr %s; want a TLS 1.1 handshake", code, stderr)
	}
}

// TestRaiseMaxHint: a server of TLS 1.2 only (openssl s_server -tls1_2)
// refuses --tlsv1.0 --tls-max 1.1; the hint names no version the server
// was not shown to speak (it does not speak TLS 1.3).
func TestRaiseMaxHint(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	p := newPKI(t, dir)
	port := sServer(t, p.cert, p.key, "-tls1_2")
	code, _, stderr := runCode(fmt.Sprintf("https://localhost:%d/", port), "--cacert", p.root.file, "--tlsv1.0", "--tls-max", "1.1", "-m", "20s")
	if code != exitTLS || !strings.Contains(stderr, "hint: the server may speak only newer versions than --tls-max allows: raise or drop --tls-max") || strings.Contains(stderr, "TLS 1.3") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
