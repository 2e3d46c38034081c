package client

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestReconnectDecryptsResumedTLS12 resumes a TLS 1.2 session with
// OpenSSL's s_server: the abbreviated handshake logs no secret of its own
// (crypto/tls does not), and the live run forgets the first connection's
// secrets when it closes, yet the second connection is decrypted with
// the master secret of the session it resumes. The chain crypto/tls
// checks again on resumption, not sent then, is said to be the session's.
func TestReconnectDecryptsResumedTLS12(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	cert, key := writeKeyPair(t, t.TempDir())
	// crypto/tls resumes by ticket only, and the own engine by ticket
	// or session ID.
	for _, engine := range []Engine{EngineGo, EngineOwn} {
		t.Run(string(engine), func(t *testing.T) {
			addr := sServer(t, cert, key, "-tls1_2", "-naccept", "2")
			var events []*trace.Event
			tr := source.NewTracer(time.Now(), func(ev *trace.Event) { events = append(events, ev.Clone()) })
			_, err := Get(context.Background(), tr, &Request{URL: "https://" + addr + "/", UserAgent: "test", Reconnect: 1,
				TLS: TLSOptions{Insecure: true, Engine: engine}, MaxTime: 10 * time.Second, Output: io.Discard})
			if err != nil {
				t.Fatal(err)
			}
			resumed, data := false, 0
			for _, ev := range events {
				if v, ok := ev.Payload.(*trace.Verify); ok && slices.Contains(v.Notes, resumedChainNote) != (ev.Conn == 2 && engine == EngineGo) {
					// The own engine does not check a resumed chain.
					t.Errorf("connection %d: the verify event's notes are %q", ev.Conn, v.Notes)
				}
				if ev.Conn != 2 {
					continue
				}
				if h, ok := ev.Payload.(*trace.Handshake); ok {
					resumed = h.Resumed
					if h.Group != "" {
						t.Errorf("connection 2: the abbreviated handshake is said to use group %s; it exchanged no key", h.Group)
					}
				}
				switch ev.Type {
				case trace.TypeEncryptedRecord:
					t.Errorf("connection 2: %s record not decrypted: %s", ev.From, ev.Error)
				case trace.TypeApplicationData:
					data++
				}
			}
			if !resumed || data < 2 {
				t.Errorf("connection 2: resumed %v, %d application data records decrypted; want a resumed session, a request and a response", resumed, data)
			}
		})
	}
}
