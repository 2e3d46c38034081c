package render

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// FuzzAppendEvent fills an event with arbitrary values and texts: the JSON
// AppendEvent writes must be valid and mean what encoding/json makes of
// the event, with and without its bytes.
func FuzzAppendEvent(f *testing.F) {
	f.Add(1.25, 2, uint8(1), "tls", "server_hello", 7, "handshake", uint64(22), 90, true, uint64(3), 3, "odd \"thing\"", "bad <thing>", []byte{1, 2})
	f.Add(0.0, 1, uint8(2), "info", "x", 0, "", uint64(0), 0, false, uint64(0), 0, "", "", []byte{})
	f.Add(-1e21, -5, uint8(9), "\x00\xff", "é\u2028", -1, "\x7f", uint64(1<<63), -3, false, uint64(1<<64-1), -9, "\xed\xa0\x80", "\\", []byte{0})
	f.Fuzz(func(t *testing.T, at float64, conn int, from uint8, layer, typ string, frame int, name string, value uint64,
		length int, encrypted bool, seq uint64, offset int, text, errText string, raw []byte) {
		if math.IsNaN(at) || math.IsInf(at, 0) {
			return // not a time
		}
		if len(layer)+len(typ)+len(name)+len(text)+len(errText)+len(raw) > 64 {
			// Longer texts find nothing shorter ones do not, and take
			// the fuzzer long to minimize.
			return
		}
		ev := &trace.Event{T: at, Conn: conn, From: trace.Side(from % 4), Layer: layer, Type: typ, Frame: frame, Error: errText, Raw: raw}
		if len(name) > 0 {
			inner := trace.Enum{Name: name, Value: value}
			ev.Record = &trace.Record{Type: trace.Enum{Name: name, Value: value & 0xff}, Version: trace.Enum{Name: text, Value: value >> 48},
				Length: length, Encrypted: encrypted}
			if encrypted {
				ev.Record.InnerType, ev.Record.Seq = &inner, &seq
			}
			ev.Fields = field.NewObject("")
			ev.Fields.AddString(name, text)
		}
		if text != "" {
			ev.Anomalies = []field.Anomaly{{Offset: offset, Text: text}, {Offset: -offset, Text: errText}}
			if ev.Record != nil {
				ev.Record.Anomalies = ev.Anomalies[1:]
			}
		}
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, withRaw := range []bool{true, false} {
			got := AppendEvent(nil, ev, withRaw)
			var a, b any
			if err := json.Unmarshal(got, &a); err != nil {
				t.Fatalf("invalid JSON %s: %v", got, err)
			}
			json.Unmarshal(want, &b)
			if err := dropSchema(a); err != nil {
				t.Fatalf("%s: %v", got, err)
			}
			if !withRaw {
				delete(b.(map[string]any), "raw")
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("raw=%v:\n%s\nencoding/json:\n%s", withRaw, got, want)
			}
		}
	})
}
