package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// flight is one record as sent, from the Illustrated connections' caps.
type flight struct {
	from Side
	file string
}

var illustrated13 = []flight{
	{Client, "clienthello"},
	{Server, "serverhello"},
	{Server, "serverccs"},
	{Server, "serverencextensions"},
	{Server, "serverenccert"},
	{Server, "serverenccertverify"},
	{Server, "serverencfinished"},
	{Client, "clientccs"},
	{Client, "clientencfinished"},
	{Client, "clientencdata"},
	{Server, "serverencticket1"},
	{Server, "serverencticket2"},
	{Server, "serverencdata"},
}

var illustrated12 = []flight{
	{Client, "clienthello"},
	{Server, "serverhello"},
	{Server, "servercert"},
	{Server, "serverkeyexchange"},
	{Server, "serverhellodone"},
	{Client, "clientkeyexchange"},
	{Client, "clientccs"},
	{Client, "clientfinished"},
	{Server, "serverccs"},
	{Server, "serverfinished"},
	{Client, "clientdata"},
	{Server, "serverdata"},
	{Client, "clientalert"},
}

func testdata(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadKeys(t testing.TB, dir string) *keylog.Log {
	t.Helper()
	k, warnings, err := keylog.Parse(bytes.NewReader(testdata(t, dir, "keylog.txt")))
	if err != nil || len(warnings) > 0 {
		t.Fatalf("key log: %v %v", err, warnings)
	}
	return k
}

// replay feeds the flights to a Conn, chunk bytes at a time (0: whole
// records), and returns the events.
func replay(t testing.TB, dir string, flights []flight, keys *keylog.Log, chunk int) []*Event {
	t.Helper()
	var events []*Event
	s := NewSession(time.Unix(0, 0), keys, func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	for i, f := range flights {
		b := testdata(t, dir, "caps", f.file)
		at := Stamp{Time: time.Unix(int64(i), 0), Frame: i + 1}
		if chunk == 0 {
			c.Feed(f.from, at, b)
			continue
		}
		for len(b) > 0 {
			n := min(chunk, len(b))
			c.Feed(f.from, at, b[:n])
			b = b[n:]
		}
	}
	c.Close()
	return events
}

type step struct {
	from Side
	typ  string
}

func steps(events []*Event) []step {
	var out []step
	for _, ev := range events {
		out = append(out, step{ev.From, ev.Type})
	}
	return out
}

func TestIllustratedTLS13(t *testing.T) {
	events := replay(t, "illustrated-tls13", illustrated13, loadKeys(t, "illustrated-tls13"), 0)
	want := []step{
		{Client, "client_hello"},
		{Server, "server_hello"},
		{Server, "change_cipher_spec"},
		{Server, "encrypted_extensions"},
		{Server, "certificate"},
		{Server, "certificate_verify"},
		{Server, "finished"},
		{Client, "change_cipher_spec"},
		{Client, "finished"},
		{Client, "application_data"},
		{Server, "new_session_ticket"},
		{Server, "new_session_ticket"},
		{Server, "application_data"},
	}
	if got := steps(events); !slices.Equal(got, want) {
		t.Fatalf("steps:\n got %v\nwant %v", got, want)
	}
	for _, ev := range events {
		if ev.Error != "" {
			t.Errorf("%s: error %s", ev.Type, ev.Error)
		}
	}
	// The decrypted messages are the plaintexts of caps/ without their
	// inner content type byte.
	plain := map[int]string{3: "serverextensions", 4: "servercert", 5: "servercertverify", 6: "serverfinished",
		8: "clientfinished", 9: "clientdata", 10: "serverticket1", 11: "serverticket2", 12: "serverdata"}
	for i, file := range plain {
		p := testdata(t, "illustrated-tls13", "caps", file)
		p = p[:len(p)-1]
		if !bytes.Equal(events[i].Raw, p) {
			t.Errorf("%s: decrypted bytes differ from caps/%s:\n got %x\nwant %x", events[i].Type, file, events[i].Raw, p)
		}
		if !events[i].Record.Encrypted {
			t.Errorf("%s: record not marked encrypted", events[i].Type)
		}
	}
	if got := string(events[9].Fields.Get("data").Bytes); got != "ping" {
		t.Errorf("client data %q, want ping", got)
	}
	if got := string(events[12].Fields.Get("data").Bytes); got != "pong" {
		t.Errorf("server data %q, want pong", got)
	}
	// Sequence numbers restart with each key: the server's certificate is
	// record 1 of the handshake key, its first ticket record 0 of the
	// application key.
	if got := *events[4].Record.Seq; got != 1 {
		t.Errorf("certificate seq %d, want 1", got)
	}
	if got := *events[10].Record.Seq; got != 0 {
		t.Errorf("first ticket seq %d, want 0", got)
	}
}

func TestIllustratedTLS12(t *testing.T) {
	events := replay(t, "illustrated-tls12", illustrated12, loadKeys(t, "illustrated-tls12"), 0)
	want := []step{
		{Client, "client_hello"},
		{Server, "server_hello"},
		{Server, "certificate"},
		{Server, "server_key_exchange"},
		{Server, "server_hello_done"},
		{Client, "client_key_exchange"},
		{Client, "change_cipher_spec"},
		{Client, "finished"},
		{Server, "change_cipher_spec"},
		{Server, "finished"},
		{Client, "application_data"},
		{Server, "application_data"},
		{Client, "alert"},
	}
	if got := steps(events); !slices.Equal(got, want) {
		t.Fatalf("steps:\n got %v\nwant %v", got, want)
	}
	for _, ev := range events {
		if ev.Error != "" {
			t.Errorf("%s: error %s", ev.Type, ev.Error)
		}
	}
	if got := string(events[10].Fields.Get("data").Bytes); got != "ping" {
		t.Errorf("client data %q, want ping", got)
	}
	if got := string(events[11].Fields.Get("data").Bytes); got != "pong" {
		t.Errorf("server data %q, want pong", got)
	}
	// The Finished messages decrypt to the plaintexts of caps/ (which hold
	// the MAC and padding after the message).
	for i, file := range map[int]string{7: "clientfinishedplain", 9: "serverfinishedplain"} {
		p := testdata(t, "illustrated-tls12", "caps", file)
		if !bytes.HasPrefix(p, events[i].Raw) || len(events[i].Raw) != 16 {
			t.Errorf("%s: got %x, want a prefix of %x", file, events[i].Raw, p)
		}
	}
	if d := events[12].Fields.Get("description"); d == nil || d.Str != "close_notify" {
		t.Errorf("alert: %+v", d)
	}
}

// TestChunking checks that any chunking gives the same events as whole
// records.
func TestChunking(t *testing.T) {
	for _, tc := range []struct {
		dir     string
		flights []flight
	}{{"illustrated-tls13", illustrated13}, {"illustrated-tls12", illustrated12}} {
		keys := loadKeys(t, tc.dir)
		want := eventsJSON(t, replay(t, tc.dir, tc.flights, keys, 0))
		for _, chunk := range []int{1, 2, 3, 7, 100} {
			got := eventsJSON(t, replay(t, tc.dir, tc.flights, keys, chunk))
			if got != want {
				t.Errorf("%s chunk %d: events differ\n got %s\nwant %s", tc.dir, chunk, got, want)
			}
		}
	}
}

// TestAllInOneFeed checks that several records in one chunk, crossing the
// direction's flights, decode like separate feeds.
func TestAllInOneFeed(t *testing.T) {
	dir := "illustrated-tls13"
	keys := loadKeys(t, dir)
	var events []*Event
	s := NewSession(time.Unix(0, 0), keys, func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	var server []byte
	for _, f := range illustrated13[1:7] {
		server = append(server, testdata(t, dir, "caps", f.file)...)
	}
	c.Feed(Client, Stamp{Frame: 1}, testdata(t, dir, "caps", "clienthello"))
	c.Feed(Server, Stamp{Frame: 2}, server)
	c.Close()
	if len(events) != 7 || events[6].Type != "finished" || events[6].Error != "" {
		t.Fatalf("events: %v", steps(events))
	}
}

func eventsJSON(t testing.TB, events []*Event) string {
	var b bytes.Buffer
	for _, ev := range events {
		e := *ev
		e.T, e.Frame, e.Time = 0, 0, time.Time{}
		j, err := json.Marshal(&e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestNoKeys checks that without secrets nothing is invented: encrypted
// records stay encrypted_record events, with the reason.
func TestNoKeys(t *testing.T) {
	events := replay(t, "illustrated-tls13", illustrated13, nil, 0)
	var types []string
	for _, ev := range events {
		types = append(types, ev.Type)
		if ev.Type == "encrypted_record" && ev.Error == "" {
			t.Errorf("encrypted_record without a reason")
		}
	}
	want := []string{"client_hello", "server_hello", "change_cipher_spec",
		"encrypted_record", "encrypted_record", "encrypted_record", "encrypted_record",
		"change_cipher_spec", "encrypted_record", "encrypted_record",
		"encrypted_record", "encrypted_record", "encrypted_record"}
	if !slices.Equal(types, want) {
		t.Fatalf("types:\n got %v\nwant %v", types, want)
	}
}

// TestWaitForSecrets checks the live path: records held until their secrets
// are added, then decoded in order.
func TestWaitForSecrets(t *testing.T) {
	dir := "illustrated-tls13"
	full := loadKeys(t, dir)
	var events []*Event
	s := NewSession(time.Unix(0, 0), nil, func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, true)
	for i, f := range illustrated13 {
		c.Feed(f.from, Stamp{Frame: i + 1}, testdata(t, dir, "caps", f.file))
	}
	if len(events) != 3 {
		t.Fatalf("before secrets: %v", steps(events))
	}
	random := testdata(t, dir, "caps", "clienthello")[11 : 11+32]
	for _, label := range []string{keylog.LabelServerHandshakeTrafficSecret, keylog.LabelClientHandshakeTrafficSecret, keylog.LabelServerTrafficSecret0, keylog.LabelClientTrafficSecret0} {
		s.AddSecret(label, random, full.Secret(random, label))
	}
	c.Close()
	if len(events) != len(illustrated13) {
		t.Fatalf("after secrets: %v", steps(events))
	}
	for _, ev := range events {
		if ev.Error != "" {
			t.Errorf("%s: %s", ev.Type, ev.Error)
		}
	}
}

// TestNotTLS checks that a stream that is not TLS is reported once and left
// alone.
func TestNotTLS(t *testing.T) {
	var events []*Event
	s := NewSession(time.Unix(0, 0), nil, func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	c.Feed(Client, Stamp{}, []byte("GET / HTTP/1.1\r\n\r\n"))
	c.Feed(Server, Stamp{}, []byte("HTTP/1.1 200 OK\r\n\r\n"))
	c.Close()
	if len(events) != 1 || events[0].Type != TypeNotTLS {
		t.Fatalf("events: %v", steps(events))
	}
}

// TestNotTLSAnyChunking checks that bytes that are not TLS are reported
// the same, and leave the same evidence, however they were cut: a server's
// "HTTP/1.1 400" in one piece, or byte by byte (found by FuzzConn: the
// report showed what had arrived by the third byte).
func TestNotTLSAnyChunking(t *testing.T) {
	run := func(chunk int) (string, error) {
		var events []*Event
		s := NewSession(time.Unix(0, 0), nil, func(ev *Event) { events = append(events, ev.Clone()) })
		c := s.NewConn(1, false)
		b := []byte("HTTP/1.1 400 Bad Request\r\n\r\n")
		for len(b) > 0 {
			n := min(chunk, len(b))
			c.Feed(Server, Stamp{}, b[:n])
			b = b[n:]
		}
		c.Close()
		if len(events) != 1 || events[0].Type != TypeNotTLS {
			t.Fatalf("in pieces of %d: %v", chunk, steps(events))
		}
		return events[0].Error, c.Evidence().Framing[Server]
	}
	wantMsg, wantErr := run(100)
	for _, chunk := range []int{1, 2, 3, 4, 5, 8} {
		msg, err := run(chunk)
		if msg != wantMsg || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("in pieces of %d: %q, %v; in one piece: %q, %v", chunk, msg, err, wantMsg, wantErr)
		}
	}
	var he *wire.RecordHeaderError
	if !errors.As(wantErr, &he) || string(he.Header) != "HTTP/" {
		t.Errorf("evidence %#v, want the header HTTP/", wantErr)
	}
}

func BenchmarkReplayTLS13(b *testing.B) {
	keys := loadKeys(b, "illustrated-tls13")
	var records [][]byte
	for _, f := range illustrated13 {
		records = append(records, testdata(b, "illustrated-tls13", "caps", f.file))
	}
	b.ReportAllocs()
	for b.Loop() {
		s := NewSession(time.Unix(0, 0), keys, func(*Event) {})
		c := s.NewConn(1, false)
		for i, f := range illustrated13 {
			c.Feed(f.from, Stamp{}, records[i])
		}
		c.Close()
	}
}

// TestNoDataFields checks that Session.NoDataFields leaves out only the
// field tree of application data events: the same events, the bytes in
// their payload.
func TestNoDataFields(t *testing.T) {
	dir := "illustrated-tls13"
	keys := loadKeys(t, dir)
	want := replay(t, dir, illustrated13, keys, 0)
	var got []*Event
	s := NewSession(time.Unix(0, 0), keys, func(ev *Event) { got = append(got, ev.Clone()) })
	s.NoDataFields = true
	c := s.NewConn(1, false)
	for i, f := range illustrated13 {
		c.Feed(f.from, Stamp{Time: time.Unix(int64(i), 0), Frame: i + 1}, testdata(t, dir, "caps", f.file))
	}
	c.Close()
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	data := 0
	for i, ev := range want {
		if ev.Type == TypeApplicationData {
			data++
			if got[i].Fields != nil {
				t.Errorf("event %d: application data with fields", i)
			}
			d, ok := got[i].Payload.(*Data)
			if !ok || !bytes.Equal(d.Bytes, ev.Fields.Get("data").Bytes) {
				t.Errorf("event %d: payload %+v, want the record's bytes", i, got[i].Payload)
			}
			ev.Fields = nil
		}
	}
	if data == 0 {
		t.Fatal("no application data in the replay")
	}
	if g, w := eventsJSON(t, got), eventsJSON(t, want); g != w {
		t.Fatalf("events differ beyond application data fields:\n%s\nwant\n%s", g, w)
	}
}

// TestCloneRecordOwnsItsNumbers checks that a clone's sequence number and
// inner type, which a decrypted record holds in itself, are the clone's:
// the decoder's record may be reused or changed once it is emitted.
func TestCloneRecordOwnsItsNumbers(t *testing.T) {
	r := &Record{Encrypted: true}
	r.seq, r.inner = 5, Enum{Name: "handshake", Value: 22}
	r.Seq, r.InnerType = &r.seq, &r.inner
	c := (&Event{Record: r}).Clone()
	r.seq, r.inner = 6, Enum{Name: "alert", Value: 21}
	if *c.Record.Seq != 5 || c.Record.InnerType.Value != 22 {
		t.Errorf("clone's record: seq %d, inner type %v; want 5 and handshake (its own copy)", *c.Record.Seq, *c.Record.InnerType)
	}
	if c.Record.Seq != &c.Record.seq || c.Record.InnerType != &c.Record.inner {
		t.Error("the clone's record points into the original's")
	}
}

// TestHandshakeFragments: a ClientHello cut into records of 1, 1, 1, 0, 7,
// 0 bytes and the rest shows every record: each fragment with the bytes it
// holds (those of the header too, before the length is known), the empty
// records with the RFCs' rule broken, and the message with the record that
// completes it.
func TestHandshakeFragments(t *testing.T) {
	rec := testdata(t, "illustrated-tls13", "caps", "clienthello")
	msg := rec[wire.RecordHeaderLen:]
	var events []*Event
	s := NewSession(time.Unix(0, 0), nil, func(ev *Event) { events = append(events, ev.Clone()) })
	c := s.NewConn(1, false)
	var sizes []int
	for _, n := range []int{1, 1, 1, 0, 7, 0, len(msg) - 10} {
		sizes = append(sizes, n)
		c.Feed(Client, Stamp{}, append([]byte{22, 3, 1, byte(n >> 8), byte(n)}, msg[:n]...))
		msg = msg[n:]
	}
	c.Close()
	var got []string
	for _, ev := range events {
		switch p := ev.Payload.(type) {
		case *HandshakeFragment:
			got = append(got, fmt.Sprintf("%s %d/%d/%d anomalies %d", p.Message.Name, p.Bytes, p.Held, p.Length, len(ev.Record.Anomalies)))
		case *Message:
			got = append(got, fmt.Sprintf("%s record %d", ev.Type, ev.Record.Length))
		}
	}
	total := len(rec) - wire.RecordHeaderLen
	want := []string{
		"client_hello 1/1/0 anomalies 0",
		"client_hello 1/2/0 anomalies 0",
		"client_hello 1/3/0 anomalies 0",
		"client_hello 0/3/0 anomalies 1",
		fmt.Sprintf("client_hello 7/10/%d anomalies 0", total),
		fmt.Sprintf("client_hello 0/10/%d anomalies 1", total),
		fmt.Sprintf("client_hello record %d", sizes[6]),
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// An empty handshake record with no message begun is shown too.
	events = nil
	c = s.NewConn(2, false)
	c.Feed(Client, Stamp{}, []byte{22, 3, 1, 0, 0})
	c.Close()
	if len(events) != 1 || events[0].Type != TypeHandshakeFragment || len(events[0].Record.Anomalies) != 1 {
		t.Errorf("empty record alone: %v", steps(events))
	}
}
