// Package starttls speaks the clear-text part of the protocols that
// upgrade a connection to TLS (STARTTLS, AUTH TLS, SSLRequest, …) or start
// in TLS on a port of their own (implicit TLS), as curl and openssl
// s_client -starttls do. One registry serves the client (connect, URLs),
// scan and serve, so every command speaks the same dialog.
//
// A Dialog reports every line (or, for binary protocols, every message)
// that goes either way, so the trace shows the dialog as it was on the
// wire. Nothing is changed on the server: no mail is sent, and no one
// logs in unless the dialog is given credentials (tlstrace -u), which it
// uses only inside TLS and never shows.
package starttls

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// Protocol is an application protocol that tlstrace speaks around TLS.
type Protocol struct {
	// Name is the protocol's name as --starttls takes it ("smtp"), openssl
	// s_client -starttls's.
	Name string
	// Title is the protocol's name in prose ("SMTP").
	Title string
	// Port is the usual port of the clear-text protocol, where it upgrades
	// with STARTTLS; TLSPort the usual port of its implicit TLS form, 0
	// when there is none.
	Port, TLSPort int
	// Scheme and TLSScheme are curl's URL schemes for the clear-text and
	// implicit TLS forms ("smtp", "smtps"), "" when curl has none.
	Scheme, TLSScheme string
	// ALPN is the protocol's ALPN identifier for implicit TLS, "" when it
	// has none.
	ALPN string
	// Upgrade runs the clear-text dialog up to the point where the client
	// starts the TLS handshake.
	Upgrade func(d *Dialog) error
	// After, when set, speaks the protocol inside TLS once the handshake is
	// done: the greeting (implicit is true when the session started in
	// TLS, so the greeting comes now), the capabilities, a login when the
	// dialog has Credentials (and the protocol has Login), and a polite
	// end of the session. It changes nothing on the server.
	After func(d *Dialog, implicit bool) error
	// Login says that After logs in when the dialog has Credentials.
	Login bool
	// checkLogin, when set, refuses credentials the protocol cannot log
	// in with (see CheckLogin).
	checkLogin func(c *Credentials) error
	// Serve, when set, speaks the server's side of Upgrade on a dialog of
	// NewServerDialog: the greeting, the answers to the client's commands
	// (refusing politely all but the few the clear-text part needs), up
	// to the answer that agrees to TLS. tlstrace serve --starttls uses
	// it.
	Serve func(d *Dialog) error
}

var registry = map[string]*Protocol{}

// register adds p to the registry; each protocol registers itself from
// its own file.
func register(p *Protocol) {
	if _, dup := registry[p.Name]; dup {
		panic("starttls: protocol registered twice: " + p.Name)
	}
	registry[p.Name] = p
}

// Names lists the protocols' names, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// UnknownError is a protocol name the registry does not hold.
type UnknownError struct {
	Name string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown STARTTLS protocol %q: want one of %s", e.Name, strings.Join(Names(), ", "))
}

// Lookup returns the protocol of that name, or an *UnknownError.
func Lookup(name string) (*Protocol, error) {
	if p, ok := registry[name]; ok {
		return p, nil
	}
	return nil, &UnknownError{Name: name}
}

// ByScheme returns the protocol whose URL scheme is scheme, and whether
// the scheme is its implicit TLS form; nil when no protocol has it.
func ByScheme(scheme string) (p *Protocol, implicit bool) {
	scheme = strings.ToLower(scheme)
	for _, n := range Names() {
		p := registry[n]
		switch scheme {
		case p.Scheme:
			if p.Scheme != "" {
				return p, false
			}
		case p.TLSScheme:
			if p.TLSScheme != "" {
				return p, true
			}
		}
	}
	return nil, false
}

// Limits of a dialog: a server's line or message longer than maxLine, or
// a reply of more than maxLines lines, ends the dialog with an error
// rather than growing without bound.
const (
	maxLine  = 16 << 10
	maxLines = 1000
)

// Show receives each line or message of a dialog: who sent it, and the
// line without its end (or a message's description).
type Show func(from trace.Side, line string)

