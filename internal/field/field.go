// Package field holds the tree of decoded fields that the wire decoder builds
// and that the renderers walk.
//
// It sits below both internal/wire and internal/render so that renderers can
// show every decoded field without importing the wire decoder (see
// docs/architecture.md). A Node is plain data: a name, a value of one kind, the
// byte span it was read from, and children for structures and lists.
package field

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// Kind says which value a Node holds.
type Kind uint8

const (
	// Object is a structure: its children are named fields, in wire order.
	Object Kind = iota
	// List is a vector: its children are items (their Name is usually empty).
	List
	// Uint is an unsigned integer (Uint).
	Uint
	// Bytes is opaque data (Bytes), shown as hex.
	Bytes
	// String is text (Str), such as a host name or an ALPN protocol.
	String
	// Enum is a registered code point: Uint holds the value, Str its name
	// ("" when the value is not registered).
	Enum
	// Bool is a flag (Uint is 0 or 1).
	Bool
)

// Node is one decoded field.
type Node struct {
	// Name is the field name as the RFC spells it, in snake_case. List items
	// have no name.
	Name string
	Kind Kind
	// Uint holds the value of Uint, Enum and Bool nodes.
	Uint uint64
	// Bytes holds the value of Bytes nodes.
	Bytes []byte
	// Str holds the value of String nodes and the name of Enum nodes.
	Str string
	// Children holds the fields of an Object and the items of a List.
	Children []*Node
	// Offset and Length give the bytes the field was read from, relative to
	// the start of the message (its header included). Length is 0 for
	// fields that are not read from bytes.
	Offset, Length int
	// Note is a short remark attached to the field ("GREASE", "hybrid
	// post-quantum", "HelloRetryRequest"), shown by renderers.
	Note string
}

// Clone returns a deep copy of n: its byte strings copied, its children
// cloned.
func (n *Node) Clone() *Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Bytes != nil {
		c.Bytes = append([]byte(nil), n.Bytes...)
	}
	if n.Children != nil {
		c.Children = make([]*Node, len(n.Children))
		for i, ch := range n.Children {
			c.Children[i] = ch.Clone()
		}
	}
	return &c
}

// NewObject returns an empty Object node.
func NewObject(name string) *Node { return &Node{Name: name, Kind: Object} }

// NewList returns an empty List node.
func NewList(name string) *Node { return &Node{Name: name, Kind: List} }

// Add appends c to n's children and returns c.
func (n *Node) Add(c *Node) *Node {
	n.Children = append(n.Children, c)
	return c
}

// AddUint appends an unsigned integer field.
func (n *Node) AddUint(name string, v uint64) *Node {
	return n.Add(&Node{Name: name, Kind: Uint, Uint: v})
}

// AddBytes appends an opaque field.
func (n *Node) AddBytes(name string, b []byte) *Node {
	return n.Add(&Node{Name: name, Kind: Bytes, Bytes: b})
}

// AddString appends a text field.
func (n *Node) AddString(name, s string) *Node {
	return n.Add(&Node{Name: name, Kind: String, Str: s})
}

// AddEnum appends a code point with its registered name.
func (n *Node) AddEnum(name string, v uint64, valueName string) *Node {
	return n.Add(&Node{Name: name, Kind: Enum, Uint: v, Str: valueName})
}

// AddBool appends a flag.
func (n *Node) AddBool(name string, v bool) *Node {
	var u uint64
	if v {
		u = 1
	}
	return n.Add(&Node{Name: name, Kind: Bool, Uint: u})
}

