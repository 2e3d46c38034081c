package fingerprint

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
)

// A Chrome 143 ClientHello as a public fingerprinting service reported it
// (GREASE values removed there; one added here to check they are ignored).
func chrome() *Hello {
	return &Hello{
		LegacyVersion:     771,
		CipherSuites:      []uint16{0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		Extensions:        []uint16{0x2a2a, 0x002d, 0x0033, 0x0010, 0xfe0d, 0x0017, 0x44cd, 0x0000, 0x000b, 0x000a, 0x002b, 0xff01, 0x0023, 0x0012, 0x0005, 0x000d, 0x001b},
		Groups:            []uint16{0x1a1a, 4588, 29, 23, 24},
		PointFormats:      []uint8{0},
		SignatureSchemes:  []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
		SupportedVersions: []uint16{0x3a3a, 0x0304, 0x0303},
		ALPN:              []string{"h2", "http/1.1"},
		SNI:               true,
	}
}

func TestJA3(t *testing.T) {
	s, h := chrome().JA3()
	want := "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0"
	if s != want {
		t.Errorf("JA3 string\n %s\nwant\n %s", s, want)
	}
	if h != "98487aa16281980e7d1120d399efb6a4" {
		t.Errorf("JA3 %s", h)
	}
}

func TestJA4(t *testing.T) {
	if got := chrome().JA4(); got != "t13d1516h2_8daaf6152771_d8a2da3f94cd" {
		t.Errorf("JA4 %s", got)
	}
}

// TestParseCryptoTLS reads a real ClientHello written by crypto/tls.
func TestParseCryptoTLS(t *testing.T) {
	c1, c2 := net.Pipe()
	go func() {
		tls.Client(c1, &tls.Config{ServerName: "example.test", NextProtos: []string{"h2"}}).Handshake()
	}()
	hdr := make([]byte, 5)
	io.ReadFull(c2, hdr)
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	io.ReadFull(c2, body)
	c2.Close()
	h, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if !h.SNI || len(h.ALPN) != 1 || h.ALPN[0] != "h2" || len(h.Groups) == 0 || len(h.SignatureSchemes) == 0 {
		t.Errorf("parsed %+v", h)
	}
	if ja4 := h.JA4(); ja4[:4] != "t13d" || ja4[8:10] != "h2" {
		t.Errorf("JA4 %s", ja4)
	}
}

// TestParseTruncatedHello checks that a ClientHello cut short has no
// fingerprint (found by FuzzParse: the version alone made one, and so did a
// hello whose header promised extensions that were not there).
func TestParseTruncatedHello(t *testing.T) {
	whole := append([]byte{1, 0, 0, 2 + 32 + 1 + 4 + 2}, make([]byte, 2+32+1+4+2)...)
	whole[4+2+32+1+1] = 2 // one cipher suite
	whole[4+2+32+1+4] = 1 // one compression method
	if _, err := Parse(whole); err != nil {
		t.Fatalf("a whole hello: %v", err)
	}
	promising := append([]byte{}, whole...)
	promising[3] += 10
	for _, b := range [][]byte{
		{1, 0, 0, 4, 3, 3, 0, 0},
		{1, 0, 0, 2, 3, 3},
		promising,
	} {
		if h, err := Parse(b); err == nil {
			t.Errorf("% x: fingerprinted as %+v", b, h)
		}
	}
}

// TestJA4Version checks JA4's version table, the highest of
// supported_versions before legacy_version: SSL 2.0 is 0x0002, and the
// values FoxIO withdrew, 0x0200 (once SSL 2.0) and 0x0100 (once SSL 1.0),
// are unknown.
func TestJA4Version(t *testing.T) {
	for _, c := range []struct {
		legacy    uint16
		supported []uint16
		want      string
	}{
		{0x0303, nil, "t12"},
		{0x0300, nil, "ts3"},
		{0x0002, nil, "ts2"},
		{0x0200, nil, "t00"},
		{0x0100, nil, "t00"},
		{0x0303, []uint16{0x0a0a, 0x0304, 0x0303}, "t13"},
		{0xfefd, nil, "td2"},
		{0xfeff, nil, "td1"},
		{0x0305, nil, "t00"},
	} {
		h := &Hello{LegacyVersion: c.legacy, SupportedVersions: c.supported, CipherSuites: []uint16{0x002f}}
		if got := h.JA4(); got[:3] != c.want {
			t.Errorf("legacy_version %#04x, supported_versions %x: JA4 %s, want %s…", c.legacy, c.supported, got, c.want)
		}
	}
}
