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
