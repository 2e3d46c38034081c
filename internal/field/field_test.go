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

// TestMarshalJSONBytesNotUTF8 checks that a String whose bytes are not
// UTF-8 keeps them: JSON can only say U+FFFD for 0xFF, which a peer that
// sent EF BF BD also gets, so the exact bytes follow in hex, for a String
// in an object and for a list of Strings.
func TestMarshalJSONBytesNotUTF8(t *testing.T) {
	n := NewObject("")
	sni := n.Add(NewList("server_name_list")).Add(NewObject(""))
	sni.AddEnum("name_type", 0, "host_name")
	sni.AddString("host_name", "ev\x1bil\x00.\xffexample")
	alpn := n.Add(NewList("protocol_name_list"))
	alpn.AddString("", "\x00\xff")
	alpn.AddString("", "h2")
	n.AddString("valid", "\xef\xbf\xbd")
	want := `{"server_name_list":[{"name_type":{"name":"host_name","value":0},` +
		`"host_name":"ev\u001bil\u0000.\ufffdexample","host_name_hex":"65761b696c002eff6578616d706c65"}],` +
		`"protocol_name_list":["\u0000\ufffd","h2"],"protocol_name_list_hex":["00ff","6832"],` +
		`"valid":"` + "\ufffd" + `"}`
	if got := string(n.AppendJSON(nil)); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
