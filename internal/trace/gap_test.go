package trace

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// TestNothingPlainAfterGap checks that when a side lost bytes before its
// records became protected (the lost bytes held its ChangeCipherSpec), the
// protected records after the gap are never shown as plaintext: without
// keys they are encrypted records saying why; with keys they are decrypted
// only because they authenticate with the sequence number found again, and
// the first says so.
func TestNothingPlainAfterGap(t *testing.T) {
	for _, withKeys := range []bool{false, true} {
		var keys *keylog.Log
		if withKeys {
			keys = loadKeys(t, "illustrated-tls12")
		}
		var events []*Event
		s := NewSession(time.Unix(0, 0), keys, func(ev *Event) { events = append(events, ev.Clone()) })
		c := s.NewConn(1, false)
		lost := map[string]bool{"clientkeyexchange": true, "clientccs": true, "clientfinished": true, "serverccs": true}
		gapped := map[Side]bool{}
		for i, f := range illustrated12 {
			at := Stamp{Time: time.Unix(int64(i), 0), Frame: i + 1}
			b := testdata(t, "illustrated-tls12", "caps", f.file)
			if lost[f.file] {
				if !gapped[f.from] {
					c.Gap(f.from, at, len(b))
					gapped[f.from] = true
				}
				continue
			}
			c.Feed(f.from, at, b)
		}
		c.Close()
		var after []string
		said := map[Side]bool{}
		for _, ev := range events {
			if ev.Frame < 6 || ev.Layer != LayerTLS {
				continue
			}
			after = append(after, ev.From.String()+":"+ev.Type)
			switch {
			case ev.Type == TypeEncryptedRecord:
				if !strings.Contains(ev.Error, "missing") && !strings.Contains(ev.Error, "lost") {
					t.Errorf("keys %v, frame %d: error %q does not say bytes were lost", withKeys, ev.Frame, ev.Error)
				}
			case !withKeys || ev.Record == nil || !ev.Record.Encrypted:
				t.Errorf("keys %v: frame %d from %v after the gap shown as %s, not decrypted", withKeys, ev.Frame, ev.From, ev.Type)
			case !said[ev.From]:
				said[ev.From] = true
				if len(ev.Record.Anomalies) == 0 || !strings.Contains(ev.Record.Anomalies[0].Text, "found again") {
					t.Errorf("frame %d: the first record decrypted after the gap does not say its sequence number was found again: %+v", ev.Frame, ev.Record.Anomalies)
				}
			}
		}
		// The gaps, then the server's Finished, both sides' application
		// data and the client's alert.
		if len(after) != 6 {
			t.Errorf("keys %v: events after the gap: %v", withKeys, after)
		}
		if withKeys && len(said) != 2 {
			t.Errorf("records decrypted after the gap on %d sides, want 2: %v", len(said), after)
		}
	}
}

