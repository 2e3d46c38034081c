package trace

import (
	"bytes"
	"fmt"
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
		// The client sends one record under each of its secrets, which
		// leaves the cause unknown: see TestAlteredRecord.
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
	want := (&AlteredRecordError{Side: Server, Err: &tlscrypt.Error{Seq: 2, Reason: tlscrypt.ReasonBadTag}}).Error()
	if last.Type != TypeEncryptedRecord || last.Error != want {
		t.Errorf("the server's altered record: %s %q, want an encrypted record %q", last.Type, last.Error, want)
	}
}

// TestAlteredRecord changes a byte of the ciphertext of one protected
// record of the Illustrated TLS 1.3 and TLS 1.2 connections, the first
// of its side under its key, and checks what the records after it say of
// it: when the next record of the side opens with the same key at the
// next sequence number, the record was altered (AlteredRecordError) and
// the side's records after it decrypt; when the record is the last under
// its key, the two causes cannot be told apart (UndecidedRecordError),
// unless, decrypted without its tag, the record reads as whole handshake
// messages (the client's Finished: the key is right), and the records
// after it under the next key decrypt. The connection is
// fed in one piece, flight by flight, and a byte at a time: the
// verdict waits for the side's next record, in order.
func TestAlteredRecord(t *testing.T) {
	// readable: the record alone under its key, which, decrypted
	// without its tag, reads as these handshake messages: the key is
	// right (AES-GCM), and the record was altered.
	readable := map[string]string{"clientencfinished": "finished"}
	for _, tc := range []struct {
		dir     string
		flights []flight
		file    string
		side    Side
		// altered: the next record opens; else next names the secret
		// of the side's records after it ("" for none).
		altered bool
		secret  string
		next    string
	}{
		{"illustrated-tls13", illustrated13, "serverencextensions", Server, true, "", ""},
		{"illustrated-tls13", illustrated13, "clientencfinished", Client, false, keylog.LabelClientHandshakeTrafficSecret, keylog.LabelClientTrafficSecret0},
		{"illustrated-tls13", illustrated13, "clientencdata", Client, false, keylog.LabelClientTrafficSecret0, ""},
		{"illustrated-tls13", illustrated13, "serverencticket1", Server, true, "", ""},
		{"illustrated-tls12", illustrated12, "clientfinished", Client, true, "", ""},
		{"illustrated-tls12", illustrated12, "serverfinished", Server, true, "", ""},
	} {
		var whole []byte
		for _, chunk := range []int{0, 1} {
			var events []*Event
			s := NewSession(time.Unix(0, 0), loadKeys(t, tc.dir), func(ev *Event) { events = append(events, ev.Clone()) })
			c := s.NewConn(1, false)
			frame := 0
			for i, f := range tc.flights {
				b := bytes.Clone(testdata(t, tc.dir, "caps", f.file))
				if f.file == tc.file {
					// In the AEAD tag's reach; for AES-CBC, in its
					// first block, past the explicit IV, which
					// leaves the padding whole: the MAC fails.
					at := len(b) - 20
					if tc.dir == "illustrated-tls12" {
						at = 5 + 16 + 1
					}
					b[at] ^= 0x10
					frame = i + 1
				}
				if chunk == 0 {
					c.Feed(f.from, Stamp{Frame: i + 1}, b)
					continue
				}
				for j := range b {
					c.Feed(f.from, Stamp{Frame: i + 1}, b[j:j+1])
				}
			}
			c.Close()
			var text []string
			var bad *Event
			decrypted := 0
			for _, ev := range events {
				text = append(text, fmt.Sprintf("%d %s %s %s", ev.Frame, ev.From, ev.Type, ev.Error))
				switch {
				case ev.Frame == frame:
					bad = ev
				case ev.Frame > frame && ev.From == tc.side && ev.Record != nil && ev.Record.Encrypted:
					if ev.Type == TypeEncryptedRecord || ev.Error != "" {
						t.Errorf("%s %s altered: a record after it: %s %q", tc.dir, tc.file, ev.Type, ev.Error)
					}
					decrypted++
				}
			}
			if bad == nil || bad.Type != TypeEncryptedRecord {
				t.Fatalf("%s %s altered: no encrypted record at frame %d:\n%s", tc.dir, tc.file, frame, strings.Join(text, "\n"))
			}
			reason := tlscrypt.ReasonBadTag
			if tc.dir == "illustrated-tls12" {
				reason = tlscrypt.ReasonBadMAC
			}
			var want string
			switch {
			case tc.altered:
				want = (&AlteredRecordError{Side: tc.side, After: true, Err: &tlscrypt.Error{Reason: reason}}).Error()
			case readable[tc.file] != "":
				want = (&AlteredRecordError{Side: tc.side, Readable: readable[tc.file], Err: &tlscrypt.Error{Reason: reason}}).Error()
			default:
				want = (&UndecidedRecordError{Next: tc.next, Mismatch: &SecretMismatchError{Side: tc.side, Secret: tc.secret,
					ClientRandom: testdata(t, tc.dir, "caps", "clienthello")[11 : 11+32], Err: &tlscrypt.Error{Reason: reason}}}).Error()
			}
			if bad.Error != want {
				t.Errorf("%s %s altered (chunk %d): %q, want %q", tc.dir, tc.file, chunk, bad.Error, want)
			}
			if (tc.altered || tc.next != "") && decrypted == 0 {
				t.Errorf("%s %s altered: none of the %s's records after it decrypted:\n%s", tc.dir, tc.file, tc.side, strings.Join(text, "\n"))
			}
			// The same events in the same order, however fed.
			got := []byte(strings.Join(text, "\n"))
			if chunk == 0 {
				whole = got
			} else if !bytes.Equal(got, whole) {
				t.Errorf("%s %s altered, fed in chunks of %d:\n%s\nwant\n%s", tc.dir, tc.file, chunk, got, whole)
			}
		}
	}
}

