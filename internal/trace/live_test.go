package trace

import (
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/keylog"
)

// wireLog records what each side writes, in order.
type wireLog struct {
	mu     sync.Mutex
	chunks []chunk
}

type chunk struct {
	from Side
	b    []byte
}

type tapConn struct {
	net.Conn
	side Side
	log  *wireLog
}

func (c *tapConn) Write(b []byte) (int, error) {
	c.log.mu.Lock()
	c.log.chunks = append(c.log.chunks, chunk{c.side, bytes.Clone(b)})
	c.log.mu.Unlock()
	return c.Conn.Write(b)
}

// runTLS runs a crypto/tls connection in which the client sends "ping" and
// the server answers "pong", and returns the bytes each side wrote, in
// order.
func runTLS(t *testing.T, scfg, ccfg *tls.Config) *wireLog {
	t.Helper()
	log := &wireLog{}
	c1, c2 := tcpPair(t)
	server := tls.Server(&tapConn{c2, Server, log}, scfg)
	client := tls.Client(&tapConn{c1, Client, log}, ccfg)
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 4)
		if _, err := io.ReadFull(server, buf); err != nil {
			done <- err
			return
		}
		_, err := server.Write([]byte("pong"))
		server.Close()
		done <- err
	}()
	if _, err := client.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(client, buf); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	client.Close()
	return log
}

// tcpPair returns both ends of a TCP connection on 127.0.0.1 (net.Pipe
// would block a close_notify that nobody reads).
func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c1, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c2 := <-accepted
	if c2 == nil {
		t.Fatal("accept failed")
	}
	return c1, c2
}

func rsaCert(t *testing.T) (tls.Certificate, *rsa.PrivateKey) {
	key := tlstest.NewKey(t, true)
	return tlstest.SelfSigned(t, key, "localhost"), key.(*rsa.PrivateKey)
}

func decode(log *wireLog, keys *keylog.Log) []*Event {
	var events []*Event
	s := NewSession(time.Now(), keys, func(ev *Event) { events = append(events, ev.Clone()) })
	decodeIn(s, 1, log)
	return events
}

// decodeIn feeds a recorded connection to a new Conn of session s.
func decodeIn(s *Session, id int, log *wireLog) {
	c := s.NewConn(id, false)
	for _, ch := range log.chunks {
		c.Feed(ch.from, Stamp{}, ch.b)
	}
	c.Close()
}

// appData returns the application data of each side, client first,
// joined by a comma.
func appData(events []*Event) string {
	var out [2]string
	for _, ev := range events {
		if ev.Type == TypeApplicationData {
			out[ev.From] += string(ev.Fields.Get("data").Bytes)
		}
	}
	return out[Client] + "," + out[Server]
}

// TestRSAKeyLogLine checks that an "RSA" key log line (the premaster secret
// by the start of its encryption) decrypts a TLS 1.2 RSA key exchange with
// extended_master_secret, as Wireshark does.
func TestRSAKeyLogLine(t *testing.T) {
	cert, key := rsaCert(t)
	suites := []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}
	log := runTLS(t,
		&tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12, CipherSuites: suites},
		&tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12, CipherSuites: suites})
	// Find the ClientKeyExchange and recover the premaster secret with
	// the server's key.
	events := decode(log, nil)
	var enc []byte
	for _, ev := range events {
		if ev.Type == "client_key_exchange" {
			enc = ev.Fields.Get("encrypted_pre_master_secret").Bytes
		}
	}
	if enc == nil {
		t.Fatal("no client_key_exchange")
	}
	//lint:ignore SA1019 the test plays the server, recovering the premaster secret it would log
	pms, err := rsa.DecryptPKCS1v15(nil, key, enc)
	if err != nil {
		t.Fatal(err)
	}
	keys, _, _ := keylog.Parse(strings.NewReader(fmt.Sprintf("RSA %x %x\n", enc[:8], pms)))
	events = decode(log, keys)
	if got := appData(events); got != "ping,pong" {
		for _, ev := range events {
			t.Logf("%s %s %s", ev.From, ev.Type, ev.Error)
		}
		t.Fatalf("application data %q", got)
	}
}

// TestLiveKeyLogWriter decodes connections the way a live session does:
// secrets from crypto/tls's KeyLogWriter, for each TLS version and a few
// suites, with resumption.
func TestLiveKeyLogWriter(t *testing.T) {
	cert, _ := rsaCert(t)
	for _, tc := range []struct {
		name    string
		version uint16
		suite   uint16
	}{
		{"TLS13", tls.VersionTLS13, 0},
		{"TLS12-ECDHE-RSA-GCM", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
		{"TLS12-ECDHE-RSA-CHACHA", tls.VersionTLS12, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
		{"TLS12-RSA-CBC", tls.VersionTLS12, tls.TLS_RSA_WITH_AES_128_CBC_SHA},
		{"TLS11-ECDHE-RSA-CBC", tls.VersionTLS11, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA},
		{"TLS10-RSA-CBC", tls.VersionTLS10, tls.TLS_RSA_WITH_AES_128_CBC_SHA},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var keyLog bytes.Buffer
			var suites []uint16
			if tc.suite != 0 {
				suites = []uint16{tc.suite}
			}
			cache := tls.NewLRUClientSessionCache(4)
			scfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10, MaxVersion: tc.version, CipherSuites: suites}
			ccfg := &tls.Config{InsecureSkipVerify: true, ServerName: "localhost", MinVersion: tls.VersionTLS10, MaxVersion: tc.version, CipherSuites: suites,
				KeyLogWriter: &keyLog, ClientSessionCache: cache}
			// One session for both connections, as in a capture: the
			// resumed one finds its master secret by ticket or session ID.
			var events []*Event
			sess := NewSession(time.Now(), nil, func(ev *Event) { events = append(events, ev.Clone()) })
			for round, want := range []string{"full", "resumed"} {
				log := runTLS(t, scfg, ccfg)
				keys, _, _ := keylog.Parse(bytes.NewReader(keyLog.Bytes()))
				sess.Keys.Merge(keys)
				events = events[:0]
				decodeIn(sess, round+1, log)
				if got := appData(events); got != "ping,pong" {
					for _, ev := range events {
						t.Logf("%s %s %s", ev.From, ev.Type, ev.Error)
					}
					t.Fatalf("%s: application data %q", want, got)
				}
				certs := 0
				for _, ev := range events {
					if ev.Error != "" || ev.Type == TypeEncryptedRecord {
						t.Errorf("%s: %s %s: %s", want, ev.From, ev.Type, ev.Error)
					}
					if ev.Type == "certificate" {
						certs++
					}
				}
				if round == 1 && certs != 0 {
					t.Errorf("resumed handshake carried a certificate: not resumed?")
				}
			}
		})
	}
}
