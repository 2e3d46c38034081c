package keylog

import (
	"bytes"
	"testing"
)

// FuzzParse checks that Parse never panics and that everything it keeps
// survives WriteLine and a second Parse unchanged.
func FuzzParse(f *testing.F) {
	f.Add(readTestdata(f, "illustrated-tls13"))
	f.Add(readTestdata(f, "illustrated-tls12"))
	f.Add([]byte("# comment\r\nRSA 0102030405060708 " + string(bytes.Repeat([]byte("ab"), 48)) + "\r\n"))
	f.Add([]byte("CLIENT_RANDOM 00 00\n\n\nX Y Z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, warnings, err := Parse(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Parse of an in-memory reader failed: %v", err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, w := range warnings {
			if w.Line < 1 || w.Line > lines {
				t.Fatalf("warning on line %d of %d", w.Line, lines)
			}
		}
		if len(warnings) > MaxWarnings+1 || l.Len() > MaxEntries {
			t.Fatalf("%d warnings, %d entries: over the limits", len(warnings), l.Len())
		}
		var buf bytes.Buffer
		for k, v := range l.secrets {
			if err := WriteLine(&buf, k.label, k.clientRandom[:], v); err != nil {
				t.Fatalf("WriteLine of a parsed entry: %v", err)
			}
		}
		for k, v := range l.rsa {
			if err := WriteLine(&buf, LabelRSA, k[:], v); err != nil {
				t.Fatalf("WriteLine of a parsed RSA entry: %v", err)
			}
		}
		l2, warnings2, err := Parse(&buf)
		if err != nil || len(warnings2) != 0 {
			t.Fatalf("re-Parse: %v, %v", err, warnings2)
		}
		if l2.Len() != l.Len() {
			t.Fatalf("re-Parse kept %d entries, want %d", l2.Len(), l.Len())
		}
		for k, v := range l.secrets {
			if !bytes.Equal(l2.Secret(k.clientRandom[:], k.label), v) {
				t.Fatalf("%s changed in the round trip", k.label)
			}
		}
	})
}