// TestAlteredRecordsInARow changes a byte of the ciphertext of the
// server's first two, three and four records under its TLS 1.3 handshake
// traffic secret (EncryptedExtensions, Certificate, CertificateVerify,
// Finished, one record each): when a record of the side after them opens
// with the same key at its sequence number, each of them is reported
// altered (AlteredRecordError, its own sequence number) and the records
// after them decrypt; when none does (all four, the next record under the
// application traffic secret), the key log line is blamed on them and on
// the server's records after them, as for a wrong secret. Fed in one piece
// and a byte at a time alike.
func TestAlteredRecordsInARow(t *testing.T) {
	dir := "illustrated-tls13"
	files := []string{"serverencextensions", "serverenccert", "serverenccertverify", "serverencfinished"}
	for _, n := range []int{2, 3, 4} {
		var whole string
		for _, chunk := range []int{0, 1} {
			var events []*Event
			s := NewSession(time.Unix(0, 0), loadKeys(t, dir), func(ev *Event) { events = append(events, ev.Clone()) })
			c := s.NewConn(1, false)
			altered := map[int]uint64{} // frame: sequence number
			for i, f := range illustrated13 {
				b := bytes.Clone(testdata(t, dir, "caps", f.file))
				if k := slices.Index(files, f.file); k >= 0 && k < n {
					b[len(b)-20] ^= 0x10
					altered[i+1] = uint64(k)
				}
				if chunk == 0 {
					c.Feed(f.from, Stamp{Frame: i + 1}, b)
					continue
				}
				for j := range b {
					c.Feed(f.from, Stamp{Frame: i + 1}, b[j:j+1])
				}
			}
			c.Close()
			var text []string
			for _, ev := range events {
				text = append(text, fmt.Sprintf("%d %s %s %s", ev.Frame, ev.From, ev.Type, ev.Error))
			}
			said, decrypted := 0, 0
			for _, ev := range events {
				seq, bad := altered[ev.Frame]
				switch {
				case bad && n < len(files):
					said++
					want := (&AlteredRecordError{Side: Server, After: true, Err: &tlscrypt.Error{Seq: seq, Reason: tlscrypt.ReasonBadTag}}).Error()
					if ev.Type != TypeEncryptedRecord || ev.Error != want {
						t.Errorf("%d altered, frame %d: %s %q, want %q", n, ev.Frame, ev.Type, ev.Error, want)
					}
				case n == len(files) && ev.From == Server && ev.Record != nil && ev.Record.Encrypted:
					// The server's records after them too, as
					// with a wrong secret.
					if bad {
						said++
					}
					want := (&SecretMismatchError{Side: Server, Secret: keylog.LabelServerHandshakeTrafficSecret, ClientRandom: testdata(t, dir, "caps", "clienthello")[11 : 11+32],
						Err: &tlscrypt.Error{Reason: tlscrypt.ReasonBadTag}}).Error()
					if ev.Type != TypeEncryptedRecord || ev.Error != want {
						t.Errorf("%d altered, frame %d: %s %q, want %q", n, ev.Frame, ev.Type, ev.Error, want)
					}
				case ev.Type == TypeEncryptedRecord:
					t.Errorf("%d altered, frame %d: %s's record not decrypted: %q", n, ev.Frame, ev.From, ev.Error)
				case ev.From == Server && ev.Record != nil && ev.Record.Encrypted:
					decrypted++
				}
			}
			if said != n || n < len(files) && decrypted < 3 {
				t.Errorf("%d altered: %d said, %d of the server's protected records decrypted:\n%s", n, said, decrypted, strings.Join(text, "\n"))
			}
			got := strings.Join(text, "\n")
			if chunk == 0 {
				whole = got
			} else if got != whole {
				t.Errorf("%d altered, fed a byte at a time:\n%s\nwant\n%s", n, got, whole)
			}
		}
	}
}