// Dialog is one protocol dialog on a connection (clear text before TLS,
// or the TLS session after).
type Dialog struct {
	// Protocol is the protocol spoken.
	Protocol *Protocol
	// Host is the server's name, for the protocols that name it (XMPP's
	// stream header).
	Host string
	// Credentials, when set, are used by After to log in, inside TLS only.
	Credentials *Credentials
	w           io.Writer
	r           *bufio.Reader
	show        Show
	// self is the side this end speaks for: Client, or Server on a
	// dialog of NewServerDialog.
	self trace.Side
}

// NewDialog returns a dialog of p on rw, reporting each line to show.
func NewDialog(rw io.ReadWriter, p *Protocol, host string, show Show) *Dialog {
	if show == nil {
		show = func(trace.Side, string) {}
	}
	return &Dialog{Protocol: p, Host: host, w: rw, r: bufio.NewReaderSize(rw, 4096), show: show}
}

// NewServerDialog returns a dialog of p on rw from the server's side:
// Send speaks as the server, ReadLine reads the client's lines. host is
// the name the server gives itself.
func NewServerDialog(rw io.ReadWriter, p *Protocol, host string, show Show) *Dialog {
	d := NewDialog(rw, p, host, show)
	d.self = trace.Server
	return d
}

// peer names the other end in errors: "server", or "client" on a
// server's dialog.
func (d *Dialog) peer() string { return d.self.Other().String() }

// Show reports a line or message description as sent by from, for the
// binary protocols whose messages are not lines.
func (d *Dialog) Show(from trace.Side, line string) { d.show(from, line) }

// Buffered is the number of bytes the peer sent that the dialog has
// read from the connection and not consumed. Before the TLS handshake it
// must be 0: bytes there would be taken as TLS (RFC 3207, Section 4; the
// STARTTLS command injection of CVE-2011-0411).
func (d *Dialog) Buffered() int { return d.r.Buffered() }

// Reader is the dialog's buffered reader of the server, for binary
// protocols.
func (d *Dialog) Reader() *bufio.Reader { return d.r }

// Write sends b as it is, for binary protocols; the caller reports it
// with Show.
func (d *Dialog) Write(b []byte) error {
	if _, err := d.w.Write(b); err != nil {
		return &ClosedError{Protocol: d.Protocol.Name, Err: err, Client: d.self == trace.Server}
	}
	return nil
}

// Send sends one line, ending it with CR LF, and reports it.
func (d *Dialog) Send(line string) error {
	d.show(d.self, line)
	return d.Write([]byte(line + "\r\n"))
}

// Withheld is what the trace shows in place of a secret the client sent.
const Withheld = "<password withheld>"

// SendSecret sends line, which holds a secret, and reports shown (the
// line with the secret replaced by Withheld) in its place.
func (d *Dialog) SendSecret(line, shown string) error {
	d.show(d.self, shown)
	return d.Write([]byte(line + "\r\n"))
}

