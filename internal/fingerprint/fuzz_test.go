package fingerprint

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tlstrace/tlstrace/internal/wire"
	"golang.org/x/crypto/cryptobyte"
)

var ja4Form = regexp.MustCompile(`^t(13|12|11|10|s3|s2|00)[di](\d\d)(\d\d)[0-9A-Za-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$`)

// FuzzParse reads arbitrary ClientHellos. A hello that parses must have
// the cipher suites and extensions that a reading written here from RFC
// 8446, Section 4.1.2 finds in the bytes, in order; its JA3 string must be
// five fields of decimal lists without GREASE, with its MD5 beside it; its
// JA4 must have the documented form and counts.
func FuzzParse(f *testing.F) {
	f.Add([]byte{1, 0, 0, 4, 3, 3, 0, 0})
	for _, dir := range []string{"illustrated-tls13", "illustrated-tls12"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", dir, "caps", "clienthello"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[5:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err != nil {
			return
		}
		suites, exts, ok := helloCodes(b)
		if !ok {
			t.Fatalf("parsed, but the bytes hold no whole ClientHello: %x", b)
		}
		if !slices.Equal(h.CipherSuites, suites) || !slices.Equal(h.Extensions, exts) {
			t.Fatalf("suites %x extensions %x, the bytes hold %x and %x", h.CipherSuites, h.Extensions, suites, exts)
		}
		if h.SNI != slices.Contains(exts, 0) {
			t.Fatalf("SNI=%v with extensions %x", h.SNI, exts)
		}
		s, sum := h.JA3()
		if m := md5.Sum([]byte(s)); hex.EncodeToString(m[:]) != sum {
			t.Fatalf("JA3 %s with MD5 %s", s, sum)
		}
		parts := strings.Split(s, ",")
		if len(parts) != 5 || parts[0] != fmt.Sprint(h.LegacyVersion) {
			t.Fatalf("JA3 string %q", s)
		}
		for i, p := range parts[1:] {
			if p == "" {
				continue
			}
			for _, v := range strings.Split(p, "-") {
				x, err := strconv.ParseUint(v, 10, 16)
				if err != nil || strconv.FormatUint(x, 10) != v || (i < 3 && wire.IsGREASE(uint16(x))) {
					t.Fatalf("JA3 string %q: %q", s, v)
				}
			}
		}
		ja4 := h.JA4()
		m := ja4Form.FindStringSubmatch(ja4)
		if m == nil {
			t.Fatalf("JA4 %q", ja4)
		}
		if want := fmt.Sprintf("%02d", min(99, len(noGREASE(suites)))); m[2] != want {
			t.Fatalf("JA4 %s counts %s suites, want %s", ja4, m[2], want)
		}
		if want := fmt.Sprintf("%02d", min(99, len(noGREASE(exts)))); m[3] != want {
			t.Fatalf("JA4 %s counts %s extensions, want %s", ja4, m[3], want)
		}
	})
}

// helloCodes reads the cipher suites and extension types of a ClientHello
// handshake message.
func helloCodes(b []byte) (suites, exts []uint16, ok bool) {
	s := cryptobyte.String(b)
	var msgType uint8
	var body, sid, cs, comp, extBlock cryptobyte.String
	if !s.ReadUint8(&msgType) || msgType != 1 || !s.ReadUint24LengthPrefixed(&body) ||
		!body.Skip(2+32) || !body.ReadUint8LengthPrefixed(&sid) || !body.ReadUint16LengthPrefixed(&cs) ||
		!body.ReadUint8LengthPrefixed(&comp) {
		return nil, nil, false
	}
	suites, exts = []uint16{}, []uint16{}
	for !cs.Empty() {
		var v uint16
		if !cs.ReadUint16(&v) {
			return nil, nil, false
		}
		suites = append(suites, v)
	}
	if body.Empty() {
		return suites, exts, true
	}
	if !body.ReadUint16LengthPrefixed(&extBlock) {
		return nil, nil, false
	}
	for !extBlock.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !extBlock.ReadUint16(&typ) || !extBlock.ReadUint16LengthPrefixed(&data) {
			return nil, nil, false
		}
		exts = append(exts, typ)
	}
	return suites, exts, true
}
