package starttls

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// The server's side of the mail protocols' upgrades, for tlstrace serve
// --starttls: a server that offers STARTTLS and nothing else before TLS.
// This file's init runs after mail.go's (files initialize in name order),
// so the protocols are registered already.
func init() {
	registry["smtp"].Serve = func(d *Dialog) error { return serveLines(d, smtpServer(d.Host)) }
	registry["imap"].Serve = func(d *Dialog) error { return serveLines(d, imapServer(d.Host)) }
	registry["pop3"].Serve = func(d *Dialog) error { return serveLines(d, pop3Server(d.Host)) }
}

// Served lists the protocols whose server side tlstrace speaks, sorted.
func Served() []string {
	var names []string
	for _, n := range Names() {
		if registry[n].Serve != nil {
			names = append(names, n)
		}
	}
	return names
}

// NotServedError is a protocol whose server side tlstrace does not speak.
type NotServedError struct {
	Name string
}

func (e *NotServedError) Error() string {
	return fmt.Sprintf("tlstrace serves no STARTTLS of %q: want one of %s", e.Name, strings.Join(Served(), ", "))
}

// ErrQuit is a client that ended the session before asking for TLS.
var ErrQuit = errors.New("the client quit before starting TLS")

// ServeUpgrade runs the server's side of p's dialog on rw up to the TLS
// handshake, reporting each line to show; host is the name the server
// gives itself. A client that quits gives a *ClosedError of ErrQuit; one
// that sends more after its command to start TLS, an *InjectionError.
func ServeUpgrade(rw io.ReadWriter, p *Protocol, host string, show Show) error {
	if p.Serve == nil {
		return &NotServedError{Name: p.Name}
	}
	if host == "" {
		host = "localhost"
	}
	return p.Serve(NewServerDialog(rw, p, host, show))
}

// maxCommands bounds the commands a client may send before it asks for
// TLS, so that a client cannot hold the connection with NOOPs.
const maxCommands = 100

// act is what a server does after its reply to a command.
type act int

const (
	goOn     act = iota
	startTLS     // the reply agreed to TLS: the handshake comes next
	end          // the client quit
)

// lineServer is the clear-text part of a line-based protocol's server.
type lineServer struct {
	greeting []string
	// answer replies to one command line.
	answer func(line string) ([]string, act)
	// pipelined is the reply, in place of the agreement, to a command to
	// start TLS followed by more bytes.
	pipelined func(line string) string
	// tooLong and tooMany are the last replies to a line too long and to
	// a client past maxCommands.
	tooLong, tooMany string
}

// serveLines greets the client and answers its commands until it asks for
// TLS (RFC 3207, Section 4: nothing it sent before may be taken as sent
// inside TLS) or quits.
func serveLines(d *Dialog, s lineServer) error {
	if err := d.sendAll(s.greeting); err != nil {
		return err
	}
	for range maxCommands {
		line, err := d.ReadLine()
		if err != nil {
			var pe *ProtocolError
			if errors.As(err, &pe) {
				d.Send(s.tooLong)
			}
			return err
		}
		replies, next := s.answer(line)
		if next == startTLS {
			if n := d.Buffered(); n > 0 {
				d.Send(s.pipelined(line))
				return &InjectionError{Protocol: d.Protocol.Name, Bytes: n, Client: true}
			}
		}
		if err := d.sendAll(replies); err != nil {
			return err
		}
		switch next {
		case startTLS:
			return nil
		case end:
			return &ClosedError{Protocol: d.Protocol.Name, Err: ErrQuit, Client: true}
		}
	}
	d.Send(s.tooMany)
	return &ProtocolError{Protocol: d.Protocol.Name, Reason: fmt.Sprintf("the client sent %d commands without starting TLS", maxCommands)}
}

// sendAll sends lines in order.
func (d *Dialog) sendAll(lines []string) error {
	for _, l := range lines {
		if err := d.Send(l); err != nil {
			return err
		}
	}
	return nil
}

// verb splits a command line into its upper-cased first word and the rest.
func verb(line string) (string, string) {
	v, rest, _ := strings.Cut(line, " ")
	return strings.ToUpper(v), strings.TrimSpace(rest)
}

