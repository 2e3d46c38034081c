package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// This file holds the field-level oracle: every TLS step tlstrace shows of
// a capture (each handshake message, change_cipher_spec, alert and
// application data record, in order, per connection) is compared with what
// tshark dissects of the same capture and key log. Per step it compares the
// frame, the direction, the record that carried it (type, inner type,
// length, version), and the fields of messageFields; application data is
// compared by length and a hash of the decrypted bytes, frame by frame.
// The first difference fails the test, naming the connection, the frame,
// the field and both values.

// An oracleStep is one TLS step as either side sees it.
type oracleStep struct {
	frame  int
	from   string // client or server
	kind   string // tlstrace's event type: client_hello, alert, application_data, …
	record string // "type/inner/length/version" of the record that carried it
	fields []oracleField
	// data is the plaintext of application data.
	data []byte
	// fragment marks a tshark step that may be a record holding only
	// part of a handshake message, dropped when tshark lists it as one.
	fragment bool
}

type oracleField struct{ name, value string }

func (s oracleStep) String() string {
	return fmt.Sprintf("frame %d %s %s (record %s)", s.frame, s.from, s.kind, s.record)
}

// An oracleRule is a difference between tlstrace and tshark that is right:
// the test states it (why) and says which steps it leaves out of the
// comparison on either side. A rule that matches no step fails the test,
// so that it cannot hide anything silently.
type oracleRule struct {
	why string
	// tlstrace and tshark, when set, report the steps of that side the
	// rule leaves out.
	tlstrace, tshark func(conn int, s oracleStep) bool
	// same, when set, reports the pairs of steps (tlstrace's, tshark's)
	// at one place in the comparison that the rule takes as equal.
	same func(conn int, got, want oracleStep) bool
	// rare marks a rule for what happens in some runs only: matching no
	// step is no error, and a match is logged.
	rare bool
}

// oracleCase is what checkOracle compares: a capture and its key log
// (empty for none), the decode-as argument that makes tshark see TLS on
// the test's ports, and tlstrace's events of the same capture.
type oracleCase struct {
	pcap, keylog, decodeAs string
	events                 []jsonEvent
	rules                  []oracleRule
	// conns lists the connections to compare (all if nil).
	conns []int
	// outOfOrder has tshark put segments that came out of order back in
	// place (tcp.reassemble_out_of_order), which it does not by default
	// and which would make it wait for bytes a capture lost.
	outOfOrder bool
}

// The differences from tshark where bytes are missing from a capture
// (docs/json.md, "Missing bytes in a capture") or keys are, for the tests
// of damaged captures and of captures read without keys.
var (
	// ruleNoHeader: tlstrace says bytes are missing where tshark shows
	// nothing.
	ruleNoHeader = oracleRule{
		why: "bytes missing from a record's start or inside its header: tlstrace says so (an encrypted or partial record without a header), tshark shows no record",
		tlstrace: func(_ int, s oracleStep) bool {
			return (s.kind == "partial_record" || s.kind == "encrypted_record") && s.record == "none"
		},
	}
	// ruleAfterGap: tlstrace, finding the record sequence number again,
	// decrypts records that tshark, counting on, leaves encrypted.
	ruleAfterGap = oracleRule{
		why: "after missing bytes tlstrace decrypts a record with the sequence number found again; tshark leaves it encrypted",
		same: func(_ int, got, want oracleStep) bool {
			return want.kind == "encrypted_record" && (got.kind == "alert" || got.kind == "application_data" || got.kind == "change_cipher_spec") &&
				got.frame == want.frame && got.from == want.from && outer(got.record) == outer(want.record)
		},
	}
	// ruleTsharkLost: tshark leaves encrypted an application data record
	// that tlstrace opened, its tag checked with the key log's secret.
	// Seen once in a capture of real peers made while the machine ran
	// other tests: a TLS 1.3 client's first application data record
	// (ChaCha20-Poly1305), the steps before it the same on both sides.
	// An authenticated record cannot have been opened with a wrong key,
	// so this is tshark missing a record, not tlstrace inventing one.
	ruleTsharkLost = oracleRule{
		why: "tshark leaves encrypted an application data record that tlstrace opened and authenticated",
		same: func(_ int, got, want oracleStep) bool {
			return want.kind == "encrypted_record" && got.kind == "application_data" &&
				got.frame == want.frame && got.from == want.from && outer(got.record) == outer(want.record)
		},
		rare: true,
	}
	// ruleProtectedCCS: tshark names a record by its header's type.
	ruleProtectedCCS = oracleRule{
		why: "tshark names a protected change_cipher_spec (a renegotiation's) by its header although it cannot decrypt it (no key, or the sequence number lost with missing bytes); tlstrace shows it as the encrypted record it is",
		same: func(_ int, got, want oracleStep) bool {
			return got.kind == "encrypted_record" && want.kind == "change_cipher_spec" && got.record == want.record &&
				got.frame == want.frame && !strings.HasPrefix(got.record, "20/-/1/")
		},
	}
)

