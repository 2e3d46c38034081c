package capture

import (
	"encoding/hex"
	"testing"
)

// TestClassifyUDP reads datagrams' first headers as DTLS or QUIC: a DTLS
// ClientHello and HelloVerifyRequest as openssl s_client and s_server
// -dtls send them, client Initial headers of QUIC v1 and v2 (the
// connection ID of RFC 9001, Appendix A; v2 numbers its packet types
// otherwise, RFC 9369, Section 3.2), a Version Negotiation packet, a short header on port 443 and elsewhere, and UDP
// that is neither.
func TestClassifyUDP(t *testing.T) {
	for _, c := range []struct {
		name      string
		hex       string
		port443   bool
		ok        bool
		proto     string
		version   string
		first     string
		byPortSet bool
	}{
		{name: "DTLS ClientHello", hex: "16feff0000000000000000000c010000b400000000000000b4", ok: true, proto: "DTLS", version: "DTLS 1.0", first: "ClientHello"},
		{name: "DTLS HelloVerifyRequest", hex: "16feff00000000000000000023030000170000000000000017feff1423d307caa3ceadd795457442ace4a8e58aefa5c4", ok: true, proto: "DTLS", version: "DTLS 1.0", first: "HelloVerifyRequest"},
		{name: "DTLS 1.2 application data", hex: "17fefd000100000000000100050102030405", ok: true, proto: "DTLS", version: "DTLS 1.2", first: "application_data"},
		{name: "DTLS length past the datagram", hex: "16fefd0000000000000000000c0100", ok: false},
		{name: "QUIC v1 Initial", hex: "c000000001088394c8f03e5157080000449e7b9aec34", ok: true, proto: "QUIC", version: "QUIC v1", first: "Initial"},
		{name: "QUIC v2 Initial (type 0b01)", hex: "d76b3343cf088394c8f03e5157080000449ea0c95e82", ok: true, proto: "QUIC", version: "QUIC v2", first: "Initial"},
		{name: "QUIC Version Negotiation", hex: "8a0000000008f067a5502a4262b5040a0a0a0a00000001", ok: true, proto: "QUIC", version: "QUIC version negotiation", first: "Version Negotiation"},
		{name: "unknown QUIC version", hex: "c0abcdef01088394c8f03e5157080000449e", ok: false},
		{name: "connection ID too long", hex: "c00000000115000102030405060708090a0b0c0d0e0f1011121314", ok: false},
		{name: "short header on 443", hex: "4300112233445566778899aabbccddeeff00112233", port443: true, ok: true, proto: "QUIC", first: "short header", byPortSet: true},
		{name: "short header elsewhere", hex: "4300112233445566778899aabbccddeeff00112233", ok: false},
		{name: "text", hex: hex.EncodeToString([]byte("probe")), ok: false},
	} {
		b, err := hex.DecodeString(c.hex)
		if err != nil {
			t.Fatal(err)
		}
		u, ok := classifyUDP(b, c.port443)
		if ok != c.ok {
			t.Errorf("%s: read as DTLS or QUIC: %v, want %v (%+v)", c.name, ok, c.ok, u)
			continue
		}
		if !ok {
			continue
		}
		if u.Protocol != c.proto || u.Version != c.version || u.First != c.first || u.ByPort != c.byPortSet {
			t.Errorf("%s: %q %q %q by port %v, want %q %q %q %v", c.name, u.Protocol, u.Version, u.First, u.ByPort, c.proto, c.version, c.first, c.byPortSet)
		}
	}
}

// FuzzClassifyUDP: any datagram is read without a panic, and what is
// read as DTLS or QUIC says which, and what it was.
func FuzzClassifyUDP(f *testing.F) {
	for _, h := range []string{"16feff0000000000000000000c010000b400000000000000b4", "c000000001088394c8f03e5157080000449e7b9aec34", "8a0000000008f067a5502a4262b504", "4300112233445566778899aabbccddeeff00112233"} {
		b, _ := hex.DecodeString(h)
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Fuzz(func(t *testing.T, b []byte, port443 bool) {
		u, ok := classifyUDP(b, port443)
		if !ok {
			return
		}
		switch {
		case u.Protocol != "DTLS" && u.Protocol != "QUIC":
			t.Fatalf("protocol %q", u.Protocol)
		case u.First == "":
			t.Fatalf("%s without what its first datagram is", u.Protocol)
		case u.ByPort && (!port443 || u.Protocol != "QUIC" || b[0]&0x80 != 0):
			t.Fatalf("taken for QUIC by port without port 443 or with a long header: %+v", u)
		case u.Protocol == "DTLS" && (len(b) < 14 || b[1] != 0xFE):
			t.Fatalf("DTLS from %x", b)
		case u.Protocol == "QUIC" && !u.ByPort && (len(b) < 7 || b[0]&0x80 == 0):
			t.Fatalf("QUIC long header from %x", b)
		}
	})
}

// TestStatsNothing: a capture that held nothing to show says what its
// packets were; one that held a connection, a DNS message or a DTLS or
// QUIC flow says nothing.
func TestStatsNothing(t *testing.T) {
	for _, c := range []struct {
		st   Stats
		want string
	}{
		{Stats{}, "the capture holds no packets"},
		{Stats{Packets: 1, NonTCP: 1}, "the capture holds 1 packet and no TCP connection, DNS message, DTLS or QUIC flow: nothing to decode (1 of other protocols: UDP other than DNS, DTLS and QUIC, ICMP, or not IP)"},
		{Stats{Packets: 5, NonTCP: 2, Fragments: 2, Malformed: 1}, "the capture holds 5 packets and no TCP connection, DNS message, DTLS or QUIC flow: nothing to decode (2 of other protocols: UDP other than DNS, DTLS and QUIC, ICMP, or not IP; 2 IP fragments that could not be reassembled; 1 malformed)"},
		{Stats{Packets: 3, Flows: 1}, ""},
		{Stats{Packets: 3, NonTCP: 2, DNS: 1}, ""},
		{Stats{Packets: 3, NonTCP: 3, UDPTLS: 1}, ""},
	} {
		if got := c.st.Nothing(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.st, got, c.want)
		}
	}
}