// smtpServer is an SMTP server that requires TLS (RFC 3207, Section 4):
// EHLO advertises STARTTLS, and every command but EHLO, HELO, NOOP, RSET,
// STARTTLS and QUIT gets 530.
func smtpServer(host string) lineServer {
	return lineServer{
		greeting: []string{"220 " + host + " ESMTP tlstrace serve"},
		answer: func(line string) ([]string, act) {
			v, arg := verb(line)
			switch v {
			case "EHLO":
				if arg == "" {
					return []string{"501 5.5.4 EHLO needs a domain"}, goOn
				}
				return []string{"250-" + host + " greets " + arg, "250 STARTTLS"}, goOn
			case "HELO":
				if arg == "" {
					return []string{"501 5.5.4 HELO needs a domain"}, goOn
				}
				return []string{"250 " + host}, goOn
			case "STARTTLS":
				if arg != "" {
					return []string{"501 5.5.4 STARTTLS takes no parameter"}, goOn
				}
				return []string{"220 2.0.0 Ready to start TLS"}, startTLS
			case "NOOP", "RSET":
				return []string{"250 2.0.0 OK"}, goOn
			case "QUIT":
				return []string{"221 2.0.0 Bye"}, end
			}
			return []string{"530 5.7.0 Must issue a STARTTLS command first"}, goOn
		},
		pipelined: func(string) string {
			return "554 5.5.0 Commands sent after STARTTLS in the same breath are refused"
		},
		tooLong: "500 5.5.2 Line too long",
		tooMany: "421 4.7.0 Too many commands without STARTTLS, closing",
	}
}

// imapCaps are the capabilities of the IMAP server before TLS: no login
// before TLS (RFC 9051, Section 6.2.3).
const imapCaps = "IMAP4rev1 STARTTLS LOGINDISABLED"

// imapServer is an IMAP server whose only way on is STARTTLS (RFC 9051,
// Section 6.2.1).
func imapServer(host string) lineServer {
	return lineServer{
		greeting: []string{"* OK [CAPABILITY " + imapCaps + "] " + host + " tlstrace serve ready"},
		answer: func(line string) ([]string, act) {
			tag, cmd, ok := strings.Cut(line, " ")
			if !ok || tag == "" || tag == "*" || tag == "+" {
				return []string{"* BAD Missing tag"}, goOn
			}
			v, arg := verb(cmd)
			switch v {
			case "CAPABILITY":
				return []string{"* CAPABILITY " + imapCaps, tag + " OK CAPABILITY completed"}, goOn
			case "NOOP":
				return []string{tag + " OK NOOP completed"}, goOn
			case "STARTTLS":
				if arg != "" {
					return []string{tag + " BAD STARTTLS takes no argument"}, goOn
				}
				return []string{tag + " OK Begin TLS negotiation now"}, startTLS
			case "LOGOUT":
				return []string{"* BYE " + host + " logging out", tag + " OK LOGOUT completed"}, end
			case "LOGIN", "AUTHENTICATE":
				return []string{tag + " NO [PRIVACYREQUIRED] Log in after STARTTLS"}, goOn
			}
			return []string{tag + " BAD Only CAPABILITY, NOOP, STARTTLS and LOGOUT before TLS"}, goOn
		},
		pipelined: func(line string) string {
			tag, _, _ := strings.Cut(line, " ")
			return tag + " BAD Commands sent after STARTTLS in the same breath are refused"
		},
		tooLong: "* BYE Line too long",
		tooMany: "* BYE Too many commands without STARTTLS",
	}
}

// pop3Caps are the POP3 server's capabilities before TLS (RFC 2449).
var pop3Caps = []string{"+OK Capability list follows", "STLS", "."}

// pop3Server is a POP3 server whose only way on is STLS (RFC 2595,
// Section 4).
func pop3Server(host string) lineServer {
	return lineServer{
		greeting: []string{"+OK " + host + " tlstrace serve ready"},
		answer: func(line string) ([]string, act) {
			v, arg := verb(line)
			switch v {
			case "CAPA":
				return slices.Clone(pop3Caps), goOn
			case "STLS":
				if arg != "" {
					return []string{"-ERR STLS takes no argument"}, goOn
				}
				return []string{"+OK Begin TLS negotiation"}, startTLS
			case "QUIT":
				return []string{"+OK " + host + " signing off"}, end
			case "USER", "PASS", "APOP", "AUTH":
				return []string{"-ERR Log in after STLS"}, goOn
			}
			return []string{"-ERR Only CAPA, STLS and QUIT before TLS"}, goOn
		},
		pipelined: func(string) string {
			return "-ERR Commands sent after STLS in the same breath are refused"
		},
		tooLong: "-ERR Line too long",
		tooMany: "-ERR Too many commands without STLS",
	}
}