// TestAlteredFlightInOneRecord seals the server's handshake flight of the
// Illustrated TLS 1.3 connection in one record (an EncryptedExtensions and
// a Finished), a byte of its ciphertext changed: the only record of the
// server under its handshake traffic secret, the next under its
// application traffic secret. Decrypted without its tag it reads as those
// two messages, so it is reported altered, not undecided, and the
// server's records after it decrypt. Under another secret the same record
// reads as random bytes, and the key log line stays in doubt.
func TestAlteredFlightInOneRecord(t *testing.T) {
	dir := "illustrated-tls13"
	flight := append([]byte{8, 0, 0, 2, 0, 0, 20, 0, 0, 48}, bytes.Repeat([]byte{0x42}, 48)...)
	for _, right := range []bool{true, false} {
		secret := logSecret(t, dir, "SERVER_HANDSHAKE_TRAFFIC_SECRET")
		if !right {
			secret = bytes.Clone(secret)
			secret[0] ^= 1
		}
		rec := sealOversized(t, secret, 0, flight, 22, 0)
		rec[5+20] ^= 0x10 // in the Finished's verify_data
		var events []*Event
		s := NewSession(time.Unix(0, 0), loadKeys(t, dir), func(ev *Event) { events = append(events, ev.Clone()) })
		c := s.NewConn(1, false)
		for i, f := range illustrated13 {
			b := testdata(t, dir, "caps", f.file)
			switch f.file {
			case "serverencextensions":
				b = rec
			case "serverenccert", "serverenccertverify", "serverencfinished":
				continue
			}
			c.Feed(f.from, Stamp{Frame: i + 1}, b)
		}
		c.Close()
		var bad *Event
		decrypted := 0
		for _, ev := range events {
			switch {
			case ev.From == Server && ev.Type == TypeEncryptedRecord && bad == nil:
				bad = ev
			case ev.From == Server && ev.Type == TypeEncryptedRecord:
				t.Errorf("right %v: another server record not decrypted: %q", right, ev.Error)
			case ev.From == Server && ev.Record != nil && ev.Record.Encrypted:
				decrypted++
			}
		}
		want := (&AlteredRecordError{Side: Server, Readable: "encrypted_extensions, finished", Err: &tlscrypt.Error{Reason: tlscrypt.ReasonBadTag}}).Error()
		if !right {
			want = (&UndecidedRecordError{Next: keylog.LabelServerTrafficSecret0, Mismatch: &SecretMismatchError{Side: Server, Secret: keylog.LabelServerHandshakeTrafficSecret,
				ClientRandom: testdata(t, dir, "caps", "clienthello")[11 : 11+32], Err: &tlscrypt.Error{Reason: tlscrypt.ReasonBadTag}}}).Error()
		}
		if bad == nil || bad.Error != want || decrypted != 3 {
			t.Errorf("right %v: %+v, %d of the server's records after it decrypted; want %q", right, bad, decrypted, want)
		}
	}
}
