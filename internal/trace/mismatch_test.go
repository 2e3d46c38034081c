package trace

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/tlscrypt"
)

// keysWithWrongSecret returns the key log of dir with one hex digit of the
// secret of label changed, as in a line edited or corrupted.
func keysWithWrongSecret(t *testing.T, dir, label string) *keylog.Log {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(testdata(t, dir, "keylog.txt"))), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == label {
			digit := "0"
			if f[2][0] == '0' {
				digit = "1"
			}
			line = f[0] + " " + f[1] + " " + digit + f[2][1:]
		}
		out = append(out, line)
	}
	k, warnings, err := keylog.Parse(bytes.NewReader([]byte(strings.Join(out, "\n") + "\n")))
	if err != nil || len(warnings) > 0 {
		t.Fatalf("key log: %v %v", err, warnings)
	}
	return k
}

// TestSecretMismatch checks that a key log line of the connection's client
// random whose secret is wrong is said to be so, by its label, on the
// records its key does not open (the first of them fails to authenticate),
// and that the sides whose secrets are right decrypt.
func TestSecretMismatch(t *testing.T) {
	for _, tc := range []struct {
		dir     string
		flights []flight
		label   string
		// side is the one whose records the wrong secret protects
		// (both, for CLIENT_RANDOM).
		sides []Side
	}{
		{"illustrated-tls13", illustrated13, keylog.LabelClientTrafficSecret0, []Side{Client}},
		{"illustrated-tls13", illustrated13, keylog.LabelServerHandshakeTrafficSecret, []Side{Server}},
		{"illustrated-tls12", illustrated12, keylog.LabelClientRandom, []Side{Client, Server}},
	} {
		events := replay(t, tc.dir, tc.flights, keysWithWrongSecret(t, tc.dir, tc.label), 0)
		encrypted := map[Side]int{}
		for _, ev := range events {
			if ev.Type != TypeEncryptedRecord {
				continue
			}
			encrypted[ev.From]++
			want := (&SecretMismatchError{Side: ev.From, Secret: tc.label, ClientRandom: testdata(t, tc.dir, "caps", "clienthello")[11 : 11+32],
				Err: &tlscrypt.Error{Reason: tlscrypt.ReasonBadTag}}).Error()
			if tc.dir == "illustrated-tls12" {
				// The Illustrated TLS 1.2 suite is AES-128-CBC: a
				// wrong key fails its padding or its MAC.
				want = want[:strings.Index(want, "(record 0")]
			}
			if !strings.HasPrefix(ev.Error, want) {
				t.Errorf("%s, %s wrong: %s's record: %q, want %q", tc.dir, tc.label, ev.From, ev.Error, want)
			}
		}
		for _, side := range []Side{Client, Server} {
			if wrong := encrypted[side] > 0; wrong != slices.Contains(tc.sides, side) {
				t.Errorf("%s, %s wrong: %d of the %s's records encrypted", tc.dir, tc.label, encrypted[side], side)
			}
		}
	}
}

// TestRecordFailsAfterOthers checks that a record that does not open under
// a key that opened the side's records before it is not blamed on the key
// log: the secret is right, the record is not.
func TestRecordFailsAfterOthers(t *testing.T) {
	dir := "illustrated-tls13"
	var events []*Event
	s := NewSession(time.Unix(0, 0), loadKeys(t, dir), func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	for i, f := range illustrated13 {
		b := testdata(t, dir, "caps", f.file)
		if f.file == "serverencdata" {
			// The server's third record under its traffic secret, a
			// byte of its ciphertext changed.
			b = bytes.Clone(b)
			b[len(b)-20] ^= 1
		}
		c.Feed(f.from, Stamp{Frame: i + 1}, b)
	}
	c.Close()
	last := events[len(events)-1]
	if want := "decryption failed: tlscrypt: record 2: authentication tag mismatch"; last.Type != TypeEncryptedRecord || last.Error != want {
		t.Errorf("the server's altered record: %s %q, want an encrypted record %q", last.Type, last.Error, want)
	}
}