// Get returns the first child named name, or nil.
func (n *Node) Get(name string) *Node {
	if n == nil {
		return nil
	}
	for _, c := range n.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Anomaly is something unusual found while decoding: trailing bytes, a
// duplicate extension, lengths that disagree. Anomalies never stop decoding.
type Anomaly struct {
	// Offset is where in the message the anomaly was found.
	Offset int `json:"offset"`
	// Text says what is wrong, in plain words.
	Text string `json:"text"`
}

// AppendEnum appends the JSON object of a code point, `{"name":…,"value":…`,
// without its closing brace. A code point no registry names is named
// unknown_N, N its value, as the alerts, content types and handshake
// types of no name are: a name is never empty.
func AppendEnum(b []byte, name string, value uint64) []byte {
	b = append(b, `{"name":`...)
	if name == "" {
		b = append(b, `"unknown_`...)
		b = strconv.AppendUint(b, value, 10)
		b = append(b, '"')
	} else {
		b = appendString(b, name)
	}
	b = append(b, `,"value":`...)
	return strconv.AppendUint(b, value, 10)
}

// Hex returns b as lowercase hex.
func Hex(b []byte) string { return hex.EncodeToString(b) }

// MarshalJSON writes an Object as a JSON object (keys in wire order), a List
// as an array, an Enum as {"name", "value"}, Bytes as a hex string and the
// other kinds as JSON scalars. A note is kept as "note" inside enums and
// objects.
//
// A JSON string holds Unicode text only, and a String's bytes come from
// the wire (a host name, an ALPN protocol, a header) where a peer may send
// any byte: encoding/json writes each byte that is not UTF-8 as U+FFFD, so
// 0xFF and the three bytes EF BF BD would read the same. So an object's
// String that is not valid UTF-8 is followed by the key NAME_hex, its exact
// bytes in hex, and an object's List holding such a String by NAME_hex, a
// list of the hex of each of its items (null for an item that is not a
// String). Valid text gets no such key.
func (n *Node) MarshalJSON() ([]byte, error) {
	return n.AppendJSON(nil), nil
}

// AppendJSON appends the JSON form of n (see MarshalJSON) to b.
func (n *Node) AppendJSON(b []byte) []byte { return n.appendJSON(b) }

func (n *Node) appendJSON(b []byte) []byte {
	switch n.Kind {
	case Object:
		b = append(b, '{')
		for i, c := range n.Children {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, c.Name)
			b = append(b, ':')
			b = c.appendJSON(b)
			if c.notUTF8() {
				b = append(b, ',')
				b = appendString(b, c.Name+"_hex")
				b = append(b, ':')
				b = c.appendHex(b)
			}
		}
		if n.Note != "" {
			if len(n.Children) > 0 {
				b = append(b, ',')
			}
			b = append(b, `"note":`...)
			b = appendString(b, n.Note)
		}
		return append(b, '}')
	case List:
		b = append(b, '[')
		for i, c := range n.Children {
			if i > 0 {
				b = append(b, ',')
			}
			b = c.appendJSON(b)
		}
		return append(b, ']')
	case Uint:
		return strconv.AppendUint(b, n.Uint, 10)
	case Bool:
		return strconv.AppendBool(b, n.Uint != 0)
	case Bytes:
		b = append(b, '"')
		b = AppendHex(b, n.Bytes)
		return append(b, '"')
	case String:
		return appendString(b, n.Str)
	case Enum:
		b = AppendEnum(b, n.Str, n.Uint)
		if n.Note != "" {
			b = append(b, `,"note":`...)
			b = appendString(b, n.Note)
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// notUTF8 reports whether n is a String whose bytes are not valid UTF-8, or
// a List holding one.
func (n *Node) notUTF8() bool {
	switch n.Kind {
	case String:
		return !utf8.ValidString(n.Str)
	case List:
		for _, c := range n.Children {
			if c.Kind == String && !utf8.ValidString(c.Str) {
				return true
			}
		}
	}
	return false
}

// appendHex appends the exact bytes of a String as a hex string, and of a
// List's Strings as a list of them (null for an item of another kind).
func (n *Node) appendHex(b []byte) []byte {
	if n.Kind != List {
		b = append(b, '"')
		b = AppendHex(b, []byte(n.Str))
		return append(b, '"')
	}
	b = append(b, '[')
	for i, c := range n.Children {
		if i > 0 {
			b = append(b, ',')
		}
		if c.Kind == String {
			b = c.appendHex(b)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, ']')
}

// appendString appends s as a JSON string, escaped the way encoding/json does.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// AppendString appends s as a JSON string.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }
