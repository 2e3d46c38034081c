package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/starttls"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Conversation is a session of a protocol of package starttls that goes
// past the handshake (tlstrace imap://…, as curl -v): the clear-text
// dialog up to STARTTLS (none for implicit TLS), the handshake, then the
// protocol's greeting, capabilities and polite end inside TLS. Nothing is
// sent that changes the server: no mail, and no login unless Credentials
// are given.
type Conversation struct {
	Host, Port string
	// ServerName is the name sent in SNI and verified (default Host).
	ServerName string
	Network    Network
	TLS        TLSOptions
	// Protocol is the name of a protocol of package starttls that has an
	// After dialog.
	Protocol string
	// Implicit says the session starts in TLS (imaps://, smtps://, …);
	// otherwise the clear-text dialog upgrades it.
	Implicit bool
	// Timeout bounds the whole session; 0 is DefaultHandshakeTimeout.
	Timeout time.Duration
	// Credentials, when set, log in inside TLS after the capabilities,
	// for the protocols that can (starttls.Protocol.Login); the password
	// is never shown.
	Credentials *starttls.Credentials
}

// Converse runs the conversation: each line of the dialog is a starttls
// event, those inside TLS marked InTLS; a timing event ends it. A failure
// of the dialog inside TLS is a StepHTTP error (the application exchange).
func Converse(ctx context.Context, t *source.Tracer, c *Conversation) error {
	p, err := starttls.Lookup(c.Protocol)
	if err != nil {
		return stepErr(StepUsage, err, "")
	}
	if p.After == nil {
		return &Error{Step: StepUsage, Err: &URLError{Problem: URLHandshakeOnly, Scheme: p.Scheme, Protocol: p, Host: net.JoinHostPort(c.Host, c.Port)}}
	}
	if c.Credentials != nil {
		if !p.Login {
			return advise(StepUsage, fmt.Errorf("tlstrace does not log in to %s servers", p.Title), AdviseNoLogin)
		}
		if err := p.CheckLogin(c.Credentials); err != nil {
			return stepErr(StepUsage, err, "")
		}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tm := &Timings{Start: time.Now()}
	proto := p.Name
	if c.Implicit {
		proto = ""
	}
	conn, raw, tc, tap, err := openSession(ctx, t, c.Network, c.Host, c.Port, c.ServerName, proto, &c.TLS, 0, tm)
	if raw != nil {
		defer raw.Close()
	}
	if err != nil {
		return err
	}
	defer tap.Wait(time.Second)
	defer tc.Close()

	first := true
	show := func(from trace.Side, line string) {
		if first && from == trace.Server {
			tm.TTFB, first = time.Since(tm.Start), false
		}
		t.Emit(trace.NewEvent(conn, from, &trace.StartTLS{Protocol: p.Name, Title: p.Title, Line: line, InTLS: true}))
	}
	d := starttls.NewDialog(tc, p, c.Host, show)
	d.Credentials = c.Credentials
	err = p.After(d, c.Implicit)
	if err == nil {
		// The server ends the session after the protocol's quit: its
		// close_notify (or the end of the connection) is read, then the
		// client's close_notify goes out.
		tc.CloseWrite()
	}
	emitTimings(t, conn, tm)
	return afterError(err, p)
}

// afterError says what a failed dialog inside TLS means.
func afterError(err error, p *starttls.Protocol) error {
	var (
		refused *starttls.RefusedError
		closed  *starttls.ClosedError
		login   *starttls.LoginError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &login):
		return advise(StepHTTP, err, AdviseCredentials)
	case errors.As(err, &refused):
		return stepErr(StepHTTP, err, fmt.Sprintf("the TLS session works; the server's %s answer inside it is not the usual one", p.Title))
	case errors.As(err, &closed):
		return stepErr(StepHTTP, err, "the TLS session was established; the server ended it during the dialog that follows")
	}
	return stepErr(StepHTTP, err, "")
}

// Withhold masks the secrets of c's Credentials in the plaintext of ev,
// an event of the conversation: the password, and the base64 of AUTH
// PLAIN's message that holds it, are overwritten with '*' of the same
// length in the event's decrypted bytes, so that no view nor export
// shows them, and recorded as masked (trace.Data.Masked), so that a view
// can say that those bytes are not what was sent. It does nothing
// without Credentials.
func (c *Conversation) Withhold(ev *trace.Event) {
	if c == nil || c.Credentials == nil || c.Credentials.Password == "" {
		return
	}
	d, ok := ev.Payload.(*trace.Data)
	if !ok || len(d.Bytes) == 0 {
		return
	}
	for _, s := range starttls.Secrets(c.Credentials) {
		for i := bytes.Index(d.Bytes, []byte(s)); i >= 0; i = bytes.Index(d.Bytes, []byte(s)) {
			for j := i; j < i+len(s); j++ {
				d.Bytes[j] = '*'
			}
			d.Masked = append(d.Masked, trace.Span{Offset: i, Length: len(s)})
		}
	}
	slices.SortFunc(d.Masked, func(a, b trace.Span) int { return a.Offset - b.Offset })
}
