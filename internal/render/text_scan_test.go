package render_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/chain"
	"github.com/tlstrace/tlstrace/internal/golden"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/scan/scanev"
)

// TestScanReport writes the text report of two scans: one with every
// section (versions accepted, refused and timed out, SSL 2.0 cipher
// kinds, suites in each order and one unnamed, groups, DHE primes,
// signature schemes, ALPN, features, chains trusted, not trusted and
// broken, findings, grade) and one of a server that accepted no version.
func TestScanReport(t *testing.T) {
	cert := func(subject, issuer string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: subject}, Issuer: pkix.Name{CommonName: issuer},
			PublicKey: make(ed25519.PublicKey, ed25519.PublicKeySize), SignatureAlgorithm: x509.PureEd25519,
			NotAfter: time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)}
	}
	full := &scanev.Result{
		Addr: "server.test:443", Probes: 412, Duration: 3210 * time.Millisecond,
		Versions: []scanev.VersionResult{
			{Version: 0x0304, Outcome: scanev.Accepted, Suites: []uint16{0x1302, 0x1301, 0x1303}, Order: scanev.OrderClient},
			{Version: 0x0303, Outcome: scanev.Accepted, Suites: []uint16{0xc02f, 0x009c, 0xeeee}, Order: scanev.OrderServer, Incomplete: "2 probes timed out"},
			{Version: 0x0302, Outcome: scanev.Accepted, Suites: []uint16{0xc013}},
			{Version: 0x0301, Outcome: scanev.Accepted, Suites: []uint16{0xc013, 0x002f}},
			{Version: 0x0300, Outcome: scanev.Refused, Reason: "alert handshake_failure"},
			{Version: 0x0002, Outcome: scanev.Accepted, SSLv2Ciphers: []uint32{0x010080, 0x060040}},
			{Version: 0x0001, Outcome: scanev.TimedOut, Reason: "no answer in 5s"},
		},
		Groups13: []uint16{0x11ec, 0x001d, 0x0100},
		Groups12: []uint16{0x0017, 0x0018, 0x0fff},
		DH: []scanev.DHGroup{
			{Version: 0x0303, Suite: 0x009e, Bits: 2048},
			{Version: 0x0302, Suite: 0x0033, Bits: 1024, Known: "RFC 2409 group 2 (MODP 1024 bits)"},
			{Version: 0x0301, Err: "the probe timed out"},
		},
		FFDHE: &scanev.FFDHE{Version: 0x0303, Suite: 0x009e, Group: 0x0100, Bits: 2048, Known: "ffdhe2048"},
		Signatures: []scanev.SignatureAccepted{
			{Version: 0x0303, Scheme: 0x0804, Suite: 0xc02f}, {Version: 0x0303, Scheme: 0x0401, Suite: 0xc02f},
			{Version: 0x0304, Scheme: 0x0804}, {Version: 0x0304, Scheme: 0x0807},
		},
		SignatureNotes: []string{"the server signed with rsa_pkcs1_sha1, which was not offered"},
		ALPN:           []string{"h2", "http/1.1"},
		Features: []scanev.Feature{
			{Name: "secure_renegotiation", Version: 0x0303, Known: true, Supported: true, Detail: "renegotiation_info in the ServerHello"},
			{Name: "heartbeat", Version: 0x0303, Known: true},
			{Name: "early_data", Version: 0x0304, Detail: "the probe timed out"},
		},
		Chains: []scanev.CertChain{
			{KeyType: "Ed25519", Version: 0x0304, Certs: []*x509.Certificate{cert("server.test", "Test CA"), cert("Test CA", "Test CA")},
				Verdict: &chain.Result{Valid: true}},
			{KeyType: "RSA", Version: 0x0303, Certs: []*x509.Certificate{cert("other.test", "Unknown CA")},
				Staple:  []byte{0x30, 0x03, 0x0a, 0x01, 0x00},
				Verdict: &chain.Result{Cause: "the chain ends at Unknown CA, which is not trusted", Fix: "send the intermediate"}},
			{KeyType: "ECDSA", Version: 0x0303, Err: "the leaf does not parse"},
		},
		Findings: []scanev.Finding{
			{Severity: scanev.High, Rule: "sslv2", Title: "SSL 2.0 is accepted", Cause: "the server speaks SSL 2.0", Fix: "turn SSL 2.0 off"},
			{Severity: scanev.Info, Rule: "client-order", Title: "TLS 1.3 follows the client's order", Cause: "c", Fix: "f"},
		},
		Grade: "F",
	}
	none := &scanev.Result{Addr: "127.0.0.1:1", Probes: 7, Duration: 40 * time.Millisecond,
		Versions: []scanev.VersionResult{{Version: 0x0304, Outcome: scanev.Failed, Reason: "connection reset"}, {Version: 0x0303, Outcome: scanev.Refused}}}
	for name, r := range map[string]*scanev.Result{"full": full, "none": none} {
		var b bytes.Buffer
		if err := render.ScanReport(&b, r); err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("testdata", "golden", "scan-report-"+name+".txt"), b.Bytes())
	}
}
