package tlscrypt

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"io"
	"net"
	"strings"
	"testing"
)

// These tests decrypt connections made by real peers (crypto/tls here,
// OpenSSL in openssl_test.go), recorded on the wire, with the secrets the
// peers logged.

// wireRecord is one record as recorded.
type wireRecord struct {
	header, payload []byte
}

// splitRecords cuts a recorded byte stream into records.
func splitRecords(t testing.TB, b []byte) []wireRecord {
	t.Helper()
	var out []wireRecord
	for len(b) > 0 {
		if len(b) < 5 {
			t.Fatalf("%d trailing bytes", len(b))
		}
		n := int(binary.BigEndian.Uint16(b[3:]))
		if len(b) < 5+n {
			t.Fatalf("truncated record")
		}
		out = append(out, wireRecord{b[:5:5], b[5 : 5+n : 5+n]})
		b = b[5+n:]
	}
	return out
}

// parseKeyLog reads NSS key log lines into label -> secret (one connection).
func parseKeyLog(t testing.TB, b []byte) map[string][]byte {
	t.Helper()
	m := make(map[string][]byte)
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && !strings.HasPrefix(f[0], "#") {
			m[f[0]] = unhex(t, f[2])
		}
	}
	return m
}

// transcript is a recorded connection: what each side sent, the key log,
// and the application data each side wrote.
type transcript struct {
	client, server []byte // bytes sent by each side
	keyLog         []byte
	clientData     [][]byte
	serverData     [][]byte
	wantETM        bool // encrypt_then_mac should be negotiated
}

// testCertificate returns a self-signed certificate with an ECDSA key, or
// an RSA key for the ECDHE_RSA suites.
func testCertificate(t testing.TB, useRSA bool) tls.Certificate {
	return tlstest.SelfSigned(t, tlstest.NewKey(t, useRSA), "example.test")
}

