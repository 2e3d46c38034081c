package tlscrypt

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSealRoundTrip seals records with an Encrypter for every supported
// suite, version and MAC order and opens them with a Decrypter made from the
// same keys. Where the record is fully determined by the keys (no random
// IV), it must also equal the record of the test sealer written from the
// RFCs.
func TestSealRoundTrip(t *testing.T) {
	lengths := []int{0, 1, 15, 16, 17, 100, 1000, MaxPlaintext}
	types := []uint8{22, 23, 21, 20}
	for i, c := range allCases() {
		t.Run(c.String(), func(t *testing.T) {
			w, d := newTestPair(t, c, uint64(i))
			var e *Encrypter
			var err error
			if c.version == VersionTLS13 {
				if _, err := NewEncrypter13(c.s, nil); err == nil {
					t.Fatal("NewEncrypter13 accepted an empty secret")
				}
				rng := rand.New(rand.NewPCG(uint64(i), 2))
				secret := make([]byte, c.s.PRFHash.Size())
				for i := range secret {
					secret[i] = byte(rng.Uint32())
				}
				e, err = NewEncrypter13(c.s, secret)
			} else {
				e, err = NewEncrypter12(c.version, c.s, w.keys, c.etm)
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Suite() != c.s {
				t.Fatalf("Suite() = %v", e.Suite().Name)
			}
			// The test sealer uses random explicit nonces and IVs; the
			// Encrypter uses the sequence number for GCM and CCM, and
			// Rand for CBC IVs.
			deterministic := c.version == VersionTLS13 || c.s.Cipher == ChaCha20Poly1305 ||
				c.s.Cipher == RC4 || c.s.Cipher == Null || (c.s.Cipher.Block() && c.version == VersionTLS10)
			for j, n := range lengths {
				typ := types[j%len(types)]
				pad := j % 3
				w.extraPadding, e.Padding = pad, pad
				pt := w.random(n)
				seq := e.Seq()
				rec, err := e.Seal([]byte("prefix"), typ, c.version, pt)
				if err != nil {
					t.Fatalf("record %d: %v", j, err)
				}
				if !bytes.HasPrefix(rec, []byte("prefix")) {
					t.Fatalf("record %d: Seal did not append to dst", j)
				}
				rec = rec[len("prefix"):]
				if e.Seq() != seq+1 {
					t.Fatalf("record %d: Seq = %d, want %d", j, e.Seq(), seq+1)
				}
				if over := len(rec) - RecordHeaderLen - n; over > e.Overhead() {
					t.Errorf("record %d: grew by %d bytes, Overhead says at most %d", j, over, e.Overhead())
				}
				if deterministic {
					want := w.seal(typ, pt)
					if !bytes.Equal(rec, want) {
						t.Fatalf("record %d: Encrypter and test sealer differ:\n%x\n%x", j, rec[:min(len(rec), 48)], want[:min(len(want), 48)])
					}
				}
				if c.version == VersionTLS13 && (rec[0] != 23 || rec[1] != 3 || rec[2] != 3) {
					t.Fatalf("record %d: TLS 1.3 header %x, want 170303", j, rec[:3])
				}
				gotType, got, err := d.Open(rec[:5], rec[5:])
				if err != nil {
					t.Fatalf("record %d (%d bytes): %v", j, n, err)
				}
				if gotType != typ || !bytes.Equal(got, pt) {
					t.Fatalf("record %d: got type %d, %d bytes; want %d, %d bytes", j, gotType, len(got), typ, n)
				}
			}
		})
	}
}

func TestSealErrors(t *testing.T) {
	s, _ := SuiteByID(0x1301)
	e, err := NewEncrypter13(s, make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Seal(nil, 23, VersionTLS13, make([]byte, MaxPlaintext+1)); err == nil || e.Seq() != 0 {
		t.Fatalf("oversized content: err %v, seq %d", err, e.Seq())
	}
	e.st.seq = 1<<64 - 1
	if _, err := e.Seal(nil, 23, VersionTLS13, nil); err == nil {
		t.Fatal("Seal wrapped the sequence number")
	}
	cbc, _ := SuiteByID(0x002F)
	rng := rand.New(rand.NewPCG(1, 1))
	e, err = NewEncrypter12(VersionTLS12, cbc, testKeys(cbc, VersionTLS12, rng), false)
	if err != nil {
		t.Fatal(err)
	}
	e.Rand = strings.NewReader("short")
	if _, err := e.Seal(nil, 23, VersionTLS12, []byte("x")); err == nil || e.Seq() != 0 {
		t.Fatalf("failing Rand: err %v, seq %d", err, e.Seq())
	}
	if _, err := NewEncrypter12(VersionTLS13, cbc, Keys{}, false); err == nil {
		t.Fatal("NewEncrypter12 accepted TLS 1.3")
	}
	var te *Error
	if errors.As(err, &te) {
		t.Fatal("a constructor error is not a record *Error")
	}
}

// TestSealPaddingLimit checks that a large Padding still makes records the
// Decrypter opens (padding_length fits in a byte; TLS 1.3 padding is
// bounded).
func TestSealPaddingLimit(t *testing.T) {
	for _, c := range []testCase{
		{suiteByIDMust(0x002F), VersionTLS12, false},
		{suiteByIDMust(0x000A), VersionTLS11, true},
		{suiteByIDMust(0x1303), VersionTLS13, false},
	} {
		w, d := newTestPair(t, c, 7)
		var e *Encrypter
		var err error
		if c.version == VersionTLS13 {
			rng := rand.New(rand.NewPCG(7, 2))
			secret := make([]byte, 32)
			for i := range secret {
				secret[i] = byte(rng.Uint32())
			}
			e, err = NewEncrypter13(c.s, secret)
		} else {
			e, err = NewEncrypter12(c.version, c.s, w.keys, c.etm)
		}
		if err != nil {
			t.Fatal(err)
		}
		e.Padding = 1 << 20
		rec, err := e.Seal(nil, 22, c.version, []byte("hello"))
		if err != nil {
			t.Fatal(err)
		}
		if _, got, err := d.Open(rec[:5], rec[5:]); err != nil || string(got) != "hello" {
			t.Fatalf("%v: %q, %v", c, got, err)
		}
	}
}