// outer returns the type, length and version of a step's record, without
// the inner type of a TLS 1.3 record (which tshark cannot know when it
// cannot decrypt it).
func outer(record string) string {
	recs := strings.Split(record, "+")
	for i, r := range recs {
		f := strings.Split(r, "/")
		f[1] = "?"
		recs[i] = strings.Join(f, "/")
	}
	return strings.Join(recs, "+")
}

// checkOracle compares tlstrace's TLS steps of a capture with tshark's,
// connection by connection, and fails on the first difference. The
// capture and key log of a failure are kept in the test's artifact
// directory (go test -artifacts).
func checkOracle(t *testing.T, c oracleCase) {
	t.Helper()
	if err := oracleDiff(t, c); err != nil {
		for _, f := range []string{c.pcap, c.keylog} {
			if b, rerr := os.ReadFile(f); rerr == nil && f != "" {
				os.WriteFile(filepath.Join(t.ArtifactDir(), filepath.Base(f)), b, 0o600)
			}
		}
		t.Fatalf("oracle: %v", err)
	}
}

// oracleDiff returns the first difference between tlstrace's steps and
// tshark's, or a rule that matched nothing.
func oracleDiff(t *testing.T, c oracleCase) error {
	t.Helper()
	want := tsharkSteps(t, c.pcap, c.keylog, c.decodeAs, c.outOfOrder)
	got := tlstraceSteps(t, c.events)
	used := make([]bool, len(c.rules))
	drop := func(conn int, s oracleStep, side string) bool {
		for i, r := range c.rules {
			f := r.tlstrace
			if side == "tshark" {
				f = r.tshark
			}
			if f != nil && f(conn, s) {
				used[i] = true
				return true
			}
		}
		return false
	}
	conns := c.conns
	if conns == nil {
		for conn := range want {
			conns = append(conns, conn)
		}
		for conn := range got {
			if !slices.Contains(conns, conn) {
				conns = append(conns, conn)
			}
		}
		slices.Sort(conns)
	}
	if len(conns) == 0 {
		return fmt.Errorf("no TLS connection in the capture")
	}
	for _, conn := range conns {
		var w, g []oracleStep
		for _, s := range want[conn] {
			if !drop(conn, s, "tshark") {
				w = append(w, s)
			}
		}
		for _, s := range got[conn] {
			if !drop(conn, s, "tlstrace") {
				g = append(g, s)
			}
		}
		if len(w) == 0 {
			return fmt.Errorf("conn %d: tshark shows no TLS step", conn)
		}
		same := func(got, want oracleStep) bool {
			for i, r := range c.rules {
				if r.same != nil && r.same(conn, got, want) {
					used[i] = true
					if r.rare {
						t.Logf("conn %d: frame %d: %s", conn, got.frame, r.why)
					}
					return true
				}
			}
			return false
		}
		if err := compareSteps(g, w, same); err != nil {
			return fmt.Errorf("conn %d: %w", conn, err)
		}
	}
	for i, r := range c.rules {
		if !used[i] && !r.rare {
			return fmt.Errorf("the rule %q matched no step", r.why)
		}
	}
	return nil
}

// compareSteps returns the first difference between tlstrace's steps and
// tshark's, but for the pairs same takes as equal.
func compareSteps(got, want []oracleStep, same func(got, want oracleStep) bool) error {
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			return fmt.Errorf("tshark has %s, tlstrace has nothing more", want[i])
		case i >= len(want):
			return fmt.Errorf("tlstrace has %s, tshark has nothing more", got[i])
		}
		g, w := got[i], want[i]
		if same(g, w) {
			continue
		}
		if g.frame != w.frame || g.from != w.from || g.kind != w.kind {
			return fmt.Errorf("step %d: tlstrace has %s, tshark has %s", i+1, g, w)
		}
		if g.record != w.record {
			return fmt.Errorf("frame %d %s %s: record (type/inner/length/version) tlstrace %s, tshark %s", g.frame, g.from, g.kind, g.record, w.record)
		}
		for j := range max(len(g.fields), len(w.fields)) {
			var gf, wf oracleField
			if j < len(g.fields) {
				gf = g.fields[j]
			}
			if j < len(w.fields) {
				wf = w.fields[j]
			}
			if gf != wf {
				name := gf.name
				if name == "" {
					name = wf.name
				}
				return fmt.Errorf("frame %d %s %s: %s: tlstrace %q (%s), tshark %q (%s)", g.frame, g.from, g.kind, name, gf.value, gf.name, wf.value, wf.name)
			}
		}
	}
	return nil
}

