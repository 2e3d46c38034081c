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

// TestReconnectDecryptsResumed resumes a TLS 1.2 and a TLS 1.3 session
// with OpenSSL's s_server: the TLS 1.2 abbreviated handshake logs no
// secret of its own (crypto/tls does not), and the live run forgets the
// first connection's secrets when it closes, yet the second connection
// is decrypted with the master secret of the session it resumes. The
// chain both engines check again on resumption, not sent then, is said
// to be the session's, with the first connection's verdict.
func TestReconnectDecryptsResumed(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	cert, key := writeKeyPair(t, t.TempDir())
	// crypto/tls resumes by ticket only, and the own engine by ticket
	// or session ID.
	for _, version := range []string{"-tls1_2", "-tls1_3"} {
		for _, engine := range []Engine{EngineGo, EngineOwn} {
			t.Run(version+"/"+string(engine), func(t *testing.T) {
				addr := sServer(t, cert, key, version, "-naccept", "2")
				var events []*trace.Event
				tr := source.NewTracer(time.Now(), func(ev *trace.Event) { events = append(events, ev.Clone()) })
				_, err := Get(context.Background(), tr, &Request{URL: "https://" + addr + "/", UserAgent: "test", Reconnect: 1,
					TLS: TLSOptions{Insecure: true, Engine: engine}, MaxTime: 10 * time.Second, Output: io.Discard})
				if err != nil {
					t.Fatal(err)
				}
				resumed, data := false, 0
				verdicts := map[int][]string{}
				for _, ev := range events {
					if v, ok := ev.Payload.(*trace.Verify); ok {
						verdicts[ev.Conn] = append(verdicts[ev.Conn], v.Verdict)
						if slices.Contains(v.Notes, resumedChainNote) != (ev.Conn == 2) {
							t.Errorf("connection %d: the verify event's notes are %q", ev.Conn, v.Notes)
						}
					}
					if ev.Conn != 2 {
						continue
					}
					if h, ok := ev.Payload.(*trace.Handshake); ok {
						resumed = h.Resumed
						if h.Group != "" && version == "-tls1_2" {
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
				if len(verdicts[1]) != 1 || !slices.Equal(verdicts[1], verdicts[2]) {
					t.Errorf("verdicts of the chain by connection: %v; want one each, the same", verdicts)
				}
			})
		}
	}
}
