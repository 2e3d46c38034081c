package client

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestFailureDeclinedRenegotiation has openssl s_server ask for a
// renegotiation (its "R" command: a HelloRequest) once a TLS 1.2 session
// is up. The client declines with a no_renegotiation warning; OpenSSL
// answers the own engine with a fatal handshake_failure, and crypto/tls
// ends the session itself before it reads that. Either way the cause is
// the declined renegotiation, read from the wire, and not a handshake
// that found nothing in common.
func TestFailureDeclinedRenegotiation(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	cert, key := writeKeyPair(t, t.TempDir())
	for _, c := range []struct {
		engine Engine
		end    string
	}{
		{EngineOwn, "; the server then ended the session with a fatal handshake_failure alert because the client declined to renegotiate"},
		{EngineGo, "; the client's TLS stack then ended the session itself"},
	} {
		t.Run(string(c.engine), func(t *testing.T) {
			stdin, ask := io.Pipe()
			defer ask.Close()
			addr := tlstest.OpenSSLServer(t, time.Minute, func(cmd *exec.Cmd) { cmd.Stdin = stdin },
				"s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-tls1_2", "-naccept", "1")
			tr := source.NewTracer(time.Now(), func(ev *trace.Event) {
				if _, ok := ev.Payload.(*trace.Handshake); ok {
					go io.WriteString(ask, "R\n")
				}
			})
			host, port, _ := strings.Cut(addr, ":")
			in, inW := io.Pipe()
			defer inW.Close()
			err := Connect(context.Background(), tr, &Session{Host: host, Port: port, Timeout: 10 * time.Second,
				TLS: TLSOptions{Insecure: true, Engine: c.engine, MaxVersion: 0x0303}}, in, io.Discard)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want a *client.Error", err, err)
			}
			checkCause(t, e, StepTLS, "the server asked to renegotiate (a HelloRequest after the handshake had completed) and the client declined with a no_renegotiation alert (RFC 5746, Section 4.2)"+c.end,
				"post-handshake authentication")
		})
	}
}