// messageFields lists, per step kind, the fields compared, in order.
var messageFields = map[string][]string{
	"client_hello":         {"version", "random", "session_id", "cipher_suites", "extensions", "server_name", "alpn", "key_share_groups", "signature_algorithms", "supported_versions"},
	"server_hello":         {"version", "random", "session_id", "cipher_suite", "extensions", "selected_version", "key_share_group", "alpn"},
	"hello_retry_request":  {"version", "random", "session_id", "cipher_suite", "extensions", "selected_version", "key_share_group"},
	"encrypted_extensions": {"extensions", "alpn"},
	"certificate":          {"certificates"},
	"certificate_request":  {"extensions", "signature_algorithms"},
	"certificate_verify":   {"signature_algorithm"},
	"server_key_exchange":  {"psk_identity_hint", "rsa_modulus", "rsa_exponent", "named_curve", "signature_algorithm"},
	"client_key_exchange":  {"psk_identity"},
	"new_session_ticket":   {"lifetime"},
	"key_update":           {"request_update"},
	"alert":                {"level", "description"},
	"application_data":     {"length", "sha256"},
}

func pick(kind string, all map[string]string) []oracleField {
	var out []oracleField
	for _, name := range messageFields[kind] {
		out = append(out, oracleField{name, all[name]})
	}
	return out
}

// ---- tlstrace's side: the JSON events of read --json ----

type ttEnum struct {
	Value *uint64 `json:"value"`
}

func (e ttEnum) String() string {
	if e.Value == nil {
		return ""
	}
	return strconv.FormatUint(*e.Value, 10)
}

type ttExtension struct {
	Type           ttEnum `json:"extension_type"`
	ServerNameList []struct {
		HostName string `json:"host_name"`
	} `json:"server_name_list"`
	ProtocolNameList []string `json:"protocol_name_list"`
	ClientShares     []struct {
		Group ttEnum `json:"group"`
	} `json:"client_shares"`
	ServerShare *struct {
		Group ttEnum `json:"group"`
	} `json:"server_share"`
	SelectedGroup   ttEnum   `json:"selected_group"`
	SignatureAlgs   []ttEnum `json:"supported_signature_algorithms"`
	Versions        []ttEnum `json:"versions"`
	SelectedVersion ttEnum   `json:"selected_version"`
}

type ttFields struct {
	LegacyVersion     ttEnum        `json:"legacy_version"`
	Random            string        `json:"random"`
	SessionID         *string       `json:"legacy_session_id"`
	SessionIDEcho     *string       `json:"legacy_session_id_echo"`
	CipherSuites      []ttEnum      `json:"cipher_suites"`
	CipherSuite       ttEnum        `json:"cipher_suite"`
	Extensions        []ttExtension `json:"extensions"`
	CertificateList   []struct{}    `json:"certificate_list"`
	SignatureAlgs     []ttEnum      `json:"supported_signature_algorithms"`
	Algorithm         ttEnum        `json:"algorithm"`
	NamedCurve        ttEnum        `json:"named_curve"`
	SignatureAlg      ttEnum        `json:"signature_algorithm"`
	TicketLifetime    *uint64       `json:"ticket_lifetime"`
	TicketLifetimeOld *uint64       `json:"ticket_lifetime_hint"`
	RequestUpdate     ttEnum        `json:"request_update"`
	Level             ttEnum        `json:"level"`
	Description       ttEnum        `json:"description"`
	Data              string        `json:"data"`
	Length            *int          `json:"length"`
	PSKIdentityHint   string        `json:"psk_identity_hint"`
	PSKIdentity       string        `json:"psk_identity"`
	RSAModulus        string        `json:"rsa_modulus"`
	RSAExponent       string        `json:"rsa_exponent"`
}