// ReadLine reads one line of the peer (the server, or the client on a
// server's dialog) and reports it; the line is returned without its end.
func (d *Dialog) ReadLine() (string, error) {
	var b []byte
	for {
		chunk, err := d.r.ReadSlice('\n')
		b = append(b, chunk...)
		if len(b) > maxLine {
			return "", &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the %s sent a line of more than %d bytes", d.peer(), maxLine)}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line := strings.TrimRight(string(b), "\r\n")
		if len(b) > 0 {
			d.show(d.self.Other(), line)
		}
		if err != nil {
			return line, &ClosedError{Protocol: d.Protocol.Name, Err: err, Client: d.self == trace.Server}
		}
		return line, nil
	}
}

// Reply reads a reply of one line or more: last says whether a line ends
// it (a multi-line SMTP or FTP reply ends with the line whose code is
// followed by a space). It returns the reply's lines.
func (d *Dialog) Reply(last func(line string) bool) ([]string, error) {
	var lines []string
	for len(lines) < maxLines {
		line, err := d.ReadLine()
		if err != nil {
			return lines, err
		}
		lines = append(lines, line)
		if last == nil || last(line) {
			return lines, nil
		}
	}
	return lines, &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the server's reply ran past %d lines", maxLines)}
}

// Expect reads a reply (see Reply) and checks that its last line starts
// with want; step names the exchange in an error ("greeting", "STARTTLS").
func (d *Dialog) Expect(step, want string, last func(line string) bool) ([]string, error) {
	lines, err := d.Reply(last)
	if err != nil {
		return lines, err
	}
	if got := lines[len(lines)-1]; !strings.HasPrefix(got, want) {
		return lines, &RefusedError{Protocol: d.Protocol.Name, Step: step, Answer: got, Want: want}
	}
	return lines, nil
}

// Coded says whether line ends a multi-line reply of the SMTP and FTP
// kind: three digits then a space (RFC 5321, Section 4.2.1; RFC 959,
// Section 4.2). A line too short for a code ends it too.
func Coded(line string) bool {
	return len(line) < 4 || line[3] != '-'
}

// CheckClear checks that nothing of the server waits unread before the
// TLS handshake starts; it returns an *InjectionError if it does.
func (d *Dialog) CheckClear() error {
	if n := d.Buffered(); n > 0 {
		return &InjectionError{Protocol: d.Protocol.Name, Bytes: n}
	}
	return nil
}

// ClosedError is a dialog that ended because the server closed the
// connection, or reading or writing failed (a deadline included).
type ClosedError struct {
	Protocol string
	Err      error
	// Client says that the client closed, on a server's dialog.
	Client bool
}

func (e *ClosedError) Error() string {
	if errors.Is(e.Err, io.EOF) {
		peer := "server"
		if e.Client {
			peer = "client"
		}
		return fmt.Sprintf("%s: the %s closed the connection during the dialog", e.Protocol, peer)
	}
	return fmt.Sprintf("%s: %v", e.Protocol, e.Err)
}

func (e *ClosedError) Unwrap() error { return e.Err }

// RefusedError is a server's answer other than the one the dialog needs
// to go on: the server does not offer TLS there, or refuses it now.
type RefusedError struct {
	Protocol string
	// Step names the exchange: "greeting", "STARTTLS", ….
	Step string
	// Answer is what the server said; Want what the dialog needed.
	Answer, Want string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s %s: the server answered %q, not %q", e.Protocol, e.Step, e.Answer, e.Want)
}

// Credentials are a user's name and password for a login inside TLS.
type Credentials struct {
	User, Password string
}

// LoginError is a server that refused the login: the credentials are
// wrong, or the server does not let that user in.
type LoginError struct {
	Protocol, User string
	// Answer is the server's answer to the login.
	Answer string
}

func (e *LoginError) Error() string {
	return fmt.Sprintf("%s: the server refused the login of %q: %q", e.Protocol, e.User, e.Answer)
}

// ProtocolError is a server's message the dialog cannot read: malformed,
// too long, or not of the protocol.
type ProtocolError struct {
	Protocol, Reason string
}

func (e *ProtocolError) Error() string { return e.Protocol + ": " + e.Reason }

// InjectionError is a server that sent bytes after its answer to the
// upgrade and before the TLS handshake: a client that took them as TLS
// would be open to the injection of clear-text commands (CVE-2011-0411),
// so the dialog stops.
//
// On a server's dialog (Client set), it is a client that sent bytes after
// its command to start TLS, in the same breath: commands pipelined there
// would be run inside TLS as if the client had sent them there (the
// injection of CVE-2011-0411), so the server refuses and discards them.
type InjectionError struct {
	Protocol string
	Bytes    int
	Client   bool
}

func (e *InjectionError) Error() string {
	if e.Client {
		return fmt.Sprintf("%s: the client sent %d bytes after its command to start TLS, before the TLS handshake; refused and discarded", e.Protocol, e.Bytes)
	}
	return fmt.Sprintf("%s: the server sent %d bytes after agreeing to TLS and before the TLS handshake", e.Protocol, e.Bytes)
}

// Upgrade runs p's clear-text dialog on rw up to the TLS handshake,
// reporting each line to show. host is the server's name.
func Upgrade(rw io.ReadWriter, p *Protocol, host string, show Show) error {
	d := NewDialog(rw, p, host, show)
	if err := p.Upgrade(d); err != nil {
		return err
	}
	return d.CheckClear()
}
