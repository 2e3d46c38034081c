package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestAppendEventMatchesEncodingJSON checks the hand-written encoder against
// encoding/json on the Event struct and its tags.
func TestAppendEventMatchesEncodingJSON(t *testing.T) {
	seq := uint64(3)
	f := field.NewObject("")
	f.AddEnum("cipher_suite", 0x1301, "TLS_AES_128_GCM_SHA256")
	f.AddBytes("data", []byte("ping<&>\x00"))
	f.AddString("host_name", "exa\"mple\n.com")
	l := f.Add(field.NewList("versions"))
	l.AddEnum("", 0x0304, "TLS 1.3")
	f.AddBool("ok", true)
	evs := []*trace.Event{
		{T: 1.25, Conn: 2, From: trace.Server, Layer: "tls", Type: "server_hello", Frame: 7,
			Record: &trace.Record{Type: trace.Enum{Name: "handshake", Value: 22}, Version: trace.Enum{Name: "TLS 1.2", Value: 0x0303},
				Length: 90, Encrypted: true, InnerType: &trace.Enum{Name: "handshake", Value: 22}, Seq: &seq},
			Fields: f, Anomalies: []field.Anomaly{{Offset: 3, Text: "odd \"thing\""}}, Error: "bad <thing>", Raw: trace.HexBytes{1, 2},
			Time: time.Unix(1, 0)},
		{T: 0, Conn: 1, From: trace.Local, Layer: "info", Type: "x"},
		{Conn: 1, From: trace.Client, Layer: "tls", Type: "application_data",
			Record: &trace.Record{Type: trace.Enum{Name: "application_data", Value: 23}, Length: 40, MAC: trace.MACUnchecked}},
		{Conn: 1, From: trace.Client, Layer: "tls", Type: "application_data",
			Record: &trace.Record{Type: trace.Enum{Name: "application_data", Value: 23}, Version: trace.Enum{Name: "TLS 1.2", Value: 0x0303},
				Length: 40, Encrypted: true, InnerType: &trace.Enum{Name: "application_data", Value: 23}, Seq: &seq, EarlyData: true,
				Anomalies: []field.Anomaly{{Offset: 3, Text: "over the limit"}}}},
	}
	// Every key of the event and of its record must be set in some case
	// above, or the comparison cannot see a key the encoder leaves out.
	var records []any
	for _, ev := range evs {
		if ev.Record != nil {
			records = append(records, *ev.Record)
		}
	}
	var events []any
	for _, ev := range evs {
		events = append(events, *ev)
	}
	checkEveryKeySet(t, events)
	checkEveryKeySet(t, records)
	for _, ev := range evs {
		want, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		got := AppendEvent(nil, ev, true)
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("invalid JSON %s: %v", got, err)
		}
		json.Unmarshal(want, &b)
		if err := dropSchema(a); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if d := cmp.Diff(b, a); d != "" {
			t.Errorf("differs from encoding/json (-want +got):\n%s", d)
		}
	}
}

// checkEveryKeySet reports the exported fields with a JSON key that are
// zero in every one of values (all of one struct type).
func checkEveryKeySet(t *testing.T, values []any) {
	t.Helper()
	set := map[string]bool{}
	for _, x := range values {
		v := reflect.ValueOf(x)
		for i := 0; i < v.NumField(); i++ {
			if !v.Field(i).IsZero() {
				set[v.Type().Field(i).Name] = true
			}
		}
	}
	rt := reflect.TypeOf(values[0])
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if f.IsExported() && f.Tag.Get("json") != "-" && !set[f.Name] {
			t.Errorf("no case sets %s.%s", rt.Name(), f.Name)
		}
	}
}

// dropSchema checks that the decoded line v carries the schema version,
// and removes it: the Event struct that encoding/json reads has none.
func dropSchema(v any) error {
	m, ok := v.(map[string]any)
	if !ok || m["schema"] != float64(Schema) {
		return fmt.Errorf("no \"schema\": %d", Schema)
	}
	delete(m, "schema")
	return nil
}

func BenchmarkJSONApplicationData(b *testing.B) {
	f := field.NewObject("")
	data := bytes.Repeat([]byte{0xab}, 16384)
	f.AddUint("length", uint64(len(data)))
	f.AddBytes("data", data)
	ev := &trace.Event{T: 1.5, Conn: 1, From: trace.Client, Layer: "tls", Type: "application_data", Frame: 9,
		Record: &trace.Record{Type: trace.Enum{Name: "application_data", Value: 23}, Length: 16408, Encrypted: true}, Fields: f}
	j := NewJSON(discard{})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		j.Event(ev)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