// tlstraceSteps returns tlstrace's TLS steps per connection.
func tlstraceSteps(t *testing.T, events []jsonEvent) map[int][]oracleStep {
	t.Helper()
	out := map[int][]oracleStep{}
	for _, ev := range events {
		if ev.Layer != "tls" {
			continue
		}
		s := oracleStep{frame: ev.Frame, from: ev.From, kind: ev.Type, record: "none"}
		if r := ev.Record; r != nil {
			inner := "-"
			if r.InnerType != nil {
				inner = strconv.Itoa(r.InnerType.Value)
			}
			s.record = fmt.Sprintf("%d/%s/%d/%d", r.Type.Value, inner, r.Length, r.Version.Value)
		}
		var f ttFields
		if len(ev.Fields) > 0 {
			if err := json.Unmarshal(ev.Fields, &f); err != nil {
				t.Fatalf("frame %d %s: fields: %v", ev.Frame, ev.Type, err)
			}
		}
		all := map[string]string{
			"version":             f.LegacyVersion.String(),
			"random":              f.Random,
			"cipher_suites":       joinEnums(f.CipherSuites),
			"cipher_suite":        f.CipherSuite.String(),
			"certificates":        strconv.Itoa(len(f.CertificateList)),
			"named_curve":         f.NamedCurve.String(),
			"signature_algorithm": f.SignatureAlg.String(),
			"request_update":      f.RequestUpdate.String(),
			"level":               f.Level.String(),
			"description":         f.Description.String(),
			"psk_identity_hint":   f.PSKIdentityHint,
			"psk_identity":        f.PSKIdentity,
			"rsa_modulus":         f.RSAModulus,
			"rsa_exponent":        f.RSAExponent,
		}
		if ev.Type == "certificate_verify" {
			all["signature_algorithm"] = f.Algorithm.String()
		}
		for _, id := range []*string{f.SessionID, f.SessionIDEcho} {
			if id != nil {
				all["session_id"] = *id
			}
		}
		for _, l := range []*uint64{f.TicketLifetime, f.TicketLifetimeOld} {
			if l != nil {
				all["lifetime"] = strconv.FormatUint(*l, 10)
			}
		}
		if f.SignatureAlgs != nil {
			// A TLS 1.2 CertificateRequest's list (RFC 5246,
			// Section 7.4.4).
			all["signature_algorithms"] = joinEnums(f.SignatureAlgs)
		}
		var exts []string
		for _, e := range f.Extensions {
			exts = append(exts, e.Type.String())
			switch e.Type.String() {
			case "0":
				if len(e.ServerNameList) > 0 {
					all["server_name"] = e.ServerNameList[0].HostName
				}
			case "16":
				all["alpn"] = strings.Join(e.ProtocolNameList, ",")
			case "51":
				var groups []ttEnum
				for _, s := range e.ClientShares {
					groups = append(groups, s.Group)
				}
				all["key_share_groups"] = joinEnums(groups)
				if e.ServerShare != nil {
					all["key_share_group"] = e.ServerShare.Group.String()
				}
				if e.SelectedGroup.Value != nil {
					all["key_share_group"] = e.SelectedGroup.String()
				}
			case "13":
				all["signature_algorithms"] = joinEnums(e.SignatureAlgs)
			case "43":
				all["supported_versions"] = joinEnums(e.Versions)
				all["selected_version"] = e.SelectedVersion.String()
			}
		}
		all["extensions"] = strings.Join(exts, ",")
		if ev.Type == "application_data" {
			b, err := hex.DecodeString(f.Data)
			if err != nil {
				t.Fatalf("frame %d: application data: %v", ev.Frame, err)
			}
			s.data = b
		}
		s.fields = pick(ev.Type, all)
		out[ev.Conn] = append(out[ev.Conn], s)
	}
	for conn, steps := range out {
		out[conn] = mergeData(steps)
	}
	return out
}

func joinEnums(l []ttEnum) string {
	var s []string
	for _, e := range l {
		s = append(s, e.String())
	}
	return strings.Join(s, ",")
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// ---- tshark's side: tshark -T json ----

// A jnode is a JSON value of tshark's output with its key, keys in the
// order written (tshark repeats a key for each of several values).
type jnode struct {
	key  string
	val  string
	kids []*jnode
}

// parseJSON reads one value; an array gives one node per element, all
// with key.
func parseJSON(dec *json.Decoder, key string) ([]*jnode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			n := &jnode{key: key}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				kids, err := parseJSON(dec, k.(string))
				if err != nil {
					return nil, err
				}
				n.kids = append(n.kids, kids...)
			}
			_, err := dec.Token()
			return []*jnode{n}, err
		case '[':
			var out []*jnode
			for dec.More() {
				kids, err := parseJSON(dec, key)
				if err != nil {
					return nil, err
				}
				out = append(out, kids...)
			}
			_, err := dec.Token()
			return out, err
		}
	case string:
		return []*jnode{{key: key, val: tok}}, nil
	}
	return []*jnode{{key: key, val: fmt.Sprint(tok)}}, nil
}

// first returns the first descendant of n (depth first) with key, nil if
// none.
func (n *jnode) first(key string) *jnode {
	for _, k := range n.kids {
		if k.key == key {
			return k
		}
		if f := k.first(key); f != nil {
			return f
		}
	}
	return nil
}

// all returns the values of the descendants of n with key, in order.
func (n *jnode) all(key string) []string {
	var out []string
	for _, k := range n.kids {
		if k.key == key {
			out = append(out, k.val)
		}
		out = append(out, k.all(key)...)
	}
	return out
}

