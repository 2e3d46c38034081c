package scan

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestScanAddressName scans openssl s_server, whose trusted certificate
// names localhost only, by its address: the chains (TLS 1.2's and TLS
// 1.3's) are checked against 127.0.0.1, as crypto/x509 and curl check an
// address, and fail with an untrusted-chain finding that says so; with
// --sni localhost they are checked for localhost and verify.
func TestScanAddressName(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	certFile, keyFile := writeTLSCert(t, tlstest.SelfSigned(t, tlstest.NewKey(t, false), "localhost"))
	addr := sServerFiles(t, certFile, keyFile, "-www")
	for _, name := range []string{"", "localhost"} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		r, err := Scan(ctx, Options{Addr: addr, ServerName: name, Timeout: 5 * time.Second, Roots: slices.Clone(roots)})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Chains) == 0 {
			t.Fatalf("sni %q: no chain", name)
		}
		for _, cc := range r.Chains {
			if cc.Verdict == nil || cc.Verdict.Valid != (name != "") {
				t.Errorf("sni %q: %s chain (%s) verdict %+v", name, cc.KeyType, wire.VersionName(cc.Version), cc.Verdict)
			}
		}
		i := slices.IndexFunc(r.Findings, func(f Finding) bool { return f.Rule == "untrusted-chain" })
		switch {
		case name != "" && i >= 0:
			t.Errorf("sni %q: finding %+v", name, r.Findings[i])
		case name == "" && i < 0:
			t.Errorf("by address: no untrusted-chain finding in %+v", r.Findings)
		case name == "" && (!strings.Contains(r.Findings[i].Cause, "127.0.0.1") || r.Findings[i].Fix == ""):
			t.Errorf("by address: finding %+v does not name the address or has no fix", r.Findings[i])
		}
	}
}
