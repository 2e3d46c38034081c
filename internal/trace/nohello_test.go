package trace

import (
	"slices"
	"testing"

	"github.com/tlstrace/tlstrace/internal/keylog"
)

// replayWithout feeds the Illustrated records of dir but those named in
// drop, and returns the events.
func replayWithout(t *testing.T, dir string, flights []flight, keys *keylog.Log, drop ...string) []*Event {
	t.Helper()
	var kept []flight
	for _, f := range flights {
		if !slices.Contains(drop, f.file) {
			kept = append(kept, f)
		}
	}
	return replay(t, dir, kept, keys, 0)
}

// TestNothingPlainWithoutServerHello checks that when the capture lacks the
// ServerHello (a lost packet, IP fragments not reassembled), the records a
// side protects after its change_cipher_spec (TLS 1.2: its Finished and
// close_notify; TLS 1.3: its encrypted flight after the middlebox
// compatibility change_cipher_spec) and every application_data record are
// encrypted records saying that the ServerHello, which names the cipher
// suite, is missing: never plaintext, with or without the key log.
func TestNothingPlainWithoutServerHello(t *testing.T) {
	for _, tc := range []struct {
		dir     string
		flights []flight
		drop    []string
		want    []step
	}{
		{"illustrated-tls12", illustrated12, []string{"serverhello"}, []step{
			{Client, "client_hello"},
			{Server, "certificate"},
			{Server, "server_key_exchange"},
			{Server, "server_hello_done"},
			{Client, "client_key_exchange"},
			{Client, "change_cipher_spec"},
			{Client, TypeEncryptedRecord}, // Finished
			{Server, "change_cipher_spec"},
			{Server, TypeEncryptedRecord}, // Finished
			{Client, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Client, TypeEncryptedRecord}, // close_notify
		}},
		{"illustrated-tls13", illustrated13, []string{"serverhello"}, []step{
			{Client, "client_hello"},
			{Server, "change_cipher_spec"},
			{Server, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Client, "change_cipher_spec"},
			{Client, TypeEncryptedRecord},
			{Client, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
		}},
		// Without its change_cipher_spec, a TLS 1.3 client's records
		// are application_data on the outside: protected all the same.
		{"illustrated-tls13", illustrated13, []string{"serverhello", "clientccs", "serverccs"}, []step{
			{Client, "client_hello"},
			{Server, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Client, TypeEncryptedRecord},
			{Client, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
			{Server, TypeEncryptedRecord},
		}},
	} {
		for _, keys := range []*keylog.Log{nil, loadKeys(t, tc.dir)} {
			events := replayWithout(t, tc.dir, tc.flights, keys, tc.drop...)
			if got := steps(events); !slices.Equal(got, tc.want) {
				t.Errorf("%s without %v, keys %v:\n got %v\nwant %v", tc.dir, tc.drop, keys != nil, got, tc.want)
			}
			for _, ev := range events {
				if ev.Type != TypeEncryptedRecord {
					continue
				}
				if ev.Error != ErrNoServerHello {
					t.Errorf("%s without %v: %s's encrypted record: error %q, want %q", tc.dir, tc.drop, ev.From, ev.Error, ErrNoServerHello)
				}
				if ev.Record == nil || !ev.Record.Encrypted {
					t.Errorf("%s without %v: %s's encrypted record: record %+v", tc.dir, tc.drop, ev.From, ev.Record)
				}
			}
		}
	}
}

// TestApplicationDataNeverPlain checks that application data is protected
// whatever the state of its side: in a connection whose start was seen but
// no hello, and before the side's change_cipher_spec in TLS 1.2.
func TestApplicationDataNeverPlain(t *testing.T) {
	keys := loadKeys(t, "illustrated-tls12")
	for _, tc := range []struct {
		flights []flight
		want    string
	}{
		{[]flight{{Client, "clientdata"}}, ErrNoHello},
		{[]flight{{Client, "clienthello"}, {Server, "serverhello"}, {Client, "clientdata"}},
			"not decrypted: application data from the client before the handshake put keys in force for its records (its change_cipher_spec in TLS 1.0-1.2, the ServerHello in TLS 1.3), and application data is never plaintext"},
	} {
		events := replay(t, "illustrated-tls12", tc.flights, keys, 0)
		last := events[len(events)-1]
		if last.Type != TypeEncryptedRecord || last.Error != tc.want || !last.Record.Encrypted {
			t.Errorf("%v: last event %s %q (record %+v), want an encrypted record %q", tc.flights, last.Type, last.Error, last.Record, tc.want)
		}
	}
}