// child returns the value of n's child with key, "" if none.
func (n *jnode) child(key string) string {
	for _, k := range n.kids {
		if k.key == key {
			return k.val
		}
	}
	return ""
}

func (n *jnode) has(key string) bool {
	return slices.ContainsFunc(n.kids, func(k *jnode) bool { return k.key == key })
}

// num writes tshark's number (decimal or 0x hex) in decimal.
func num(s string) string {
	if s == "" {
		return ""
	}
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return "?" + s
	}
	return strconv.FormatUint(v, 10)
}

func nums(l []string) string {
	var out []string
	for _, s := range l {
		out = append(out, num(s))
	}
	return strings.Join(out, ",")
}

func unhex(s string) []byte {
	b, _ := hex.DecodeString(strings.ReplaceAll(s, ":", ""))
	return b
}

// helloRetryRandom is the random of a HelloRetryRequest (RFC 8446,
// Section 4.1.3).
const helloRetryRandom = "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"

// tsharkSteps runs tshark on the capture and returns its TLS steps per
// connection (tcp.stream + 1). The client of a stream is the side that
// sent its SYN, or else its first ClientHello, or else (a capture begun
// after the handshake) the side with the higher port.
func tsharkSteps(t *testing.T, pcap, keylog, decodeAs string, outOfOrder bool) map[int][]oracleStep {
	t.Helper()
	key := fmt.Sprint(pcap, keylog, decodeAs, outOfOrder)
	tsharkCache.Lock()
	defer tsharkCache.Unlock()
	if m, ok := tsharkCache.m[key]; ok {
		return m
	}
	m := tsharkStepsOf(t, pcap, keylog, decodeAs, outOfOrder)
	tsharkCache.m[key] = m
	return m
}

// tsharkCache keeps tshark's steps by capture, key log and options, for
// the tests that read one capture several times (each made capture has a
// path of its own).
var tsharkCache = struct {
	sync.Mutex
	m map[string]map[int][]oracleStep
}{m: map[string]map[int][]oracleStep{}}

