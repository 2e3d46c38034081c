package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/capture"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// ssl3Conn builds the bytes of an SSL 3.0 (or TLS 1.0) connection with the
// given cipher suite: the plaintext hellos, an RSA ClientKeyExchange, each side's
// change_cipher_spec and Finished, a request and a response. No peer on
// this machine speaks SSL 3.0 any more, so the records are sealed with
// tlscrypt; tshark, which derives its own keys from the master secret,
// is the oracle of the key block, MAC and cipher. The Finished messages
// are those of the handshake: tshark does not check them, tlstrace does.
//
// With badFinished the client's Finished is one bit off.
func ssl3Conn(t *testing.T, rng *rand.Rand, version, id uint16, start time.Time, port uint16, badFinished bool) (*capture.Conn, string, []byte, []byte) {
	t.Helper()
	suite, ok := tlscrypt.SuiteByID(id)
	if !ok {
		t.Fatalf("suite 0x%04X unknown", id)
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	cr, sr, master := random(32), random(32), random(48)
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ch := must((&wire.ClientHello{Version: version, Random: cr, CipherSuites: []uint16{id}}).Marshal())
	sh := must((&wire.ServerHello{Version: version, Random: sr, CipherSuite: id}).Marshal())
	cke := must(wire.MarshalClientKeyExchangeRSA(version, random(128)))
	if strings.Contains(suite.Name, "_DHE_") || strings.Contains(suite.Name, "_DH_anon_") {
		cke = must(wire.MarshalClientKeyExchangeDHE(random(128)))
	}
	record := func(typ wire.ContentType, b []byte) []byte {
		return must(wire.AppendRecord(nil, typ, version, b))
	}
	ck, sk := tlscrypt.KeyBlock(version, suite, master, cr, sr)
	cEnc, err := tlscrypt.NewEncrypter12(version, suite, ck, false)
	if err != nil {
		t.Fatal(err)
	}
	sEnc, err := tlscrypt.NewEncrypter12(version, suite, sk, false)
	if err != nil {
		t.Fatal(err)
	}
	seal := func(e *tlscrypt.Encrypter, typ wire.ContentType, b []byte) []byte {
		return must(e.Seal(nil, uint8(typ), version, b))
	}
	request := []byte("GET / HTTP/1.0\r\n\r\n")
	response := []byte(fmt.Sprintf("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s over 0x%04X\r\n", suite.Name, version))
	var th tlscrypt.SessionHash
	th.Start(version, suite)
	th.Write(ch)
	th.Write(sh)
	th.Write(wire.MarshalServerHelloDone())
	th.Write(cke)
	finished := func(client bool) []byte {
		verify := th.Finished(version, suite, master, client)
		if client && badFinished {
			verify[0] ^= 1
		}
		fin := must(wire.MarshalFinished(verify))
		th.Write(fin)
		return fin
	}
	var chunks []capture.Chunk
	at := start
	add := func(fromClient bool, parts ...[]byte) {
		at = at.Add(time.Millisecond)
		chunks = append(chunks, capture.Chunk{FromClient: fromClient, Time: at, Data: bytes.Join(parts, nil)})
	}
	ccs := record(wire.ContentChangeCipherSpec, []byte{1})
	add(true, record(wire.ContentHandshake, ch))
	add(false, record(wire.ContentHandshake, append(sh, wire.MarshalServerHelloDone()...)))
	add(true, record(wire.ContentHandshake, cke), ccs, seal(cEnc, wire.ContentHandshake, finished(true)))
	add(false, ccs, seal(sEnc, wire.ContentHandshake, finished(false)))
	add(true, seal(cEnc, wire.ContentApplicationData, request))
	add(false, seal(sEnc, wire.ContentApplicationData, response))
	add(true, seal(cEnc, wire.ContentAlert, []byte{1, 0}))
	c := &capture.Conn{
		Client: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 40000+port),
		Server: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port),
		Start:  start, End: at.Add(time.Millisecond), Chunks: chunks,
	}
	return c, fmt.Sprintf("CLIENT_RANDOM %x %x\n", cr, master), request, response
}

