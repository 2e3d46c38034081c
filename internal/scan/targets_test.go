package scan

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// TestTargets reads a list with comments, blank lines and spaces, and
// checks that its shards are disjoint, in order, and together the list.
func TestTargets(t *testing.T) {
	targets := Targets("# hosts\na:1\n\nb:2\r\nc:3\n d:4 \n  # e:5\nf:6")
	if want := []string{"a:1", "b:2", "c:3", "d:4", "f:6"}; !slices.Equal(targets, want) {
		t.Fatalf("targets %q, want %q", targets, want)
	}
	var all []string
	for k := 1; k <= 3; k++ {
		s, err := ParseShard(fmt.Sprintf("%d/3", k))
		if err != nil {
			t.Fatal(err)
		}
		part := s.Of(targets)
		if !slices.IsSorted(part) {
			t.Errorf("shard %d/3 %q is not in the list's order", k, part)
		}
		all = append(all, part...)
	}
	slices.Sort(all)
	if !slices.Equal(all, targets) {
		t.Errorf("union of the shards %q, want %q", all, targets)
	}
	if s, _ := ParseShard("2/2"); !slices.Equal(s.Of(targets), []string{"b:2", "d:4"}) {
		t.Errorf("shard 2/2: %q", s.Of(targets))
	}
	for _, bad := range []string{"0/3", "4/3", "1/0", "x/2", "2", "1/x", "-1/2", ""} {
		_, err := ParseShard(bad)
		var se *setting.Error
		if !errors.As(err, &se) || se.Name != "Shard" || se.Value != bad {
			t.Errorf("shard %q: error %v, want a setting.Error for Shard", bad, err)
		}
	}
}

// TestEvents checks that each result becomes a local scan event of the
// target, timed from the start.
func TestEvents(t *testing.T) {
	var got []*trace.Event
	emit := Events("127.0.0.1:443", func(ev *trace.Event) { got = append(got, ev) })
	emit(&SuiteAccepted{Version: 0x0303, Suite: 0xc02f})
	emit(&Summary{Addr: "127.0.0.1:443", Grade: "A"})
	if len(got) != 2 {
		t.Fatalf("%d events, want 2", len(got))
	}
	for _, ev := range got {
		if ev.Layer != Layer || ev.From != trace.Local || ev.Conn != 0 || ev.T < 0 || ev.Time.IsZero() {
			t.Errorf("event %s: layer %q, from %v, conn %d, t %v", ev.Type, ev.Layer, ev.From, ev.Conn, ev.T)
		}
		if f := ev.Fields.Get("target"); f == nil || f.Str != "127.0.0.1:443" {
			t.Errorf("event %s: target %+v", ev.Type, f)
		}
	}
	if p, ok := got[0].Payload.(*SuiteAccepted); !ok || p.Suite != 0xc02f || got[0].Type != "suite_accepted" {
		t.Errorf("first event %s, payload %#v", got[0].Type, got[0].Payload)
	}
}