func tsharkStepsOf(t *testing.T, pcap, keylog, decodeAs string, outOfOrder bool) map[int][]oracleStep {
	t.Helper()
	args := []string{"-r", pcap, "-d", decodeAs, "--disable-protocol", "http", "--disable-protocol", "http2",
		"-T", "json", "-J", "frame tcp tls data"}
	if keylog != "" {
		args = append(args, "-o", "tls.keylog_file:"+keylog)
	}
	if outOfOrder {
		args = append(args, "-o", "tcp.reassemble_out_of_order:TRUE")
	}
	dec := json.NewDecoder(strings.NewReader(tshark(t, args...)))
	root, err := parseJSON(dec, "")
	if err != nil && err != io.EOF {
		t.Fatalf("tshark's JSON: %v", err)
	}
	clientPort := map[int]string{}
	out := map[int][]oracleStep{}
	for _, pkt := range root {
		layers := pkt.first("layers")
		if layers == nil {
			continue
		}
		frame, _ := strconv.Atoi(layers.first("frame.number").val)
		tcp := layers.first("tcp")
		if tcp == nil {
			continue
		}
		stream, _ := strconv.Atoi(tcp.child("tcp.stream"))
		conn := stream + 1
		src := tcp.child("tcp.srcport")
		if f := tcp.first("tcp.flags_tree"); f != nil && f.child("tcp.flags.syn") == "1" && f.child("tcp.flags.ack") == "0" {
			if _, ok := clientPort[conn]; !ok {
				clientPort[conn] = src
			}
		}
		var data []*jnode
		var records []*jnode
		for _, l := range layers.kids {
			switch l.key {
			case "data":
				data = append(data, l)
			case "tls":
				for _, r := range l.kids {
					if r.key == "tls.record" {
						records = append(records, r)
					}
				}
			}
		}
		if len(records) == 0 {
			continue
		}
		appRecords := 0
		for _, r := range records {
			if num(r.child("tls.record.content_type")) == "23" {
				appRecords++
			}
		}
		// tshark gives the plaintext of a frame's application data
		// records as data layers after the TLS layer, none for a record
		// whose plaintext is empty (TLS 1.0's empty fragments): which
		// record is which cannot be told, so application data is
		// compared frame by frame (mergeData).
		decrypted := len(data) > 0 || appRecords == 0
		// A frame cut short by the snapshot length ends inside its last
		// record, whose header tshark shows.
		cut := false
		if layers.first("frame.cap_len").value() != layers.first("frame.len").value() {
			size := 0
			for _, r := range records {
				n, _ := strconv.Atoi(r.child("tls.record.length"))
				size += 5 + n
			}
			cut = size > len(unhex(tcp.child("tcp.payload")))
		}
		for ri, r := range records {
			ct := num(r.child("tls.record.content_type"))
			if _, ok := clientPort[conn]; !ok && ct == "22" && r.first("tls.handshake.type") != nil && num(r.first("tls.handshake.type").val) == "1" {
				clientPort[conn] = src
			}
			from := "server"
			if cp, ok := clientPort[conn]; cp == src || !ok && higherPort(src, tcp.child("tcp.dstport")) {
				// Without a SYN or a ClientHello before, the side with
				// the higher (ephemeral) port is the client, as
				// tlstrace takes it.
				from = "client"
			}
			typ, inner := ct, "-"
			if ot := r.child("tls.record.opaque_type"); ot != "" {
				typ, inner = num(ot), ct
				if inner == "" {
					inner = "-"
				}
			}
			rec := fmt.Sprintf("%s/%s/%s/%s", typ, inner, num(r.child("tls.record.length")), num(r.child("tls.record.version")))
			step := func(kind string, all map[string]string) {
				out[conn] = append(out[conn], oracleStep{frame: frame, from: from, kind: kind, record: rec, fields: pick(kind, all)})
			}
			switch {
			case cut && ri == len(records)-1:
				step("partial_record", nil)
			case r.child("tls.record.opaque_type") != "" && inner == "-":
				step("encrypted_record", nil)
			case ct == "20":
				step("change_cipher_spec", nil)
			case ct == "21":
				a := r.first("tls.alert_message")
				if a == nil || a.child("tls.alert_message.level") == "" {
					step("encrypted_record", nil)
					continue
				}
				step("alert", map[string]string{"level": num(a.child("tls.alert_message.level")), "description": num(a.child("tls.alert_message.desc"))})
			case ct == "23":
				if !decrypted {
					step("encrypted_record", nil)
					continue
				}
				var b []byte
				if len(data) > 0 {
					b = unhex(data[0].child("data.data"))
					data = data[1:]
				}
				step("application_data", nil)
				steps := out[conn]
				steps[len(steps)-1].data = b
			case ct == "22":
				n := 0
				for i, h := range r.kids {
					if h.key != "tls.handshake" || !h.has("tls.handshake.type") {
						continue
					}
					n++
					kind, all := tsharkMessage(h)
					if kind == "key_update" && all["request_update"] == "" {
						// tshark 4.0 puts a KeyUpdate's request_update
						// after the message, in the record.
						for _, k := range r.kids[i+1:] {
							if k.key == "tls.handshake" {
								break
							}
							if k.key == "tls.handshake.key_update.request_update" {
								all["request_update"] = num(k.val)
							}
						}
					}
					step(kind, all)
				}
				if n == 0 {
					// A handshake record tshark could not decrypt, or
					// one holding only part of a message: tshark shows
					// the message in the record that completes it, and
					// lists the fragments there.
					step("encrypted_record", nil)
					steps := out[conn]
					steps[len(steps)-1].fragment = true
				}
				if f := r.first("tls.handshake.fragment.count"); f != nil {
					// The records before that one are tlstrace's
					// handshake_fragment steps.
					k, _ := strconv.Atoi(f.val)
					steps := out[conn]
					for i := len(steps) - 1; i >= 0 && k > 1; i-- {
						if steps[i].from == from && steps[i].fragment {
							steps[i].kind, steps[i].fragment = "handshake_fragment", false
							k--
						}
					}
				}
			default:
				step("record_"+ct, nil)
			}
		}
	}
	for conn, steps := range out {
		out[conn] = mergeData(steps)
	}
	return out
}

// higherPort reports whether the port src is above the port dst.
func higherPort(src, dst string) bool {
	s, _ := strconv.Atoi(src)
	d, _ := strconv.Atoi(dst)
	return s > d
}

// mergeData makes one step of the application data records that came in
// one frame one after the other: their records joined by "+", the length
// and hash of their plaintext together.
func mergeData(steps []oracleStep) []oracleStep {
	var out []oracleStep
	for _, s := range steps {
		if s.kind == "application_data" {
			if n := len(out); n > 0 && out[n-1].kind == s.kind && out[n-1].frame == s.frame && out[n-1].from == s.from {
				out[n-1].record += "+" + s.record
				out[n-1].data = append(out[n-1].data, s.data...)
				out[n-1].fields = pick(s.kind, map[string]string{"length": strconv.Itoa(len(out[n-1].data)), "sha256": hash(out[n-1].data)})
				continue
			}
			s.data = append([]byte(nil), s.data...)
			s.fields = pick(s.kind, map[string]string{"length": strconv.Itoa(len(s.data)), "sha256": hash(s.data)})
		}
		out = append(out, s)
	}
	return out
}

