package field

import (
	"encoding/json"
	"testing"
)

// TestMarshalJSONNames checks that field names are written as JSON
// strings, escaped as encoding/json does (found by FuzzNodeJSON: a control
// character came out as a Go escape, \x10, which is not JSON).
func TestMarshalJSONNames(t *testing.T) {
	n := NewObject("")
	for _, name := range []string{"host_name", "\x10", "a\"b", "<&>", "é", "\xff"} {
		n.AddUint(name, 1)
	}
	got := n.AppendJSON(nil)
	var m map[string]uint64
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatalf("invalid JSON %s: %v", got, err)
	}
	for _, name := range []string{"host_name", "\x10", "a\"b", "<&>", "é", "\ufffd"} {
		if m[name] != 1 {
			t.Errorf("%q missing from %s", name, got)
		}
	}
}
