package starttls

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// mysqlGreeting is a Handshake v10 packet (header included) as MariaDB
// sends it, with the capability flags caps.
func mysqlGreeting(version string, caps uint32) string {
	b := appendMySQLHandshake(nil, &mysqlHandshake{Version: version, ConnID: 7, Capabilities: caps, Charset: 45, Long: true})
	return string(mysqlFrame(b, 0))
}

// mysqlFrame puts a packet's header before payload.
func mysqlFrame(payload []byte, seq byte) []byte {
	n := len(payload)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, payload...)
}

// appendMySQLHandshake encodes h as a Handshake v10 payload, with an
// authentication part such as servers send, for tests.
func appendMySQLHandshake(b []byte, h *mysqlHandshake) []byte {
	b = append(b, mysqlHandshakeV10)
	b = append(b, h.Version...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint32(b, h.ConnID)
	b = append(b, "abcdefgh"...) // auth-plugin-data-part-1
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(h.Capabilities))
	if !h.Long {
		return b
	}
	b = append(b, h.Charset, 2, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(h.Capabilities>>16))
	b = append(b, 21)
	b = append(b, make([]byte, 10)...)
	b = append(b, "ijklmnopqrst\x00"...)
	return append(b, "mysql_native_password\x00"...)
}

func TestDatabaseDialogs(t *testing.T) {
	for _, tc := range []struct {
		proto, server string
		sent          string
		shown         []string
	}{
		{"postgres", "S", "\x00\x00\x00\x08\x04\xd2\x16\x2f",
			[]string{"C: SSLRequest (8 bytes, code 80877103)", "S: S (TLS accepted)"}},
		{"mysql", mysqlGreeting("11.8.3-MariaDB", 0x0020f7fe|mysqlSSL),
			string(mysqlFrame(append(binary.LittleEndian.AppendUint32(nil, mysqlClientCapabilities), 0, 0, 0, 1, 33,
				0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 1)),
			[]string{
				`S: Handshake v10 (82 bytes, seq 0): server "11.8.3-MariaDB", connection 7, capabilities 0x0020fffe, SSL offered (CLIENT_SSL)`,
				"C: SSLRequest (32 bytes, seq 1): capabilities 0x00008a01 with CLIENT_SSL, max packet 16777216, character set 33",
			}},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			shown, sent, err := upgrade(t, tc.proto, tc.server)
			if err != nil {
				t.Fatalf("%v (shown %q)", err, shown)
			}
			if sent != tc.sent {
				t.Errorf("sent %q, want %q", sent, tc.sent)
			}
			if strings.Join(shown, "\n") != strings.Join(tc.shown, "\n") {
				t.Errorf("shown\n%s\nwant\n%s", strings.Join(shown, "\n"), strings.Join(tc.shown, "\n"))
			}
		})
	}
}

func TestDatabaseFailures(t *testing.T) {
	var refused *RefusedError
	var closed *ClosedError
	var injection *InjectionError
	var protocol *ProtocolError
	errPacket := string(mysqlFrame([]byte("\xff\x69\x04#HY000Host '127.0.0.1' is not allowed to connect"), 0))
	short := mysqlFrame(appendMySQLHandshake(nil, &mysqlHandshake{Version: "5.0", Capabilities: mysqlSSL}), 0)
	for _, tc := range []struct {
		name, proto, server string
		target              any
		shown               string // the server's last line shown
	}{
		{"postgres refuses", "postgres", "N", &refused, "S: N (TLS refused)"},
		{"postgres error", "postgres", "EFATAL", &protocol, "S: E (an ErrorResponse, not an answer to SSLRequest)"},
		{"postgres other", "postgres", "\x16", &protocol, "S: 0x16 (neither S nor N)"},
		{"postgres closes", "postgres", "", &closed, "C: SSLRequest (8 bytes, code 80877103)"},
		// CVE-2021-23222: bytes after the 'S' would be taken as TLS.
		{"postgres injection", "postgres", "S\x16\x03\x01", &injection, "S: S (TLS accepted)"},
		{"mysql without SSL", "mysql", mysqlGreeting("10.11.6-MariaDB", 0xf7fe), &refused,
			`S: Handshake v10 (83 bytes, seq 0): server "10.11.6-MariaDB", connection 7, capabilities 0x0000f7fe, SSL not offered (no CLIENT_SSL)`},
		{"mysql error", "mysql", errPacket, &refused,
			`S: ERR packet (51 bytes, seq 0): error 1129: "Host '127.0.0.1' is not allowed to connect"`},
		{"mysql protocol 9", "mysql", string(mysqlFrame([]byte("\x095.0\x00"), 0)), &protocol,
			"S: a packet of 5 bytes (seq 0) that is no Handshake v10: protocol version 9, not 10"},
		{"mysql cut", "mysql", string(short[:20]), &closed, ""},
		{"mysql too long", "mysql", "\xff\xff\xff\x00", &protocol,
			"S: a packet of 16777215 bytes (seq 0), too long for a greeting"},
		{"mysql injection", "mysql", mysqlGreeting("8.0.36", mysqlSSL) + "\x00", &injection, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shown, _, err := upgrade(t, tc.proto, tc.server)
			if err == nil || !errors.As(err, tc.target) {
				t.Fatalf("error %v (%T), want a %T", err, err, tc.target)
			}
			if tc.shown != "" && (len(shown) == 0 || shown[len(shown)-1] != tc.shown) {
				t.Errorf("shown %q, want the last %q", shown, tc.shown)
			}
		})
	}
	// A greeting without the upper capability flags is read too.
	h, _, err := parseMySQLGreeting(short[4:])
	if err != nil || h.Version != "5.0" || h.Capabilities != mysqlSSL || h.Long {
		t.Errorf("short greeting: %+v, %v", h, err)
	}
}

// FuzzMySQLGreeting: the parser of a server's first packet never panics,
// and what it reads of a Handshake v10, encoded again, reads the same.
func FuzzMySQLGreeting(f *testing.F) {
	f.Add(appendMySQLHandshake(nil, &mysqlHandshake{Version: "11.8.3-MariaDB", ConnID: 3, Capabilities: 0xfffff7fe, Charset: 8, Long: true}))
	f.Add(appendMySQLHandshake(nil, &mysqlHandshake{Version: "5.0", Capabilities: mysqlSSL}))
	f.Add([]byte("\xff\x10\x04Too many connections"))
	f.Add([]byte("\xff\x69\x04#HY000Host"))
	f.Add([]byte("\x0a8.0\x00\x01\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, e, err := parseMySQLGreeting(b)
		switch {
		case err != nil:
			if h != nil || e != nil {
				t.Fatalf("an error and a result: %v", err)
			}
			return
		case e != nil:
			if h != nil || b[0] != mysqlErrPacket {
				t.Fatalf("an ERR packet that does not start with 0xff")
			}
			return
		case h == nil:
			t.Fatal("no result and no error")
		}
		if strings.IndexByte(h.Version, 0) >= 0 {
			t.Fatalf("version %q holds a NUL", h.Version)
		}
		h2, _, err := parseMySQLGreeting(appendMySQLHandshake(nil, h))
		if err != nil || *h2 != *h {
			t.Fatalf("read %+v, encoded and read again %+v (%v)", h, h2, err)
		}
	})
}