// tsharkMessage returns the kind and fields of a handshake message in
// tshark's tree.
func tsharkMessage(h *jnode) (string, map[string]string) {
	code, _ := strconv.Atoi(num(h.child("tls.handshake.type")))
	kind := wire.HandshakeType(code).String()
	random := strings.ReplaceAll(h.child("tls.handshake.random"), ":", "")
	if code == int(wire.TypeServerHello) && random == helloRetryRandom {
		kind = "hello_retry_request"
	}
	all := map[string]string{
		"version":             num(h.child("tls.handshake.version")),
		"random":              random,
		"session_id":          strings.ReplaceAll(h.child("tls.handshake.session_id"), ":", ""),
		"cipher_suites":       nums(h.all("tls.handshake.ciphersuite")),
		"cipher_suite":        num(h.child("tls.handshake.ciphersuite")),
		"certificates":        strconv.Itoa(len(h.all("tls.handshake.certificate"))),
		"signature_algorithm": num(h.first("tls.handshake.sig_hash_alg").value()),
		"named_curve":         num(h.first("tls.handshake.server_named_curve").value()),
		"lifetime":            num(h.first("tls.handshake.session_ticket_lifetime_hint").value()),
		"request_update":      num(h.first("tls.handshake.key_update.request_update").value()),
		"psk_identity_hint":   colonless(h.first("tls.handshake.hint").value()),
		"psk_identity":        colonless(h.first("tls.handshake.identity").value()),
		"rsa_modulus":         colonless(h.first("tls.handshake.modulus").value()),
		"rsa_exponent":        colonless(h.first("tls.handshake.exponent").value()),
	}
	var exts []string
	for _, e := range h.kids {
		typ := e.child("tls.handshake.extension.type")
		if typ == "" {
			continue
		}
		typ = num(typ)
		exts = append(exts, typ)
		switch typ {
		case "0":
			all["server_name"] = e.first("tls.handshake.extensions_server_name").value()
		case "16":
			all["alpn"] = strings.Join(e.all("tls.handshake.extensions_alpn_str"), ",")
		case "51":
			all["key_share_groups"] = nums(e.all("tls.handshake.extensions_key_share_group"))
			all["key_share_group"] = all["key_share_groups"]
			if g := e.first("tls.handshake.extensions_key_share_selected_group"); g != nil {
				all["key_share_group"] = num(g.val)
			}
		case "13":
			all["signature_algorithms"] = nums(e.all("tls.handshake.sig_hash_alg"))
		case "43":
			all["supported_versions"] = nums(e.all("tls.handshake.extensions.supported_version"))
			all["selected_version"] = all["supported_versions"]
		}
	}
	all["extensions"] = strings.Join(exts, ",")
	if kind == "certificate_request" && exts == nil {
		all["signature_algorithms"] = nums(h.all("tls.handshake.sig_hash_alg"))
	}
	return kind, all
}

// colonless returns tshark's bytes ("0a:1b") as tlstrace's hex ("0a1b").
func colonless(s string) string { return strings.ReplaceAll(s, ":", "") }

func (n *jnode) value() string {
	if n == nil {
		return ""
	}
	return n.val
}

// TestOracleIllustrated runs the oracle on the Illustrated TLS 1.3 and TLS
// 1.2 connections.
func TestOracleIllustrated(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	for _, name := range []string{"illustrated-tls13", "illustrated-tls12"} {
		t.Run(name, func(t *testing.T) {
			pcap, keylog := td+name+"/capture.pcap", td+name+"/keylog.txt"
			checkOracle(t, oracleCase{pcap: pcap, keylog: keylog, decodeAs: "tcp.port==8443,tls",
				events: runJSON(t, "read", pcap, "--keylog", keylog, "--json")})
		})
	}
}

// TestOracleTCPWindow checks the window of every TCP step tlstrace shows
// (SYN, SYN-ACK, ACK, FIN, RST) against tshark's, frame by frame:
// tcp.window_size (scaled, RFC 7323) as win, tcp.window_size_value as
// raw_win. The captures' SYNs carry Window Scale counts of 6, 7 and 10.
func TestOracleTCPWindow(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	const captures = "testdata/captures/"
	for _, pcap := range []string{td + "illustrated-tls12/capture.pcap", td + "illustrated-tls13/capture.pcap",
		captures + "curl-TLSv13-h2.pcapng", captures + "curl-TLSv12-http1.1.pcapng", captures + "openssl-TLSv13-maxfrag.pcapng"} {
		t.Run(filepath.Base(pcap), func(t *testing.T) {
			want := map[int]string{}
			for _, line := range strings.Split(strings.TrimSpace(tshark(t, "-r", pcap, "-Y", "tcp", "-T", "fields",
				"-e", "frame.number", "-e", "tcp.window_size", "-e", "tcp.window_size_value")), "\n") {
				frame, wins, _ := strings.Cut(line, "\t")
				n, _ := strconv.Atoi(frame)
				want[n] = wins
			}
			steps := 0
			for _, ev := range runJSON(t, "read", pcap, "--json") {
				if ev.Layer != "tcp" || ev.Frame == 0 || !slices.Contains([]string{"syn", "syn_ack", "ack", "fin", "rst"}, ev.Type) {
					continue
				}
				// -1: a field tlstrace left out, which tshark never is.
				f := struct {
					Win    int64 `json:"win"`
					RawWin int64 `json:"raw_win"`
				}{-1, -1}
				if err := json.Unmarshal(ev.Fields, &f); err != nil {
					t.Fatal(err)
				}
				if got := fmt.Sprintf("%d\t%d", f.Win, f.RawWin); got != want[ev.Frame] {
					t.Errorf("frame %d (%s): win, raw_win %q, tshark's window_size, window_size_value %q", ev.Frame, ev.Type, got, want[ev.Frame])
				}
				steps++
			}
			if steps < 4 {
				t.Errorf("only %d TCP steps compared", steps)
			}
		})
	}
}

