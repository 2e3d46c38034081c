package tlscrypt

import (
	"bytes"
	"testing"
)

// TestOpenAfterGap seals four records with every suite and drops the
// second and third: OpenAfterGap finds the fourth's sequence number when
// the suite allows it (AEAD, CBC from TLS 1.1 on), not with too small a
// skip, and never for suites that chain records (TLS 1.0 CBC, RC4) or
// hide nothing (NULL).
func TestOpenAfterGap(t *testing.T) {
	for i, c := range allCases() {
		t.Run(c.String(), func(t *testing.T) {
			w, d := newTestPair(t, c, uint64(i))
			var recs [][]byte
			for j := range 4 {
				recs = append(recs, w.seal(23, []byte{byte(j), 'x', 'y'}))
			}
			if _, _, err := d.Open(recs[0][:5], recs[0][5:]); err != nil {
				t.Fatal(err)
			}
			last := recs[3]
			want := d.Resumable()
			if _, _, _, err := d.OpenAfterGap(last[:5], last[5:], 1); err == nil {
				t.Fatal("opened with a skip of 1, two records missing")
			}
			if d.Seq() != 1 {
				t.Fatalf("a failed OpenAfterGap moved Seq to %d", d.Seq())
			}
			_, pt, seq, err := d.OpenAfterGap(last[:5], last[5:], 5)
			if !want {
				if err == nil {
					t.Fatalf("a suite that is not resumable opened after a gap (seq %d)", seq)
				}
				return
			}
			if err != nil || seq != 3 || !bytes.Equal(pt, []byte{3, 'x', 'y'}) || d.Seq() != 4 {
				t.Fatalf("got %q at seq %d (next %d), err %v; want record 3", pt, seq, d.Seq(), err)
			}
		})
	}
}

// TestSkipAltered seals three records with every suite and changes a
// byte of the second's ciphertext: it does not open, and Skip moves past
// it so that the third opens with its own sequence number, the cipher
// state of suites that chain records (TLS 1.0 CBC, RC4) included; a
// Clone tries records ahead without moving the original.
func TestSkipAltered(t *testing.T) {
	for i, c := range allCases() {
		t.Run(c.String(), func(t *testing.T) {
			w, d := newTestPair(t, c, uint64(i))
			var recs [][]byte
			for j := range 3 {
				recs = append(recs, w.seal(23, []byte{byte(j), 'x', 'y', 'z', 'z', 'y'}))
			}
			if _, _, err := d.Open(recs[0][:5], recs[0][5:]); err != nil {
				t.Fatal(err)
			}
			bad := bytes.Clone(recs[1])
			bad[5+2] ^= 0x40
			if _, _, err := d.Open(bad[:5], bad[5:]); err == nil {
				if d.Suite().Cipher == Null {
					return // nothing hidden, but the MAC: see below
				}
				t.Fatal("an altered record opened")
			}
			ahead := d.Clone()
			if ahead.Skip(bad[5:]) {
				// TLS 1.0 with encrypt_then_mac: the altered byte is
				// in the last block, the next record's IV, which its
				// MAC does not cover: it opens, its first block
				// altered.
				if _, pt, err := ahead.Open(recs[2][:5], recs[2][5:]); err != nil || bytes.Equal(pt, []byte{2, 'x', 'y', 'z', 'z', 'y'}) {
					t.Fatalf("the record after the altered one, its IV altered: %q, %v", pt, err)
				}
				return
			}
			if _, pt, err := ahead.Open(recs[2][:5], recs[2][5:]); err != nil || !bytes.Equal(pt, []byte{2, 'x', 'y', 'z', 'z', 'y'}) {
				t.Fatalf("the record after the altered one, on a clone: %q, %v", pt, err)
			}
			if d.Seq() != 1 {
				t.Fatalf("the clone moved the original to %d", d.Seq())
			}
			d.Skip(bad[5:])
			if _, pt, err := d.Open(recs[2][:5], recs[2][5:]); err != nil || !bytes.Equal(pt, []byte{2, 'x', 'y', 'z', 'z', 'y'}) {
				t.Fatalf("the record after the altered one: %q, %v", pt, err)
			}
		})
	}
}
