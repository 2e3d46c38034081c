// Package render writes trace events for people and programs: readable text
// (one line per step, the field tree, hex) and JSON Lines. Renderers read
// events only; they never look at wire bytes except through the events.
package render

import (
	"bufio"
	"io"
	"strconv"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// JSON writes one JSON object per event and line (the contract of
// docs/json.md). Events are encoded by hand, not by reflection: a capture
// of hundreds of megabytes is mostly application data, and this is the hot
// path.
type JSON struct {
	w *bufio.Writer
	// Raw keeps each event's raw bytes (hex, key "raw").
	Raw bool
	buf []byte
	err error
}

// NewJSON returns a JSON Lines renderer writing to w. Call Flush at the end.
func NewJSON(w io.Writer) *JSON {
	return &JSON{w: bufio.NewWriterSize(w, 256<<10)}
}

// Event writes one event.
func (j *JSON) Event(ev *trace.Event) {
	if j.err != nil {
		return
	}
	j.buf = AppendEvent(j.buf[:0], ev, j.Raw)
	j.buf = append(j.buf, '\n')
	_, j.err = j.w.Write(j.buf)
	if cap(j.buf) > 1<<20 {
		j.buf = nil
	}
}

// Flush writes what is buffered and returns the first write error.
func (j *JSON) Flush() error {
	if err := j.w.Flush(); j.err == nil {
		j.err = err
	}
	return j.err
}

// Schema is the version of the JSON Lines contract (docs/json.md) that
// every line carries (key "schema"): it changes when a key is removed or
// renamed or its meaning changes, not when keys or event types are added.
const Schema = 1

// AppendEvent appends the JSON object of ev to b, with the keys of the
// contract in its order; raw says whether to include the event's bytes.
func AppendEvent(b []byte, ev *trace.Event, raw bool) []byte {
	b = append(b, `{"schema":`...)
	b = strconv.AppendInt(b, Schema, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendFloat(b, ev.T, 'f', -1, 64)
	b = append(b, `,"conn":`...)
	b = strconv.AppendInt(b, int64(ev.Conn), 10)
	b = append(b, `,"from":"`...)
	b = append(b, ev.From.String()...)
	b = append(b, `","layer":`...)
	b = field.AppendString(b, ev.Layer)
	b = append(b, `,"type":`...)
	b = field.AppendString(b, ev.Type)
	if ev.Frame != 0 {
		b = append(b, `,"frame":`...)
		b = strconv.AppendInt(b, int64(ev.Frame), 10)
	}
	if r := ev.Record; r != nil {
		b = append(b, `,"record":{"type":`...)
		b = appendEnum(b, r.Type)
		b = append(b, `,"version":`...)
		b = appendEnum(b, r.Version)
		b = append(b, `,"length":`...)
		b = strconv.AppendInt(b, int64(r.Length), 10)
		b = append(b, `,"encrypted":`...)
		b = strconv.AppendBool(b, r.Encrypted)
		if r.MAC != "" {
			b = append(b, `,"mac":`...)
			b = field.AppendString(b, r.MAC)
		}
		if r.InnerType != nil {
			b = append(b, `,"inner_type":`...)
			b = appendEnum(b, *r.InnerType)
		}
		if r.Seq != nil {
			b = append(b, `,"seq":`...)
			b = strconv.AppendUint(b, *r.Seq, 10)
		}
		if r.EarlyData {
			b = append(b, `,"early_data":true`...)
		}
		b = appendAnomalies(b, r.Anomalies)
		b = append(b, '}')
	}
	if ev.Fields != nil {
		b = append(b, `,"fields":`...)
		b = ev.Fields.AppendJSON(b)
	}
	b = appendAnomalies(b, ev.Anomalies)
	if d, ok := ev.Payload.(*trace.Data); ok && len(d.Masked) > 0 {
		b = append(b, `,"masked":[`...)
		for i, m := range d.Masked {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"offset":`...)
			b = strconv.AppendInt(b, int64(m.Offset), 10)
			b = append(b, `,"length":`...)
			b = strconv.AppendInt(b, int64(m.Length), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if ev.Error != "" {
		b = append(b, `,"error":`...)
		b = field.AppendString(b, ev.Error)
	}
	if raw && len(ev.Raw) > 0 {
		b = append(b, `,"raw":"`...)
		b = field.AppendHex(b, ev.Raw)
		b = append(b, '"')
	}
	return append(b, '}')
}

func appendEnum(b []byte, e trace.Enum) []byte {
	return append(field.AppendEnum(b, e.Name, e.Value), '}')
}

// appendAnomalies writes `,"anomalies":[…]` when there are any.
func appendAnomalies(b []byte, anomalies []field.Anomaly) []byte {
	if len(anomalies) == 0 {
		return b
	}
	b = append(b, `,"anomalies":[`...)
	for i, a := range anomalies {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"offset":`...)
		b = strconv.AppendInt(b, int64(a.Offset), 10)
		b = append(b, `,"text":`...)
		b = field.AppendString(b, a.Text)
		b = append(b, '}')
	}
	return append(b, ']')
}