// TestOracleFindsDifferences checks that the oracle fails where tlstrace
// and tshark differ, naming the frame, the field and both values: the
// Illustrated TLS 1.3 connection's events with one thing changed each.
func TestOracleFindsDifferences(t *testing.T) {
	tlstest.RequirePeer(t, "tshark")
	name := "illustrated-tls13"
	pcap, keylog := td+name+"/capture.pcap", td+name+"/keylog.txt"
	events := runJSON(t, "read", pcap, "--keylog", keylog, "--json")
	for _, c := range []struct {
		name   string
		change func([]jsonEvent) []jsonEvent
		rules  []oracleRule
		want   string
	}{
		{"random", func(evs []jsonEvent) []jsonEvent {
			ch := byType(evs, "client_hello")
			ch.Fields = json.RawMessage(strings.Replace(string(ch.Fields), `"random":"00`, `"random":"ff`, 1))
			return evs
		}, nil, `frame 5 client client_hello: random: tlstrace "ff0102`},
		{"extension order", func(evs []jsonEvent) []jsonEvent {
			ch := byType(evs, "client_hello")
			f := strings.Replace(string(ch.Fields), `{"name":"server_name","value":0}`, `{"name":"server_name","value":11}`, 1)
			ch.Fields = json.RawMessage(strings.Replace(f, `{"name":"ec_point_formats","value":11}`, `{"name":"server_name","value":0}`, 1))
			return evs
		}, nil, `client_hello: extensions: tlstrace "11,0,10,`},
		{"record length", func(evs []jsonEvent) []jsonEvent {
			byType(evs, "server_hello").Record.Length++
			return evs
		}, nil, "frame 7 server server_hello: record (type/inner/length/version) tlstrace 22/-/123/771, tshark 22/-/122/771"},
		{"application data", func(evs []jsonEvent) []jsonEvent {
			ad := byType(evs, "application_data")
			ad.Fields = json.RawMessage(strings.Replace(string(ad.Fields), `"data":"70`, `"data":"71`, 1))
			return evs
		}, nil, "frame 11 client application_data: sha256"},
		{"application data, tshark's lost records allowed", func(evs []jsonEvent) []jsonEvent {
			ad := byType(evs, "application_data")
			ad.Fields = json.RawMessage(strings.Replace(string(ad.Fields), `"data":"70`, `"data":"71`, 1))
			return evs
		}, []oracleRule{ruleTsharkLost}, "frame 11 client application_data: sha256"},
		{"missing step", func(evs []jsonEvent) []jsonEvent {
			return slices.DeleteFunc(evs, func(ev jsonEvent) bool { return ev.Type == "certificate_verify" })
		}, nil, "tlstrace has frame 7 server finished (record 23/22/69/771), tshark has frame 7 server certificate_verify"},
		{"rule unused", func(evs []jsonEvent) []jsonEvent { return evs }, []oracleRule{{
			why: "no partial records", tlstrace: func(int, oracleStep) bool { return false },
		}}, `the rule "no partial records" matched no step`},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs := slices.Clone(events)
			for i := range evs {
				if evs[i].Record != nil {
					r := *evs[i].Record
					evs[i].Record = &r
				}
			}
			err := oracleDiff(t, oracleCase{pcap: pcap, keylog: keylog, decodeAs: "tcp.port==8443,tls", events: c.change(evs), rules: c.rules})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("oracle says %v, want %q", err, c.want)
			}
		})
	}
}

// byType returns the first event of type typ.
func byType(evs []jsonEvent, typ string) *jsonEvent {
	for i := range evs {
		if evs[i].Type == typ {
			return &evs[i]
		}
	}
	panic("no " + typ)
}
