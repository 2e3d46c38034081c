//go:debug rsa1024min=0

package main

import (
	"fmt"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestReadEngineExport makes connections over the three RSA export suites
// in TLS 1.2 and 1.1, as old OpenSSL negotiated them though RFC 4346
// forbids it, with the engine on both sides (the suites named in both
// Configs, a 512-bit server key: the rsa1024min setting above lets
// crypto/rsa make and use it), and checks tlstrace's reading against
// tshark's, and the plaintext against what the peers exchanged.
func TestReadEngineExport(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	cases := []engineCase{
		{version: 0x0303, suite: 0x0003, exportKey: true}, // TLS_RSA_EXPORT_WITH_RC4_40_MD5
		{version: 0x0303, suite: 0x0006, exportKey: true}, // TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5
		{version: 0x0303, suite: 0x0008, exportKey: true}, // TLS_RSA_EXPORT_WITH_DES40_CBC_SHA
		{version: 0x0302, suite: 0x0008, exportKey: true, clientAuth: true, clientCert: true},
	}
	const port = 4590
	pcap, keys, sent := engineCapture(t, cases, port)
	events := runJSON(t, "read", pcap, "--keylog", keys, "--json")
	checkOracle(t, oracleCase{pcap: pcap, keylog: keys, decodeAs: fmt.Sprintf("tcp.port==%d-%d,tls", port, port+len(cases)-1), events: events})
	checkEcho(t, events, cases, sent)
	for i := range cases {
		if n := finishedChecked(t, events, i+1); n != 2 {
			t.Errorf("conn %d: %d Finished messages checked, want 2", i+1, n)
		}
	}
}
