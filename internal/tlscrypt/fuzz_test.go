package tlscrypt

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// fuzzCases are the decrypters FuzzOpen drives: an AEAD with an explicit
// nonce (GCM), CBC in both MAC orders and with the TLS 1.0 chained IV, CCM-8,
// ChaCha20-Poly1305, RC4 and TLS 1.3.
var fuzzCases = []testCase{
	{suiteByIDMust(0xC02F), VersionTLS12, false},
	{suiteByIDMust(0xC013), VersionTLS12, false},
	{suiteByIDMust(0xC013), VersionTLS12, true},
	{suiteByIDMust(0x000A), VersionTLS10, false},
	{suiteByIDMust(0xC0AE), VersionTLS12, false},
	{suiteByIDMust(0xCCA8), VersionTLS12, false},
	{suiteByIDMust(0x0005), VersionTLS11, false},
	{suiteByIDMust(0x1304), VersionTLS13, false},
}

func suiteByIDMust(id uint16) *Suite {
	s, ok := SuiteByID(id)
	if !ok {
		panic("missing suite")
	}
	return s
}

// fuzzPlaintexts are the application data records FuzzOpen's seeds hold.
var fuzzPlaintexts = [][]byte{nil, []byte("hello"), bytes.Repeat([]byte{0x17}, 100)}

// FuzzOpen feeds random headers and payloads to decrypters with fixed keys:
// Open must never panic, must fail without moving the sequence number, and
// must open what the matching sealer made. Seeds are real records of each
// case. Without the keys no record can be forged, so a success can only be
// one of the seeds: its content type and plaintext, to the byte and the
// length (a padding or MAC check that let a changed record through would
// show here).
func FuzzOpen(f *testing.F) {
	for i, c := range fuzzCases {
		w, _ := newTestPair(f, c, 42)
		for _, pt := range fuzzPlaintexts {
			rec := w.seal(23, pt)
			f.Add(uint8(i), rec[:5], rec[5:])
		}
	}
	f.Add(uint8(0), []byte{23, 3, 3, 0, 0}, []byte{})
	f.Fuzz(func(t *testing.T, which uint8, header, payload []byte) {
		c := fuzzCases[int(which)%len(fuzzCases)]
		w, d := newTestPair(t, c, 42)
		ct, pt, err := d.Open(header, payload)
		if err != nil {
			if d.Seq() != 0 {
				t.Fatalf("failed Open moved Seq to %d", d.Seq())
			}
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T", err)
			}
		} else {
			if d.Seq() != 1 {
				t.Fatalf("Seq = %d after success", d.Seq())
			}
			if ct != 23 || !slices.ContainsFunc(fuzzPlaintexts, func(p []byte) bool { return bytes.Equal(p, pt) }) {
				t.Fatalf("%v opened a record the sealer did not make: type %d, %d bytes %x", c, ct, len(pt), pt)
			}
		}
		// The decrypter still opens a good record in sequence.
		for w.seq < d.Seq() {
			w.seal(23, nil)
		}
		rec := w.seal(22, []byte("still working"))
		if _, pt, err := d.Open(rec[:5], rec[5:]); err != nil || string(pt) != "still working" {
			t.Fatalf("after fuzz input: %q, %v", pt, err)
		}
	})
}

// BenchmarkOpen measures the decryption of full 16 KiB records.
func BenchmarkOpen(b *testing.B) {
	for _, bc := range []struct {
		name string
		c    testCase
		// chained is set for suites whose records depend on the ones
		// before (RC4's stream, the IV of TLS 1.0 and SSL 3.0 CBC): each
		// record is opened by a new decrypter, its key setup included.
		chained bool
	}{
		{"AES-128-GCM", testCase{suiteByIDMust(0xC02F), VersionTLS12, false}, false},
		{"AES-128-CBC-SHA", testCase{suiteByIDMust(0xC013), VersionTLS12, false}, false},
		{"TLS13-AES-128-GCM", testCase{suiteByIDMust(0x1301), VersionTLS13, false}, false},
		{"TLS13-AES-128-CCM", testCase{suiteByIDMust(0x1304), VersionTLS13, false}, false},
		{"ChaCha20-Poly1305", testCase{suiteByIDMust(0xCCA8), VersionTLS12, false}, false},
		{"Camellia-128-CBC-SHA", testCase{suiteByIDMust(0x0041), VersionTLS12, false}, false},
		{"Camellia-128-GCM", testCase{suiteByIDMust(0xC08A), VersionTLS12, false}, false},
		{"ARIA-128-CBC-SHA256", testCase{suiteByIDMust(0xC03C), VersionTLS12, false}, false},
		{"ARIA-128-GCM", testCase{suiteByIDMust(0xC050), VersionTLS12, false}, false},
		{"SEED-CBC-SHA", testCase{suiteByIDMust(0x0096), VersionTLS12, false}, false},
		{"IDEA-CBC-SHA", testCase{suiteByIDMust(0x0007), VersionTLS12, false}, false},
		{"DES-CBC-SHA", testCase{suiteByIDMust(0x0009), VersionTLS12, false}, false},
		{"3DES-EDE-CBC-SHA", testCase{suiteByIDMust(0x000A), VersionTLS12, false}, false},
		{"NULL-SHA256", testCase{suiteByIDMust(0x003B), VersionTLS12, false}, false},
		{"RC4-128-SHA", testCase{suiteByIDMust(0x0005), VersionTLS12, false}, true},
		{"SSL30-AES-128-CBC-SHA", testCase{suiteByIDMust(0x002F), VersionSSL30, false}, true},
		{"TLS10-RC4-40-MD5", testCase{suiteByIDMust(0x0003), VersionTLS10, false}, true},
		{"TLS10-RC2-CBC-40-MD5", testCase{suiteByIDMust(0x0006), VersionTLS10, false}, true},
		{"TLS10-DES40-CBC-SHA", testCase{suiteByIDMust(0x0008), VersionTLS10, false}, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			const n = 1 << 14
			w, d := newTestPair(b, bc.c, 1)
			keys := testKeys(bc.c.s, bc.c.version, rand.New(rand.NewPCG(1, 2)))
			var rec []byte
			if bc.c.version == VersionSSL30 {
				// The test sealer has no SSL 3.0 MAC: the package's.
				e, err := NewEncrypter12(bc.c.version, bc.c.s, keys, false)
				if err != nil {
					b.Fatal(err)
				}
				if rec, err = e.Seal(nil, 23, bc.c.version, make([]byte, n)); err != nil {
					b.Fatal(err)
				}
			} else {
				rec = w.seal(23, make([]byte, n))
			}
			b.SetBytes(n)
			b.ReportAllocs()
			for b.Loop() {
				if bc.chained {
					var err error
					if d, err = NewDecrypter12(bc.c.version, bc.c.s, keys, false); err != nil {
						b.Fatal(err)
					}
				}
				d.seq = 0 // the other suites keep no other state between records
				if _, _, err := d.Open(rec[:5], rec[5:]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
