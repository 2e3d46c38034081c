// This file follows an XMPP stream that a capture shows upgraded to TLS
// (RFC 6120, Section 5.4.2): each side's stream header, then each stanza
// (the features, <starttls/>, <proceed/>) is one info starttls event,
// worded as the live dialog words it, and TLS starts after <proceed/>.

package trace

import (
	"bytes"
	"fmt"
	"strings"
)

// xmppTLSNS is the namespace of the STARTTLS elements (RFC 6120, Section
// 5.4.2).
const xmppTLSNS = "urn:ietf:params:xml:ns:xmpp-tls"

// xmppClientStart reports whether the client's first bytes start an XML
// stream, with more when more bytes are needed to tell.
func xmppClientStart(b []byte) (protocol string, more bool) {
	for _, p := range []string{"<?xml", "<stream:stream"} {
		n := min(len(b), len(p))
		if string(b[:n]) == p[:n] {
			if n < len(p) {
				return "", true
			}
			return "xmpp", false
		}
	}
	return "", false
}

// xmppFeed reads side d's stream header and stanzas, each an event, until
// its TLS starts: as dialogFeed.
func (c *Conn) xmppFeed(d *direction, at Stamp) bool {
	f := &d.framer
	for {
		if c.dialog.upgrade {
			if len(f.buf) < 3 {
				return false
			}
			if looksLikeTLS(f.buf) {
				return true
			}
		}
		n, open := xmppElementEnd(f.buf)
		if n == 0 {
			if len(f.buf) > maxDialogLine {
				c.endDialogWhy(d, fmt.Sprintf("an XMPP stanza of more than %d bytes before TLS; not decoded further", maxDialogLine))
			}
			return false
		}
		raw := f.buf[:n]
		line := XMPPLine(string(raw))
		f.buf = f.buf[:copy(f.buf, f.buf[n:])]
		if open && bytes.Contains(raw, []byte("'jabber:server'")) || open && bytes.Contains(raw, []byte(`"jabber:server"`)) {
			c.dialog.protocol = "xmpp-server"
		}
		if line != "" {
			c.dialogLine(d.side, at, line)
		}
		isTLS := bytes.Contains(raw, []byte(xmppTLSNS))
		switch {
		case d.side == Client && isTLS && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("<starttls")):
			c.dialog.asked = "starttls"
		case d.side == Server && isTLS && c.dialog.asked == "starttls" && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("<proceed")):
			c.dialog.upgrade = true
		case d.side == Server && isTLS && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("<failure")):
			c.endDialogWhy(d, "the XMPP server refused STARTTLS (<failure/>); not decoded further")
			return false
		}
		if c.dialog.lines > maxDialogLines {
			c.endDialogWhy(d, fmt.Sprintf("the XMPP stream did not turn into TLS within %d stanzas; not decoded further", maxDialogLines))
			return false
		}
	}
}

// xmppElementEnd returns the length of the first piece of b that is a
// line of the dialog: a prologue with the stream header (open, left open)
// after it, or a whole stanza, the white space before it included; 0
// when b does not hold one whole yet.
func xmppElementEnd(b []byte) (n int, open bool) {
	depth := 0
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '<')
		if j < 0 {
			return 0, false
		}
		i += j
		end := xmppTagEnd(b[i:])
		if end < 0 {
			return 0, false
		}
		tag := b[i : i+end]
		i += end
		switch {
		case bytes.HasPrefix(tag, []byte("<?")), bytes.HasPrefix(tag, []byte("<!")):
			// The prologue: it goes with the stream header.
		case bytes.HasPrefix(tag, []byte("<stream:stream")):
			return i, true
		case bytes.HasPrefix(tag, []byte("</")):
			depth--
			if depth <= 0 {
				return i, false
			}
		case bytes.HasSuffix(tag, []byte("/>")):
			if depth == 0 {
				return i, false
			}
		default:
			depth++
		}
	}
	return 0, false
}

// xmppTagEnd returns the length of the tag b starts with, quotes
// respected, or -1 when it does not end in b.
func xmppTagEnd(b []byte) int {
	var quote byte
	for i := 1; i < len(b); i++ {
		switch {
		case quote != 0:
			if b[i] == quote {
				quote = 0
			}
		case b[i] == '"' || b[i] == '\'':
			quote = b[i]
		case b[i] == '>':
			return i + 1
		}
	}
	return -1
}

// XMPPLine writes a piece of the stream as one line, as the live dialog
// shows it: white space that holds a line break becomes one space.
func XMPPLine(raw string) string {
	var b strings.Builder
	for len(raw) > 0 {
		i := strings.IndexAny(raw, "\r\n")
		if i < 0 {
			b.WriteString(raw)
			break
		}
		b.WriteString(strings.TrimRight(raw[:i], " \t"))
		raw = strings.TrimLeft(raw[i:], " \t\r\n")
		if b.Len() > 0 && len(raw) > 0 {
			b.WriteByte(' ')
		}
	}
	return strings.TrimSpace(b.String())
}