// goConnection runs one crypto/tls connection over an in-memory pipe: the
// client writes clientData, the server echoes each message back with a
// prefix.
func goConnection(t *testing.T, cert tls.Certificate, version uint16, suite uint16) *transcript {
	t.Helper()
	c, s := net.Pipe()
	cr, sr := &tlstest.RecordingConn{Conn: c}, &tlstest.RecordingConn{Conn: s}
	var keyLog bytes.Buffer
	server := tls.Server(sr, &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   version, MaxVersion: version,
		CipherSuites: []uint16{suite},
	})
	client := tls.Client(cr, &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         version, MaxVersion: version,
		CipherSuites: []uint16{suite},
		KeyLogWriter: &keyLog,
	})
	tr := &transcript{}
	for i, n := range []int{5, 1000, 20000, 1} {
		msg := bytes.Repeat([]byte{byte('a' + i)}, n)
		tr.clientData = append(tr.clientData, msg)
		tr.serverData = append(tr.serverData, append([]byte("echo:"), msg...))
	}
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Read to the client's close_notify before closing, so that no
		// write waits on a pipe nobody reads.
		defer func() {
			io.Copy(io.Discard, server)
			server.Close()
		}()
		for _, want := range tr.clientData {
			buf := make([]byte, len(want))
			if _, err := io.ReadFull(server, buf); err != nil {
				errc <- err
				return
			}
			if _, err := server.Write(append([]byte("echo:"), buf...)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i, msg := range tr.clientData {
		if _, err := client.Write(msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(tr.serverData[i]))
		if _, err := io.ReadFull(client, buf); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	client.Close()
	<-done
	if st := client.ConnectionState(); st.Version != version || (suite != 0 && st.CipherSuite != suite) {
		t.Fatalf("negotiated %x/%x, want %x/%x", st.Version, st.CipherSuite, version, suite)
	}
	tr.client, tr.server, tr.keyLog = cr.Bytes(), sr.Bytes(), keyLog.Bytes()
	return tr
}

// decryptTranscript decrypts both directions of a recorded connection with
// the logged secrets, checks that each side's Finished was decrypted, and
// returns the application data each side sent.
// TLS 1.3 records are tried with the handshake key, then with the
// application key once the handshake key stops opening them (which the
// unchanged state after a failed Open allows). Whether the master secret is
// extended (RFC 7627) does not matter: the key log holds the final one.
func decryptTranscript(t *testing.T, tr *transcript) (clientApp, serverApp []byte) {
	t.Helper()
	secrets := parseKeyLog(t, tr.keyLog)
	serverRecs := splitRecords(t, tr.server)
	clientRecs := splitRecords(t, tr.client)
	clientRandom, _ := helloFields(t, append(clientRecs[0].header, clientRecs[0].payload...))
	serverRandom, id := helloFields(t, append(serverRecs[0].header, serverRecs[0].payload...))
	s, ok := SuiteByID(id)
	if !ok {
		t.Fatalf("suite 0x%04X not supported", id)
	}
	version := binary.BigEndian.Uint16(serverRecs[0].payload[4:])
	if s.TLS13 {
		version = VersionTLS13
	}
	etm := serverHelloHasExtension(t, serverRecs[0].payload, 0x0016) // RFC 7366
	if etm != tr.wantETM {
		t.Errorf("encrypt_then_mac negotiated: %v, want %v", etm, tr.wantETM)
	}

	type side struct {
		name    string
		recs    []wireRecord
		labels  []string
		keys    Keys
		app     *[]byte
		secrets map[string][]byte
	}
	var client, server Keys
	if !s.TLS13 {
		client, server = KeyBlock(version, s, secrets["CLIENT_RANDOM"], clientRandom, serverRandom)
	}
	sides := []side{
		{"client", clientRecs, []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"}, client, &clientApp, secrets},
		{"server", serverRecs, []string{"SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"}, server, &serverApp, secrets},
	}
	for _, sd := range sides {
		var (
			d        *Decrypter
			err      error
			key      int
			app      []byte
			finished bool
		)
		newDec := func() {
			if version == VersionTLS13 {
				d, err = NewDecrypter13(s, sd.secrets[sd.labels[key]])
			} else {
				d, err = NewDecrypter12(version, s, sd.keys, etm)
			}
			if err != nil {
				t.Fatalf("%s: %v", sd.name, err)
			}
		}
		protected := false
		for i, r := range sd.recs {
			if r.header[0] == 20 { // change_cipher_spec
				protected = version != VersionTLS13
				if protected {
					newDec()
				}
				continue
			}
			if version == VersionTLS13 && r.header[0] == 23 && d == nil {
				protected = true
				newDec()
			}
			if !protected {
				continue
			}
			ct, pt, err := d.Open(r.header, r.payload)
			if err != nil && version == VersionTLS13 && key == 0 {
				key++
				newDec()
				ct, pt, err = d.Open(r.header, r.payload)
			}
			if err != nil {
				t.Fatalf("%s record %d (%d bytes, key %d, seq %d): %v", sd.name, i, len(r.payload), key, d.Seq(), err)
			}
			switch ct {
			case 22:
				if pt[0] == 20 {
					finished = true
				}
			case 23:
				app = append(app, pt...)
			case 21:
				if !bytes.Equal(pt, []byte{1, 0}) {
					t.Errorf("%s: alert %x, want close_notify", sd.name, pt)
				}
			default:
				t.Errorf("%s: content type %d", sd.name, ct)
			}
		}
		if !finished {
			t.Errorf("%s: no Finished decrypted", sd.name)
		}
		*sd.app = app
	}
	return clientApp, serverApp
}

// checkEcho checks the application data of a goConnection.
func checkEcho(t *testing.T, tr *transcript) {
	t.Helper()
	clientApp, serverApp := decryptTranscript(t, tr)
	if want := bytes.Join(tr.clientData, nil); !bytes.Equal(clientApp, want) {
		t.Errorf("client: %d bytes of application data, want %d", len(clientApp), len(want))
	}
	if want := bytes.Join(tr.serverData, nil); !bytes.Equal(serverApp, want) {
		t.Errorf("server: %d bytes of application data, want %d", len(serverApp), len(want))
	}
}

// serverHelloHasExtension reports whether a ServerHello message (RFC 5246,
// Section 7.4.1.3) carries extension typ.
func serverHelloHasExtension(t testing.TB, msg []byte, typ uint16) bool {
	t.Helper()
	p := msg[4+2+32:]
	p = p[1+int(p[0]):] // session_id
	p = p[2+1:]         // cipher_suite, compression_method
	if len(p) < 2 {
		return false
	}
	p = p[2:]
	for len(p) >= 4 {
		et, n := binary.BigEndian.Uint16(p), int(binary.BigEndian.Uint16(p[2:]))
		if et == typ {
			return true
		}
		p = p[4+n:]
	}
	return false
}

// TestCryptoTLSInterop decrypts connections between crypto/tls clients and
// servers for every suite crypto/tls can be made to use, TLS 1.0 to 1.3.
func TestCryptoTLSInterop(t *testing.T) {
	ecCert, rsaCert := testCertificate(t, false), testCertificate(t, true)
	type run struct {
		version uint16
		suite   uint16
	}
	var runs []run
	for _, cs := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if strings.Contains(cs.Name, "_RSA_WITH") && !strings.Contains(cs.Name, "ECDHE") {
			continue // RSA key exchange is off by default in crypto/tls
		}
		for _, v := range cs.SupportedVersions {
			if v < tls.VersionTLS10 {
				continue // SSL 3.0
			}
			runs = append(runs, run{v, cs.ID})
		}
	}
	// The TLS 1.3 suite is chosen by crypto/tls, not configured.
	for _, r := range runs {
		t.Run(fmt.Sprintf("%s/%s", tls.VersionName(r.version), tls.CipherSuiteName(r.suite)), func(t *testing.T) {
			if r.version == tls.VersionTLS13 {
				t.Skip("crypto/tls picks the TLS 1.3 suite itself; see TestCryptoTLSInterop13")
			}
			cert := ecCert
			if strings.Contains(tls.CipherSuiteName(r.suite), "ECDHE_RSA") {
				cert = rsaCert
			}
			tr := goConnection(t, cert, r.version, r.suite)
			checkEcho(t, tr)
		})
	}
}

func TestCryptoTLSInterop13(t *testing.T) {
	tr := goConnection(t, testCertificate(t, false), tls.VersionTLS13, 0)
	checkEcho(t, tr)
}
