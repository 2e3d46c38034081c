// Package fingerprint computes TLS client fingerprints from a ClientHello:
// JA3 (Salesforce, BSD-3) and JA4's TLS client fingerprint (FoxIO, BSD-3).
// The rest of JA4+ is under a licence that does not allow it here.
package fingerprint

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Extension code points used below.
const (
	extServerName = 0
	extALPN       = 16
)

// Hello is what the fingerprints are made of: the code points of a
// ClientHello, in the order sent.
type Hello struct {
	LegacyVersion     uint16
	CipherSuites      []uint16
	Extensions        []uint16
	Groups            []uint16
	PointFormats      []uint8
	SignatureSchemes  []uint16
	SupportedVersions []uint16
	ALPN              []string
	SNI               bool
}

// FromClientHello takes the code points of a decoded ClientHello.
func FromClientHello(ch *trace.ClientHello) *Hello {
	h := &Hello{
		LegacyVersion:     uint16(ch.LegacyVersion.Value),
		CipherSuites:      values16(ch.CipherSuites),
		Extensions:        values16(ch.Extensions),
		Groups:            values16(ch.Groups),
		SignatureSchemes:  values16(ch.SignatureAlgorithms),
		SupportedVersions: values16(ch.SupportedVersions),
		ALPN:              ch.ALPN,
	}
	for _, e := range ch.PointFormats {
		h.PointFormats = append(h.PointFormats, uint8(e.Value))
	}
	h.SNI = slices.Contains(h.Extensions, extServerName)
	return h
}

// Parse reads a whole ClientHello handshake message (header included). A
// hello cut short, or that does not decode to the end, has no
// fingerprint: what was read of it is not what the client would send.
func Parse(raw []byte) (*Hello, error) {
	if len(raw) >= wire.HandshakeHeaderLen {
		if n := int(raw[1])<<16 | int(raw[2])<<8 | int(raw[3]); n > len(raw)-wire.HandshakeHeaderLen {
			return nil, fmt.Errorf("fingerprint: the ClientHello is cut short: its header says %d bytes, %d are there", n, len(raw)-wire.HandshakeHeaderLen)
		}
	}
	m := wire.ParseHandshake(wire.Context{}, raw)
	if m.Err != nil {
		return nil, m.Err
	}
	p := trace.NewMessage(m, -1)
	if p.ClientHello == nil {
		return nil, fmt.Errorf("fingerprint: not a ClientHello")
	}
	return FromClientHello(p.ClientHello), nil
}

func values16(l []trace.Enum) []uint16 {
	out := make([]uint16, len(l))
	for i, e := range l {
		out[i] = uint16(e.Value)
	}
	return out
}

func noGREASE(v []uint16) []uint16 {
	var out []uint16
	for _, x := range v {
		if !wire.IsGREASE(x) {
			out = append(out, x)
		}
	}
	return out
}

func joinDec[T uint8 | uint16](v []T) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(int(x))
	}
	return strings.Join(s, "-")
}

// JA3 returns the JA3 string and its MD5: SSLVersion, ciphers, extensions,
// groups, point formats, in decimal, GREASE left out.
func (h *Hello) JA3() (string, string) {
	s := fmt.Sprintf("%d,%s,%s,%s,%s", h.LegacyVersion, joinDec(noGREASE(h.CipherSuites)), joinDec(noGREASE(h.Extensions)),
		joinDec(noGREASE(h.Groups)), joinDec(h.PointFormats))
	sum := md5.Sum([]byte(s))
	return s, hex.EncodeToString(sum[:])
}

// ja4Versions is JA4's table of versions (FoxIO's JA4.md, "TLS and DTLS
// Version"); a version not in it is "00". SSL 2.0 is 0x0002, the version
// its CLIENT-HELLO carries: earlier texts of JA4.md gave 0x0200 for SSL 2.0
// and 0x0100 for an "SSL 1.0", which FoxIO withdrew ("SSL 2.0 is 0x0002,
// SSL 1.0 never existed"), as Wireshark's JA4 does; so 0x0200 and 0x0100
// are "00". The DTLS versions are in the table too, as JA4 maps version
// numbers whatever carries them.
var ja4Versions = map[uint16]string{
	0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2",
	0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3",
}

// JA4 returns the JA4 TLS client fingerprint (over TCP), e.g.
// t13d1516h2_8daaf6152771_e5627efa2ab1.
func (h *Hello) JA4() string {
	version := h.LegacyVersion
	if v := noGREASE(h.SupportedVersions); len(v) > 0 {
		version = slices.Max(v)
	}
	vs := ja4Versions[version]
	if vs == "" {
		vs = "00"
	}
	sni := "i"
	if h.SNI {
		sni = "d"
	}
	ciphers := noGREASE(h.CipherSuites)
	exts := noGREASE(h.Extensions)
	alpn := "00"
	if len(h.ALPN) > 0 && h.ALPN[0] != "" {
		a := h.ALPN[0]
		first, last := a[0], a[len(a)-1]
		if isAlnum(first) && isAlnum(last) {
			alpn = string([]byte{first, last})
		} else {
			x := hex.EncodeToString([]byte(a))
			alpn = string([]byte{x[0], x[len(x)-1]})
		}
	}
	a := fmt.Sprintf("t%s%s%02d%02d%s", vs, sni, min(len(ciphers), 99), min(len(exts), 99), alpn)
	sorted := slices.Clone(ciphers)
	slices.Sort(sorted)
	b := hash12(hexList(sorted))
	var rest []uint16
	for _, e := range exts {
		if e != extServerName && e != extALPN {
			rest = append(rest, e)
		}
	}
	slices.Sort(rest)
	cInput := hexList(rest)
	if sigs := noGREASE(h.SignatureSchemes); len(sigs) > 0 {
		cInput += "_" + hexList(sigs)
	}
	c := hash12(cInput)
	if len(rest) == 0 {
		c = "000000000000"
	}
	if len(sorted) == 0 {
		b = "000000000000"
	}
	return a + "_" + b + "_" + c
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func hexList(v []uint16) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%04x", x)
	}
	return strings.Join(s, ",")
}

func hash12(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}
