package source

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/render"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// fuzzCapture is a capture FuzzRender edits, with the key log it needs.
type fuzzCapture struct {
	file, keys []byte
}

func fuzzCaptures(t testing.TB) []fuzzCapture {
	read := func(name string) []byte {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	k13, k12 := read(td+"illustrated-tls13/keylog.txt"), read(td+"illustrated-tls12/keylog.txt")
	const captures = "../../cmd/tlstrace/testdata/captures/"
	return []fuzzCapture{
		// Two connections interleaved: the parallel read's ordering.
		{read(captures + "illustrated-interleaved.pcap"), append(append([]byte{}, k13...), k12...)},
		// The secrets inside the file, in a Decryption Secrets Block.
		{read(captures + "illustrated-tls13-dsb.pcapng"), nil},
		// HTTP/2, and a resumed session on a second connection.
		{read(captures + "curl-TLSv13-h2.pcapng"), read(captures + "curl-TLSv13-h2.keylog.txt")},
		// DTLS over UDP: said once, not decoded.
		{read(captures + "dtls-openssl.pcapng"), nil},
	}
}

// FuzzRender edits a real capture (overwriting, inserting or deleting
// bytes, or cutting it short) and reads it with one decoder (Read) and
// with Render's workers: the parallel read must write the same bytes, and
// fail the same way.
//
// The input is the edit, not the capture, for the fuzzer minimizes every
// new input in time quadratic in its size and each execution decodes the
// capture twice.
func FuzzRender(f *testing.F) {
	captures := fuzzCaptures(f)
	for i := range captures {
		f.Add(uint8(i), uint8(0), uint16(0), []byte{}, uint8(1))
		f.Add(uint8(i), uint8(1), uint16(700), []byte{0x17, 3, 3, 0, 4, 1, 2, 3, 4}, uint8(2))
		f.Add(uint8(i), uint8(2), uint16(1500), []byte{0}, uint8(3))
		f.Add(uint8(i), uint8(3), uint16(3000), []byte{}, uint8(0))
	}
	appendJSON := func() Append {
		return func(b []byte, ev *trace.Event) []byte { return append(render.AppendEvent(b, ev, true), '\n') }
	}
	f.Fuzz(func(t *testing.T, which, mode uint8, off uint16, patch []byte, workers uint8) {
		if len(patch) > 32 {
			// Longer edits find nothing shorter ones do not, and take
			// the fuzzer long to minimize.
			return
		}
		c := captures[int(which)%len(captures)]
		file := tlstest.Edit(c.file, mode%4, int(off), patch)
		opts := func() Options {
			keys, _, err := keylog.Parse(bytes.NewReader(c.keys))
			if err != nil {
				t.Fatal(err)
			}
			return Options{Keys: keys, Workers: int(workers%4) + 1}
		}
		var want []byte
		app := appendJSON()
		errWant := Read(bytes.NewReader(file), func(ev *trace.Event) { want = app(want, ev) }, opts())
		var got bytes.Buffer
		errGot := Render(bytes.NewReader(file), &got, appendJSON, opts())
		if fmt.Sprint(errGot) != fmt.Sprint(errWant) {
			t.Fatalf("Render: %v; Read: %v", errGot, errWant)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("%d workers: output differs from one decoder's (%d bytes, want %d)\n%s", workers%4+1, got.Len(), len(want), firstDiff(got.Bytes(), want))
		}
	})
}
