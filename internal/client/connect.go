package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Session is a raw TLS session (the openssl s_client of tlstrace connect).
type Session struct {
	Host, Port string
	// ServerName is the name sent in SNI and verified (default Host).
	ServerName string
	Network    Network
	TLS        TLSOptions
	// StartTLS is "", "smtp", "imap", "pop3" or "ftp".
	StartTLS string
	// Idle is how long to wait for the server after stdin ends.
	Idle time.Duration
	// Timeout bounds the STARTTLS dialog and the handshake.
	Timeout time.Duration
}

// Connect opens the session and copies in to the server and what the
// server sends to out until in ends and the server is quiet for Idle, or
// the server closes.
func Connect(ctx context.Context, t *source.Tracer, s *Session, in io.Reader, out io.Writer) error {
	conn := t.NextConn()
	tm := &Timings{Start: time.Now()}
	raw, err := dial(ctx, t, conn, s.Network, s.Host, s.Port, tm)
	if err != nil {
		return err
	}
	defer raw.Close()
	if s.Timeout > 0 {
		raw.SetDeadline(time.Now().Add(s.Timeout))
	}
	if s.StartTLS != "" {
		if err := startTLS(t, conn, raw, s.StartTLS, s.Host); err != nil {
			return err
		}
	}
	name := s.ServerName
	if name == "" {
		name = s.Host
	}
	tc, tap, err := Handshake(ctx, t, conn, raw, name, &s.TLS, tm)
	if err != nil {
		return err
	}
	defer tap.Wait(time.Second)
	defer tc.Close()
	raw.SetDeadline(time.Time{})

	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, tc)
		done <- err
	}()
	if _, err := io.Copy(tc, in); err != nil {
		return stepErr(StepTLS, fmt.Errorf("sending: %w", err), "")
	}
	// stdin ended: give the server Idle to answer, then close.
	idle := s.Idle
	if idle <= 0 {
		idle = time.Second
	}
	for {
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				if ev := tap.Evidence(); errorAlert(&ev, trace.Server) != nil {
					// A TLS 1.3 server checks the client's certificate
					// after the client's handshake is done.
					return explainHandshake(err, ev, &s.TLS)
				}
				return stepErr(StepTLS, fmt.Errorf("receiving: %w", err), "")
			}
			return nil
		case <-time.After(idle):
			tc.Close()
			<-done
			return nil
		case <-ctx.Done():
			tc.Close()
			<-done
			return nil
		}
	}
}

// startTLS runs the plaintext upgrade dialog of a mail or file transfer
// protocol, showing each line.
func startTLS(t *source.Tracer, conn int, c net.Conn, proto, host string) error {
	r := bufio.NewReader(c)
	show := func(from trace.Side, line string) {
		t.Emit(trace.NewEvent(conn, from, &trace.StartTLS{Protocol: proto, Line: strings.TrimRight(line, "\r\n")}))
	}
	// reply reads a reply; multi-line SMTP and FTP replies end with a line
	// whose code is followed by a space.
	reply := func() (string, error) {
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				show(trace.Server, line)
			}
			if err != nil {
				return line, err
			}
			if (proto == "smtp" || proto == "ftp") && len(line) >= 4 && line[3] == '-' {
				continue
			}
			return line, nil
		}
	}
	send := func(cmd string) error {
		show(trace.Client, cmd)
		_, err := io.WriteString(c, cmd+"\r\n")
		return err
	}
	expect := func(prefix string) error {
		line, err := reply()
		if err != nil {
			return advise(StepTLS, fmt.Errorf("STARTTLS (%s): the server closed or timed out: %w", proto, err), AdviseStartTLS)
		}
		if !strings.HasPrefix(line, prefix) {
			return stepErr(StepTLS, fmt.Errorf("STARTTLS (%s): the server answered %q, not %q", proto, strings.TrimSpace(line), prefix),
				"the server may not offer TLS on this port")
		}
		return nil
	}
	steps := map[string][]string{
		"smtp": {"220", "EHLO tlstrace.invalid", "250", "STARTTLS", "220"},
		"imap": {"* OK", "a001 STARTTLS", "a001 OK"},
		"pop3": {"+OK", "STLS", "+OK"},
		"ftp":  {"220", "AUTH TLS", "234"},
	}[proto]
	if steps == nil {
		return stepErr(StepUsage, setting.Errorf("StartTLS", proto, "want smtp, imap, pop3 or ftp"), "")
	}
	for i, s := range steps {
		var err error
		if i%2 == 0 {
			err = expect(s)
		} else {
			err = send(s)
		}
		if err != nil {
			return err
		}
	}
	if r.Buffered() > 0 {
		return stepErr(StepTLS, fmt.Errorf("STARTTLS (%s): the server sent %d bytes before the TLS handshake", proto, r.Buffered()), "")
	}
	return nil
}