// TestReadSSL30 checks SSL 3.0 decryption (RFC 6101: its key block and
// MAC, CBC with the chained IV and free padding bytes, RC4 and NULL) and
// the export suites of SSL 3.0 to TLS 1.2 (40-bit key material, final
// keys and IVs from the randoms, with the PRF of the version) against tshark, field by field, on
// connections sealed with tlscrypt.
func TestReadSSL30(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	ssl3, tls10 := tlscrypt.VersionSSL30, tlscrypt.VersionTLS10
	tls11, tls12 := tlscrypt.VersionTLS11, tlscrypt.VersionTLS12
	suites := []struct{ version, id uint16 }{
		{ssl3, 0x0004}, // TLS_RSA_WITH_RC4_128_MD5
		{ssl3, 0x0005}, // TLS_RSA_WITH_RC4_128_SHA
		{ssl3, 0x000A}, // TLS_RSA_WITH_3DES_EDE_CBC_SHA
		{ssl3, 0x002F}, // TLS_RSA_WITH_AES_128_CBC_SHA
		{ssl3, 0x0035}, // TLS_RSA_WITH_AES_256_CBC_SHA
		{ssl3, 0x0041}, // TLS_RSA_WITH_CAMELLIA_128_CBC_SHA
		{ssl3, 0x0096}, // TLS_RSA_WITH_SEED_CBC_SHA
		{ssl3, 0x0002}, // TLS_RSA_WITH_NULL_SHA
		{ssl3, 0x0001}, // TLS_RSA_WITH_NULL_MD5
		{ssl3, 0x0003}, // TLS_RSA_EXPORT_WITH_RC4_40_MD5
		{ssl3, 0x0008}, // TLS_RSA_EXPORT_WITH_DES40_CBC_SHA
		{ssl3, 0x0014}, // TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA
		{ssl3, 0x0006}, // TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5
		{tls10, 0x0003},
		{tls10, 0x0008},
		{tls10, 0x0006},
		{tls10, 0x0017}, // TLS_DH_anon_EXPORT_WITH_RC4_40_MD5
		{tls10, 0x0019}, // TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA
		{tls12, 0x0003}, // export suites as old OpenSSL negotiated them
		{tls12, 0x0008},
		{tls12, 0x0006},
		{tls11, 0x0008},
	}
	rng := rand.New(rand.NewPCG(30, 0))
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var conns []*capture.Conn
	var keylog bytes.Buffer
	var sent [][2][]byte
	const base = 4430
	for i, c := range suites {
		c, line, req, resp := ssl3Conn(t, rng, c.version, c.id, start.Add(time.Duration(i)*time.Second), uint16(base+i), false)
		conns = append(conns, c)
		keylog.WriteString(line)
		sent = append(sent, [2][]byte{req, resp})
	}
	dir := t.TempDir()
	pcap, keys := filepath.Join(dir, "ssl3.pcapng"), filepath.Join(dir, "keys.txt")
	var b bytes.Buffer
	if err := capture.WritePcapng(&b, nil, conns); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pcap, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keys, keylog.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	decodeAs := fmt.Sprintf("tcp.port==%d-%d,tls", base, base+len(suites)-1)
	events := runJSON(t, "read", pcap, "--keylog", keys, "--json")
	checkOracle(t, oracleCase{pcap: pcap, keylog: keys, decodeAs: decodeAs, events: events})
	for i := range suites {
		if n := finishedChecked(t, events, i+1); n != 2 {
			t.Errorf("conn %d (%+v): %d Finished messages checked, want 2", i+1, suites[i], n)
		}
		got := connData(t, events, i+1, suites[i])
		for side := range 2 {
			if !bytes.Equal(got[side], sent[i][side]) {
				t.Errorf("conn %d (%+v): application data %q, sent %q", i+1, suites[i], got[side], sent[i][side])
			}
		}
	}
}

// TestReadFinishedMismatch checks that a Finished whose verify_data is not
// the handshake's is said to be wrong, in SSL 3.0 and TLS 1.0, and that
// the other side's, which is right, is still checked.
func TestReadFinishedMismatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 0))
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var conns []*capture.Conn
	var keylog bytes.Buffer
	for i, v := range []uint16{tlscrypt.VersionSSL30, tlscrypt.VersionTLS10} {
		c, line, _, _ := ssl3Conn(t, rng, v, 0x002F, start.Add(time.Duration(i)*time.Second), uint16(4430+i), true)
		conns = append(conns, c)
		keylog.WriteString(line)
	}
	dir := t.TempDir()
	pcap, keys := filepath.Join(dir, "bad.pcapng"), filepath.Join(dir, "keys.txt")
	if err := capture.WritePcapngFile(pcap, nil, conns); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keys, keylog.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	events := runJSON(t, "read", pcap, "--keylog", keys, "--json")
	for conn := 1; conn <= 2; conn++ {
		var bad []string
		for _, ev := range events {
			if ev.Conn == conn && ev.Type == "finished" && ev.Error != "" {
				bad = append(bad, ev.From+": "+ev.Error)
			}
		}
		if len(bad) != 1 || !strings.HasPrefix(bad[0], "client: the client's Finished does not match the handshake") {
			t.Errorf("conn %d: finished errors %q, want the client's only", conn, bad)
		}
		if n := finishedChecked(t, events, conn); n != 1 {
			t.Errorf("conn %d: %d Finished messages checked right, want the server's", conn, n)
		}
	}
}

// connData fails the test for each TLS event of connection conn (from 1)
// that says an error or is a record left encrypted, naming the case what,
// and returns the application data the client (0) and the server (1) sent
// in it.
func connData(t *testing.T, events []jsonEvent, conn int, what any) [2][]byte {
	t.Helper()
	var got [2][]byte
	for _, ev := range events {
		if ev.Conn != conn || ev.Layer != "tls" {
			continue
		}
		if ev.Type == "encrypted_record" || ev.Error != "" {
			t.Errorf("conn %d (%+v): %s %s", conn, what, ev.Type, ev.Error)
		}
		if ev.Type == "application_data" {
			side := 0
			if ev.From == "server" {
				side = 1
			}
			got[side] = append(got[side], appData(t, ev)...)
		}
	}
	return got
}
