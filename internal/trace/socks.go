// This file follows a tunnel through a SOCKS proxy that a capture shows
// carrying TLS: SOCKS5 (RFC 1928, with RFC 1929's username and password,
// the password withheld) and SOCKS4/4a. Each message is one info starttls
// event, and TLS starts after the proxy's success reply.

package trace

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Protocols of the SOCKS dialogs (the StartTLS events' Protocol).
const (
	protocolSOCKS5 = "socks5"
	protocolSOCKS4 = "socks4"
)

// socksClientStart reports whether the client's first bytes b are a
// SOCKS5 greeting or a SOCKS4 CONNECT request, with more when more bytes
// are needed to tell.
func socksClientStart(b []byte) (protocol string, more bool) {
	switch {
	case len(b) == 0:
		return "", false
	case b[0] == 5:
		// VER, NMETHODS, METHODS (RFC 1928, Section 3).
		if len(b) < 2 {
			return "", true
		}
		if b[1] == 0 || b[1] > 16 {
			return "", false
		}
		if len(b) < 2+int(b[1]) {
			return "", true
		}
		return protocolSOCKS5, false
	case b[0] == 4:
		// VN, CD (1: CONNECT), DSTPORT, DSTIP, USERID, NUL.
		if len(b) < 2 {
			return "", true
		}
		if b[1] != 1 {
			return "", false
		}
		return protocolSOCKS4, false
	}
	return "", false
}

// socksMethods names SOCKS5's authentication methods (RFC 1928, Section 3).
var socksMethods = map[byte]string{0: "no authentication", 1: "GSSAPI", 2: "username/password", 0xff: "no acceptable method"}

func socksMethod(m byte) string {
	if n, ok := socksMethods[m]; ok {
		return fmt.Sprintf("%s (0x%02x)", n, m)
	}
	return fmt.Sprintf("method 0x%02x", m)
}

// socksReplies names SOCKS5's reply codes (RFC 1928, Section 6).
var socksReplies = []string{"succeeded", "general SOCKS server failure", "connection not allowed by ruleset", "network unreachable",
	"host unreachable", "connection refused", "TTL expired", "command not supported", "address type not supported"}

func socksReply(r byte) string {
	if int(r) < len(socksReplies) {
		return fmt.Sprintf("%s (0x%02x)", socksReplies[r], r)
	}
	return fmt.Sprintf("reply 0x%02x", r)
}

// socks5Address reads an address of SOCKS5 (ATYP, then the address and
// the port): its text, its length, 0 when more bytes are needed, -1 when
// the type is unknown.
func socks5Address(b []byte) (string, int) {
	if len(b) < 1 {
		return "", 0
	}
	var host string
	n := 0
	switch b[0] {
	case 1:
		n = 1 + 4
		if len(b) < n+2 {
			return "", 0
		}
		host = netip.AddrFrom4([4]byte(b[1:5])).String()
	case 3:
		if len(b) < 2 {
			return "", 0
		}
		n = 2 + int(b[1])
		if len(b) < n+2 {
			return "", 0
		}
		host = strconv.Quote(string(b[2:n]))
		host = host[1 : len(host)-1]
	case 4:
		n = 1 + 16
		if len(b) < n+2 {
			return "", 0
		}
		host = "[" + netip.AddrFrom16([16]byte(b[1:17])).String() + "]"
	default:
		return "", -1
	}
	return host + ":" + strconv.Itoa(int(binary.BigEndian.Uint16(b[n:]))), n + 2
}

// socksMessage reads a message of the SOCKS dialog. n is 0 when more
// bytes are needed; refused says why the stream is not TLS.
func (c *Conn) socksMessage(side Side, b []byte) (n int, line, refused string) {
	if c.dialog.protocol == protocolSOCKS4 {
		return c.socks4Message(side, b)
	}
	switch {
	case side == Client && c.dialog.asked == "":
		if len(b) < 2 || len(b) < 2+int(b[1]) {
			return 0, "", ""
		}
		k := 2 + int(b[1])
		var names []string
		for _, m := range b[2:k] {
			names = append(names, socksMethod(m))
		}
		c.dialog.asked = "methods"
		return k, "greeting: methods " + strings.Join(names, ", "), ""
	case side == Server && c.dialog.asked == "methods":
		if len(b) < 2 {
			return 0, "", ""
		}
		line = "method " + socksMethod(b[1])
		switch b[1] {
		case 0:
			c.dialog.asked = "request"
		case 2:
			c.dialog.asked = "login"
		default:
			return 2, line, "the SOCKS proxy chose " + socksMethod(b[1]) + ", which tlstrace does not follow; not decoded further"
		}
		return 2, line, ""
	case side == Client && c.dialog.asked == "login":
		// RFC 1929: VER, ULEN, UNAME, PLEN, PASSWD.
		if len(b) < 2 || len(b) < 3+int(b[1]) || len(b) < 3+int(b[1])+int(b[2+int(b[1])]) {
			return 0, "", ""
		}
		u := int(b[1])
		c.dialog.asked = "login sent"
		return 3 + u + int(b[2+u]), fmt.Sprintf("username %q, password <password withheld>", b[2:2+u]), ""
	case side == Server && c.dialog.asked == "login sent":
		if len(b) < 2 {
			return 0, "", ""
		}
		if b[1] != 0 {
			return 2, fmt.Sprintf("login refused (status 0x%02x)", b[1]), "the SOCKS proxy refused the login; not decoded further"
		}
		c.dialog.asked = "request"
		return 2, "login accepted", ""
	case side == Client && c.dialog.asked == "request":
		// VER, CMD, RSV, DST.ADDR, DST.PORT (RFC 1928, Section 4).
		if len(b) < 4 {
			return 0, "", ""
		}
		addr, k := socks5Address(b[3:])
		switch {
		case k == 0:
			return 0, "", ""
		case k < 0 || b[1] != 1:
			return 0, "", fmt.Sprintf("the SOCKS5 request (command 0x%02x, address type 0x%02x) is not a CONNECT tlstrace follows; not decoded further", b[1], b[3])
		}
		c.dialog.asked = "connect"
		return 3 + k, "CONNECT " + addr, ""
	case side == Server && c.dialog.asked == "connect":
		if len(b) < 4 {
			return 0, "", ""
		}
		addr, k := socks5Address(b[3:])
		switch {
		case k == 0:
			return 0, "", ""
		case k < 0:
			return 0, "", fmt.Sprintf("the SOCKS5 reply's address type 0x%02x is unknown; not decoded further", b[3])
		}
		line = "reply " + socksReply(b[1]) + ", bound " + addr
		if b[1] != 0 {
			return 3 + k, line, "the SOCKS proxy did not connect (" + socksReply(b[1]) + "); not decoded further"
		}
		c.dialog.upgrade = true
		return 3 + k, line, ""
	}
	return 0, "", fmt.Sprintf("the SOCKS %s sent 0x%02x out of turn; not decoded further", side, b[0])
}

// socks4Message reads SOCKS4's CONNECT request (VN, CD, DSTPORT, DSTIP,
// USERID, NUL; SOCKS4a adds the host name after a DSTIP of 0.0.0.x) and
// the proxy's 8-byte reply (90: granted).
func (c *Conn) socks4Message(side Side, b []byte) (n int, line, refused string) {
	if side == Client && c.dialog.asked == "" {
		if len(b) < 9 {
			return 0, "", ""
		}
		user := strings.IndexByte(string(b[8:]), 0)
		if user < 0 {
			return 0, "", ""
		}
		n = 8 + user + 1
		host := netip.AddrFrom4([4]byte(b[4:8])).String()
		if b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] != 0 {
			end := strings.IndexByte(string(b[n:]), 0)
			if end < 0 {
				return 0, "", ""
			}
			host = strconv.Quote(string(b[n : n+end]))
			host = host[1 : len(host)-1]
			n += end + 1
		}
		c.dialog.asked = "connect"
		return n, fmt.Sprintf("CONNECT %s:%d, user %q", host, binary.BigEndian.Uint16(b[2:]), b[8:8+user]), ""
	}
	if side == Server && c.dialog.asked == "connect" {
		if len(b) < 8 {
			return 0, "", ""
		}
		if b[1] != 90 {
			return 8, fmt.Sprintf("reply %d (rejected or failed)", b[1]), "the SOCKS4 proxy did not connect; not decoded further"
		}
		c.dialog.upgrade = true
		return 8, "reply 90 (granted)", ""
	}
	return 0, "", fmt.Sprintf("the SOCKS %s sent 0x%02x out of turn; not decoded further", side, b[0])
}
