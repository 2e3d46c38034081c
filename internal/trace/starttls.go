// This file follows the plaintext dialog of a connection that a capture
// shows upgraded to TLS by STARTTLS (SMTP and LMTP, RFC 3207; IMAP, RFC
// 9051, Section 6.2.1; POP3's STLS, RFC 2595, Section 4; NNTP, RFC 4642;
// ManageSieve, RFC 5804; FTP's AUTH TLS, RFC 4217, Section 4), or by a
// tunnel through an HTTP proxy (CONNECT, RFC 9110, Section 9.3.6): each
// line is an info starttls event, and each side's records start where its
// TLS bytes do, after the client's upgrade command (for CONNECT, after
// each side's head: the request, the proxy's response). IRC's STARTTLS,
// which the client sends first, is read the same way; the binary
// upgrades (PostgreSQL, MySQL, LDAP) are in dbdialog.go, XMPP's in
// xmppdialog.go, SOCKS tunnels in socks.go.

package trace

import (
	"bytes"
	"fmt"
	"strings"
)

const (
	// maxDialogLine bounds a line of a plaintext dialog: SMTP's is 1000
	// bytes with its CRLF (RFC 5321, Section 4.5.3.1.6); IMAP's may be
	// longer, but an upgrade comes early.
	maxDialogLine = 8 << 10
	// maxDialogLines bounds the lines before the upgrade; past them the
	// stream is taken for one that is not TLS.
	maxDialogLines = 200
)

// dialog is the state of a plaintext dialog that may turn into TLS.
type dialog struct {
	protocol string
	lines    int
	// upgrade is set once the client sent an upgrade command: from then
	// on a side's bytes that read as TLS start its records.
	upgrade bool
	// connect is set for an HTTP CONNECT request: the end of the
	// client's head (an empty line) is the upgrade.
	connect bool
	// binary is set for a dialog of binary messages (dbdialog.go);
	// asked is the request that waits for the server's answer.
	binary bool
	asked  string
	// xmpp is set for an XML stream (xmppdialog.go).
	xmpp bool
}

// ProtocolHTTPConnect is the protocol of the dialog of a tunnel through an
// HTTP proxy (the StartTLS events' Protocol).
const ProtocolHTTPConnect = "http_connect"

// ircStartTLS is an IRC client's request for TLS, sent before the
// server's first line (IRCv3 tls extension).
const ircStartTLS = "STARTTLS\r\n"

// connectMethod starts the request line of an HTTP CONNECT request (RFC
// 9110, Section 9.3.6: the method is case-sensitive).
const connectMethod = "CONNECT "

// FollowStartTLS lets the decoder follow a plaintext dialog that turns into
// TLS with STARTTLS (a capture's): a stream whose server speaks first with
// the greeting of such a protocol is shown line by line until TLS starts,
// instead of as a stream that is not TLS.
func (c *Conn) FollowStartTLS() { c.followStartTLS = true }

// greeting returns the protocol whose server greeting b starts with, or ""
// for none that can go on with STARTTLS.
func greeting(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("220 ")), bytes.HasPrefix(b, []byte("220-")):
		return "smtp" // or FTP: the upgrade command tells
	case bytes.HasPrefix(b, []byte("* OK")), bytes.HasPrefix(b, []byte("* PREAUTH")):
		return "imap"
	case bytes.HasPrefix(b, []byte("+OK")):
		return "pop3"
	case bytes.HasPrefix(b, []byte("200 ")), bytes.HasPrefix(b, []byte("201 ")):
		return "nntp"
	case bytes.HasPrefix(b, []byte(`"IMPLEMENTATION" `)):
		return "sieve"
	}
	return ""
}

// upgradeCommand returns the protocol whose command asking for TLS the
// client's line is, or "" if it is none.
func upgradeCommand(line string, protocol string) string {
	f := strings.Fields(strings.ToUpper(line))
	switch {
	case len(f) == 1 && f[0] == "STARTTLS":
		return protocol
	case len(f) == 2 && f[1] == "STARTTLS" && protocol == "imap":
		return protocol
	case len(f) == 1 && f[0] == "STLS" && protocol == "pop3":
		return protocol
	case len(f) == 2 && f[0] == "AUTH" && (f[1] == "TLS" || f[1] == "SSL" || f[1] == "TLS-C") && protocol == "smtp":
		return "ftp"
	}
	return ""
}

// dialogFeed reads the lines of side d's buffered bytes, each an event,
// until its TLS starts: it reports true when the buffer starts with that
// side's first record, false while it waits for more bytes. It gives up
// (the stream is then not TLS) after too many or too long lines.
func (c *Conn) dialogFeed(d *direction, at Stamp) bool {
	if c.dialog.binary {
		return c.binaryFeed(d, at)
	}
	if c.dialog.xmpp {
		return c.xmppFeed(d, at)
	}
	f := &d.framer
	for {
		if c.dialog.upgrade && len(f.buf) >= 3 && looksLikeTLS(f.buf) {
			return true
		}
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			if len(f.buf) > maxDialogLine {
				c.endDialog(d)
			}
			return false
		}
		line := strings.TrimRight(string(f.buf[:i+1]), "\r\n")
		f.buf = f.buf[:copy(f.buf, f.buf[i+1:])]
		if d.side == Client && !c.dialog.upgrade && c.dialog.connect {
			// The request's head ends with an empty line; the proxy's
			// response head ends likewise, before the tunnel's bytes.
			c.dialog.upgrade = line == ""
		} else if d.side == Client && !c.dialog.upgrade {
			if p := upgradeCommand(line, c.dialog.protocol); p != "" {
				c.dialog.protocol, c.dialog.upgrade = p, true
			}
		}
		c.dialogLine(d.side, at, line)
		if c.dialog.lines > maxDialogLines {
			c.endDialog(d)
			return false
		}
	}
}

// dialogLine emits a line (or message) of the dialog, sent by side.
func (c *Conn) dialogLine(side Side, at Stamp, line string) {
	ev := NewEvent(c.id, side, &StartTLS{Protocol: c.dialog.protocol, Line: line})
	ev.Frame, ev.Time = at.Frame, at.Time
	c.emit(ev)
	c.dialog.lines++
}

// endDialog gives up on a dialog that did not turn into TLS: the stream is
// not TLS from here on.
func (c *Conn) endDialog(d *direction) {
	c.endDialogWhy(d, fmt.Sprintf("the plaintext dialog (%s) did not turn into TLS within %d lines of at most %d bytes; not decoded further", c.dialog.protocol, maxDialogLines, maxDialogLine))
}

// endDialogWhy gives up on a dialog, saying why.
func (c *Conn) endDialogWhy(d *direction, why string) {
	c.notTLS = true
	c.emit(&Event{From: d.side, Layer: LayerTCP, Type: TypeNotTLS, Frame: d.at.Frame, Time: d.at.Time, Error: why})
	c.dialog = nil
	d.framer.reset()
	c.dirs[d.side.Other()].framer.reset()
}