// TestDecryptAfterGap checks that in TLS 1.3 (AES-256-GCM), after a lost
// record, the records that follow are decrypted with the sequence number
// found again, and only the first says so.
func TestDecryptAfterGap(t *testing.T) {
	var events []*Event
	s := NewSession(time.Unix(0, 0), loadKeys(t, "illustrated-tls13"), func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	for i, f := range illustrated13 {
		at := Stamp{Time: time.Unix(int64(i), 0), Frame: i + 1}
		b := testdata(t, "illustrated-tls13", "caps", f.file)
		if f.file == "serverencticket1" {
			c.Gap(f.from, at, len(b))
			continue
		}
		c.Feed(f.from, at, b)
	}
	c.Close()
	var got []string
	for _, ev := range events[len(events)-3:] {
		s := ev.Type
		if ev.Record != nil {
			s += fmt.Sprintf(" seq %d anomalies %d", *ev.Record.Seq, len(ev.Record.Anomalies))
		}
		got = append(got, s)
	}
	want := []string{"encrypted_record", "new_session_ticket seq 1 anomalies 1", "application_data seq 2 anomalies 0"}
	if !slices.Equal(got, want) {
		t.Errorf("events after the gap %q, want %q", got, want)
	}
}

// TestGapInsideRecord checks that bytes missing inside a record (a packet
// cut by the snapshot length after the record header) make a
// partial_record with that header, plaintext as the side's records are at
// that point, at the frame of the gap, as tshark shows the header of a
// record cut short; bytes missing at a record's start stay an
// encrypted_record with no record.
func TestGapInsideRecord(t *testing.T) {
	var events []*Event
	s := NewSession(time.Unix(0, 0), nil, func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	hello := testdata(t, "illustrated-tls12", "caps", "clienthello")
	c.Feed(Client, Stamp{Time: time.Unix(1, 0), Frame: 1}, hello[:32])
	c.Gap(Client, Stamp{Time: time.Unix(1, 0), Frame: 1}, len(hello)-32)
	c.Gap(Server, Stamp{Time: time.Unix(2, 0), Frame: 2}, 100)
	c.Close()
	if len(events) != 2 {
		t.Fatalf("events %v", events)
	}
	ev := events[0]
	if ev.Type != TypePartialRecord || ev.Frame != 1 || ev.Record == nil || ev.Record.Type.Value != 22 ||
		ev.Record.Length != len(hello)-5 || ev.Record.Encrypted {
		t.Errorf("cut ClientHello: %s frame %d record %+v", ev.Type, ev.Frame, ev.Record)
	}
	if want := fmt.Sprintf("%d bytes are missing from the capture inside this record (27 of the %d bytes its header announces seen)", len(hello)-32, len(hello)-5); !strings.HasPrefix(ev.Error, want) {
		t.Errorf("error %q, want it to start %q", ev.Error, want)
	}
	if ev := events[1]; ev.Type != TypeEncryptedRecord || ev.Record != nil || !strings.HasPrefix(ev.Error, "100 bytes are missing from the capture;") {
		t.Errorf("gap at a record's start: %s record %+v error %q", ev.Type, ev.Record, ev.Error)
	}
}

// TestHelloAcrossRecords: a ClientHello cut into records (as large as
// TLS allows, and one byte each) is plaintext in every one of them, though
// no hello of the connection has been seen yet: it is decoded, and no
// record of it is taken for a protected one of a capture begun after the
// handshake.
func TestHelloAcrossRecords(t *testing.T) {
	suites := make([]uint16, 0, 10000)
	for id := uint16(0x6000); len(suites) < cap(suites); id++ {
		if !wire.IsGREASE(id) {
			suites = append(suites, id)
		}
	}
	big, err := (&wire.ClientHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuites: suites}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	small, err := (&wire.ClientHello{Version: wire.VersionTLS12, Random: make([]byte, 32), CipherSuites: []uint16{0xc02f}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		msg  []byte
		size int
	}{{"10000 suites", big, wire.MaxPlaintext}, {"one byte a record", small, 1}} {
		t.Run(c.name, func(t *testing.T) {
			var records []byte
			for msg := c.msg; len(msg) > 0; {
				n := min(len(msg), c.size)
				if records, err = wire.AppendRecord(records, wire.ContentHandshake, wire.VersionTLS10, msg[:n]); err != nil {
					t.Fatal(err)
				}
				msg = msg[n:]
			}
			var types []string
			s := NewSession(time.Unix(0, 0), nil, func(ev *Event) { types = append(types, ev.Type) })
			conn := s.NewConn(1, false)
			conn.Feed(Client, Stamp{Time: time.Unix(1, 0), Frame: 1}, records)
			conn.Close()
			if !slices.Contains(types, TypeClientHello) || slices.Contains(types, TypeEncryptedRecord) {
				t.Errorf("events %v, want the client_hello and no encrypted_record", types)
			}
		})
	}
}

// TestGapRestOfRecord checks that the bytes after missing bytes that cut a
// record, up to the next record header, are said to be the rest of that
// record (tshark's "Continuation Data"), whether its header came before
// the missing bytes or was among them, and that the next record is read.
func TestGapRestOfRecord(t *testing.T) {
	for _, tc := range []struct {
		name       string
		seen, lost int // of the record cut: bytes fed, then bytes missing
		want       string
	}{
		{"header seen", 15, 20, "that end the record the missing bytes before them cut (its header was seen before the missing bytes)"},
		{"header missing", 0, 35, "that end a record whose start, its header with it, is missing from the capture"},
		{"header cut", 3, 32, "that end a record whose start, its header with it, is missing from the capture"},
	} {
		var events []*Event
		s := NewSession(time.Unix(0, 0), loadKeys(t, "illustrated-tls13"), func(ev *Event) { events = append(events, ev.Clone()) })
		c := s.NewConn(1, false)
		var rest int
		for i, f := range illustrated13 {
			at := Stamp{Time: time.Unix(int64(i), 0), Frame: i + 1}
			b := testdata(t, "illustrated-tls13", "caps", f.file)
			if f.file == "serverencticket1" {
				c.Feed(f.from, at, b[:tc.seen])
				c.Gap(f.from, at, tc.lost)
				b = b[tc.seen+tc.lost:]
				rest = len(b)
			}
			c.Feed(f.from, at, b)
		}
		c.Close()
		var got []string
		for _, ev := range events {
			if ev.From == Server && !strings.Contains(ev.Error, "bytes are missing from the capture") &&
				(ev.Type == TypePartialRecord && ev.Record == nil || strings.Contains(ev.Error, "not a TLS record")) {
				got = append(got, ev.Type+": "+ev.Error)
			}
		}
		want := fmt.Sprintf("%s: %d bytes %s", TypePartialRecord, rest, tc.want)
		if len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Errorf("%s: %q, want one that starts %q", tc.name, got, want)
		}
		if last := events[len(events)-1]; last.Type != TypeApplicationData {
			t.Errorf("%s: the record after is %s (%s)", tc.name, last.Type, last.Error)
		}
	}
}
