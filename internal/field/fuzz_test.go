package field

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf8"
)

// buildTree makes a tree from a program: each byte of ops adds a node of
// one kind under the current object or list, opens one, or closes it;
// names, texts and values are taken from words and ops in turn.
func buildTree(ops []byte, words []string) *Node {
	root := NewObject("")
	stack := []*Node{root}
	word := func(i int) string {
		if len(words) == 0 {
			return ""
		}
		return words[i%len(words)]
	}
	for i, op := range ops {
		cur := stack[len(stack)-1]
		name := word(i)
		if cur.Kind == List {
			name = ""
		}
		v := uint64(op) * 0x0101010101010101 >> (op % 8)
		switch op % 9 {
		case 0:
			stack = append(stack, cur.Add(NewObject(name)))
		case 1:
			stack = append(stack, cur.Add(NewList(name)))
		case 2:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		case 3:
			cur.AddUint(name, v)
		case 4:
			cur.AddBytes(name, []byte(word(i+1)))
		case 5:
			cur.AddString(name, word(i+1))
		case 6:
			cur.AddEnum(name, v, word(i+1)).Note = word(i + 2)
		case 7:
			cur.AddBool(name, op&16 != 0)
		case 8:
			cur.Note = word(i + 1)
		}
	}
	return root
}

// plain returns the value encoding/json should see for n: what
// MarshalJSON promises (objects with keys in order, lists, enums as name
// and value, bytes as hex, notes inside objects and enums).
func plain(n *Node) any {
	switch n.Kind {
	case Object:
		m := map[string]any{}
		for _, c := range n.Children {
			// A byte that is not UTF-8 is written as U+FFFD, so two
			// names can become the same key: the later one wins.
			m[string([]rune(c.Name))] = plain(c)
			if h := hexOf(c); h != nil {
				m[string([]rune(c.Name+"_hex"))] = h
			}
		}
		if n.Note != "" {
			m["note"] = n.Note
		}
		return m
	case List:
		l := []any{}
		for _, c := range n.Children {
			l = append(l, plain(c))
		}
		return l
	case Uint:
		return n.Uint
	case Bool:
		return n.Uint != 0
	case Bytes:
		return hex.EncodeToString(n.Bytes)
	case String:
		return n.Str
	case Enum:
		name := n.Str
		if name == "" {
			name = "unknown_" + strconv.FormatUint(n.Uint, 10)
		}
		m := map[string]any{"name": name, "value": n.Uint}
		if n.Note != "" {
			m["note"] = n.Note
		}
		return m
	}
	return nil
}

// hexOf returns what MarshalJSON adds after n under NAME_hex: a String's
// bytes in hex when they are not UTF-8, a List's items' when one of its
// Strings is not; nil when it adds nothing.
func hexOf(n *Node) any {
	switch n.Kind {
	case String:
		if !utf8.ValidString(n.Str) {
			return hex.EncodeToString([]byte(n.Str))
		}
	case List:
		l := []any{}
		bad := false
		for _, c := range n.Children {
			if c.Kind != String {
				l = append(l, nil)
				continue
			}
			bad = bad || !utf8.ValidString(c.Str)
			l = append(l, hex.EncodeToString([]byte(c.Str)))
		}
		if bad {
			return l
		}
	}
	return nil
}

// FuzzNodeJSON builds arbitrary trees with arbitrary names and texts: their
// JSON must be valid and mean what encoding/json makes of the same values,
// and a clone must write the same JSON.
func FuzzNodeJSON(f *testing.F) {
	f.Add([]byte{0, 3, 4, 5, 1, 6, 7, 2, 8, 3}, "host_name", "exa\"mple\n.com", "<&>")
	f.Add([]byte{1, 1, 3, 2, 6}, "", "é\xff", "\u2028")
	f.Fuzz(func(t *testing.T, ops []byte, w1, w2, w3 string) {
		if len(ops) > 64 || len(w1)+len(w2)+len(w3) > 48 {
			// Bigger trees find nothing smaller ones do not, and take
			// the fuzzer long to minimize.
			return
		}
		n := buildTree(ops, []string{w1, w2, w3})
		got := n.AppendJSON(nil)
		want, err := json.Marshal(plain(n))
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("invalid JSON %s: %v", got, err)
		}
		json.Unmarshal(want, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("JSON\n%s\nencoding/json\n%s", got, want)
		}
		if c := n.Clone().AppendJSON(nil); !bytes.Equal(c, got) {
			t.Fatalf("clone writes\n%s\nnot\n%s", c, got)
		}
	})
}
