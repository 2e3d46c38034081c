package main

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The captures of make-chains.sh (see testdata/captures/README.md):
// openssl s_client against openssl s_server serving test CA chains.
const (
	chainsCapture = "testdata/captures/chains.pcapng"
	chainsKeys    = "testdata/captures/chains.keylog.txt"
	chains2020    = "testdata/captures/chains-2020.pcapng"
	chainsRoot    = "testdata/captures/chains/root.pem"
	chainsEd448   = "testdata/captures/chains-ed448.pcapng"
	ed448Root     = "testdata/captures/chains/ed448-root.pem"
	chainsClient  = "testdata/captures/chains-client.pcapng"
	clientRoot    = "testdata/captures/chains/client-root.pem"
)

// TestGoldenReadChains pins the explanation of the chains of a capture,
// verified at the capture's time against --cacert, --capath or the
// system's roots: a valid chain (TLS 1.2), one encrypted in TLS 1.3 (with
// and without its key log), an expired leaf, an untrusted root, a wrong
// name, no SNI, and a leaf valid when captured but expired now.
func TestGoldenReadChains(t *testing.T) {
	scenarios := []struct {
		name string
		args []string
	}{
		{"chains-cacert", []string{chainsCapture, "--cacert", chainsRoot}},
		{"chains-keylog-cacert", []string{chainsCapture, "--keylog", chainsKeys, "--cacert", chainsRoot}},
		{"chains-system", []string{chainsCapture}},
		{"chains-2020-cacert", []string{chains2020, "--cacert", chainsRoot}},
		{"chains-ed448-cacert", []string{chainsEd448, "--cacert", ed448Root}},
		{"chains-client-cacert", []string{chainsClient, "--cacert", clientRoot}},
	}
	for _, sc := range scenarios {
		for _, f := range readFormats[:1] {
			name := "read-" + sc.name + "." + f.ext
			t.Run(name, func(t *testing.T) {
				runGolden(t, name, 0, append(append([]string{"read"}, sc.args...), f.flags...)...)
			})
		}
	}
	t.Run("read-chains-keylog-cacert.json", func(t *testing.T) {
		runGolden(t, "read-chains-keylog-cacert.json", 0, "read", chainsCapture, "--keylog", chainsKeys, "--cacert", chainsRoot, "--json")
	})
}

// jsonVerify is the verify event of docs/json.md.
type jsonVerify struct {
	Host          string
	Chain         []struct{ Subject string }
	VerifiedChain []string `json:"verified_chain"`
	Verdict       string
	Fix           string
	At            string
	Notes         []string
}

// jsonLink is the link event of docs/json.md.
type jsonLink struct {
	Depth       int
	Role        string
	Subject     string
	TrustedRoot bool `json:"trusted_root"`
	Checks      []struct {
		Check  string
		OK     bool
		Detail string
	}
}

// chainsOf returns, per connection, its verify (or verdict) events and
// its link events, and checks that each comes at the time and frame of the
// connection's Certificate message (or, for a chain that could not be
// read, of the record that could not be decrypted).
func chainsOf(t *testing.T, events []jsonEvent) (map[int][]jsonEvent, map[int][]jsonLink) {
	t.Helper()
	verifies, links := map[int][]jsonEvent{}, map[int][]jsonLink{}
	var last jsonEvent
	for _, ev := range events {
		if ev.Layer != "x509" {
			last = ev
			continue
		}
		if ev.Frame != last.Frame || ev.T != last.T || ev.Conn != last.Conn {
			t.Errorf("conn %d: %s at frame %d, t %v, after %s at frame %d, t %v", ev.Conn, ev.Type, ev.Frame, ev.T, last.Type, last.Frame, last.T)
		}
		switch ev.Type {
		case "verify", "verdict": // a server's chain; a client's
			if last.Type != "certificate" && last.Type != "encrypted_record" && last.Type != "link" {
				t.Errorf("conn %d: verify after %s", ev.Conn, last.Type)
			}
			verifies[ev.Conn] = append(verifies[ev.Conn], ev)
		case "link":
			var l jsonLink
			if err := json.Unmarshal(ev.Fields, &l); err != nil {
				t.Fatal(err)
			}
			links[ev.Conn] = append(links[ev.Conn], l)
		default:
			t.Errorf("conn %d: x509 %s in a capture", ev.Conn, ev.Type)
		}
		last = ev
	}
	return verifies, links
}

func verifyFields(t *testing.T, ev jsonEvent) jsonVerify {
	t.Helper()
	var v jsonVerify
	if err := json.Unmarshal(ev.Fields, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// failed returns the checks of a chain's links that failed, as
// "depth check".
func failed(links []jsonLink) []string {
	var out []string
	for _, l := range links {
		for _, c := range l.Checks {
			if !c.OK {
				out = append(out, strconv.Itoa(l.Depth)+" "+c.Check)
			}
		}
	}
	return out
}

func TestReadChainsVerdicts(t *testing.T) {
	events := runJSON(t, "read", chainsCapture, "--cacert", chainsRoot, "--json")
	verifies, links := chainsOf(t, events)
	const (
		root  = "CN=Chain Test Root CA"
		inter = "CN=Chain Test Intermediate CA"
	)
	for conn := 1; conn <= 6; conn++ {
		if len(verifies[conn]) != 1 {
			t.Fatalf("conn %d: %d verify events, want 1", conn, len(verifies[conn]))
		}
	}
	at := func(conn int) time.Time {
		v := verifyFields(t, verifies[conn][0])
		ts, err := time.Parse(time.RFC3339, v.At)
		if err != nil {
			t.Fatalf("conn %d: at %q: %v", conn, v.At, err)
		}
		return ts
	}
	// The capture was made on 2026-11-30; the chains are judged then.
	if a := at(1); a.Year() != 2026 || a.Month() != 11 {
		t.Errorf("conn 1 checked at %v, want the capture's time", a)
	}

	// 1: a valid chain, TLS 1.2, SNI localhost.
	ev := verifies[1][0]
	v := verifyFields(t, ev)
	if v.Verdict != "trusted" || ev.Error != "" || v.Host != "localhost" || !slices.Equal(v.VerifiedChain, []string{"CN=localhost", inter, root}) || len(v.Chain) != 2 {
		t.Errorf("conn 1: %+v, error %q", v, ev.Error)
	}
	if len(links[1]) != 3 || !links[1][2].TrustedRoot || links[1][2].Subject != root || failed(links[1]) != nil {
		t.Errorf("conn 1 links: %+v", links[1])
	}

	// 2: TLS 1.3 without its key log: said once, nothing invented.
	ev = verifies[2][0]
	v = verifyFields(t, ev)
	if v.Verdict != "not verified" || !strings.Contains(ev.Error, "encrypted (TLS 1.3)") || v.Chain != nil || v.Fix == "" || len(links[2]) != 0 {
		t.Errorf("conn 2: %+v, error %q, %d links", v, ev.Error, len(links[2]))
	}

	// 3: the leaf had expired when the capture was made.
	ev = verifies[3][0]
	v = verifyFields(t, ev)
	if v.Verdict != "not trusted" || !strings.Contains(ev.Error, `the certificate of "CN=localhost" expired on 2025-06-01`) || !strings.Contains(v.Fix, "renewed") {
		t.Errorf("conn 3: %+v, error %q", v, ev.Error)
	}
	if f := failed(links[3]); !slices.Equal(f, []string{"0 validity"}) {
		t.Errorf("conn 3: failed checks %q, want the leaf's validity", f)
	}

	// 4: a chain to a root that is not trusted: the failure is at the root.
	ev = verifies[4][0]
	v = verifyFields(t, ev)
	if v.Verdict != "not trusted" || !strings.Contains(ev.Error, `"CN=Untrusted Root CA", which is not a trusted CA`) || !strings.Contains(v.Fix, "--cacert FILE") {
		t.Errorf("conn 4: %+v, error %q", v, ev.Error)
	}
	if f := failed(links[4]); !slices.Equal(f, []string{"1 trust"}) {
		t.Errorf("conn 4: failed checks %q, want the root's trust", f)
	}

	// 5: the ClientHello asked for another name.
	ev = verifies[5][0]
	v = verifyFields(t, ev)
	if v.Verdict != "not trusted" || v.Host != "wrong.example" || !strings.Contains(ev.Error, "not valid for wrong.example") {
		t.Errorf("conn 5: %+v, error %q", v, ev.Error)
	}
	if f := failed(links[5]); !slices.Equal(f, []string{"0 host_name"}) {
		t.Errorf("conn 5: failed checks %q, want the leaf's host name", f)
	}

	// 6: no SNI: no name checked, and said.
	ev = verifies[6][0]
	v = verifyFields(t, ev)
	if v.Verdict != "trusted" || v.Host != "" || len(v.Notes) != 1 || !strings.Contains(v.Notes[0], "no server_name (SNI)") {
		t.Errorf("conn 6: %+v, error %q", v, ev.Error)
	}
	for _, l := range links[6] {
		for _, c := range l.Checks {
			if c.Check == "host_name" {
				t.Errorf("conn 6: a host name was checked: %+v", c)
			}
		}
	}
}

// TestReadChainsRoots checks that the roots trusted are those given, and
// the system's by default.
func TestReadChainsRoots(t *testing.T) {
	verdicts := func(args ...string) []string {
		verifies, _ := chainsOf(t, runJSON(t, append(append([]string{"read"}, args...), "--json")...))
		var out []string
		for conn := 1; conn <= 6; conn++ {
			for _, ev := range verifies[conn] {
				out = append(out, verifyFields(t, ev).Verdict)
			}
		}
		return out
	}
	keys := []string{chainsCapture, "--keylog", chainsKeys}
	// The key log opens conn 2's chain.
	if got, want := verdicts(append(keys, "--cacert", chainsRoot)...), []string{"trusted", "trusted", "not trusted", "not trusted", "not trusted", "trusted"}; !slices.Equal(got, want) {
		t.Errorf("--cacert: %q, want %q", got, want)
	}
	// A directory of CA files (the root and the intermediate).
	if got, want := verdicts(append(keys, "--capath", "testdata/captures/chains")...), []string{"trusted", "trusted", "not trusted", "not trusted", "not trusted", "trusted"}; !slices.Equal(got, want) {
		t.Errorf("--capath: %q, want %q", got, want)
	}
	// The system's roots do not hold the test CA.
	for i, v := range verdicts(keys...) {
		if v != "not trusted" {
			t.Errorf("conn %d without --cacert: %s", i+1, v)
		}
	}
}

// TestReadChainsCaptureTime checks that a chain is judged when it was
// captured: this leaf was valid in June 2020 and expired at the end of
// that year.
func TestReadChainsCaptureTime(t *testing.T) {
	verifies, links := chainsOf(t, runJSON(t, "read", chains2020, "--cacert", chainsRoot, "--json"))
	if len(verifies[1]) != 1 {
		t.Fatalf("%d verify events, want 1", len(verifies[1]))
	}
	ev := verifies[1][0]
	v := verifyFields(t, ev)
	if v.Verdict != "trusted" || !strings.HasPrefix(v.At, "2020-06-15T12:00:0") || ev.Error != "" {
		t.Errorf("verify %+v, error %q", v, ev.Error)
	}
	if len(links[1]) == 0 || !strings.Contains(links[1][0].Checks[1].Detail, "2020-01-01T00:00:00Z to 2020-12-31T00:00:00Z: valid at 2020-06-15") {
		t.Errorf("leaf %+v", links[1])
	}
}

// TestReadCACertMissing checks that a --cacert that cannot be read is an
// input error naming the flag.
func TestReadCACertMissing(t *testing.T) {
	var out, errb strings.Builder
	code := run([]string{"read", chainsCapture, "--cacert", "testdata/captures/no-such-ca.pem"}, &out, &errb)
	if code != exitInput || !strings.Contains(errb.String(), "--cacert") || out.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

// TestReadChainsEd448 checks an Ed448 chain, whose signatures crypto/x509
// cannot check: trusted for the name it lists when its root is given, not
// for another name, and not without its root.
func TestReadChainsEd448(t *testing.T) {
	verifies, links := chainsOf(t, runJSON(t, "read", chainsEd448, "--cacert", ed448Root, "--json"))
	if len(verifies[1]) != 1 || len(verifies[2]) != 1 {
		t.Fatalf("verify events: %d and %d, want 1 each", len(verifies[1]), len(verifies[2]))
	}
	v := verifyFields(t, verifies[1][0])
	if v.Verdict != "trusted" || v.Host != "localhost" || !slices.Equal(v.VerifiedChain, []string{"CN=localhost", "CN=Ed448 Test Root CA"}) || failed(links[1]) != nil {
		t.Errorf("conn 1: %+v, error %q, failed %q", v, verifies[1][0].Error, failed(links[1]))
	}
	if len(links[1]) != 2 || !strings.Contains(links[1][0].Checks[0].Detail, "Ed448 signature verified") {
		t.Errorf("conn 1 links: %+v", links[1])
	}
	v = verifyFields(t, verifies[2][0])
	if v.Verdict != "not trusted" || v.Host != "wrong.example" || !slices.Equal(failed(links[2]), []string{"0 host_name"}) {
		t.Errorf("conn 2: %+v, error %q, failed %q", v, verifies[2][0].Error, failed(links[2]))
	}
	verifies, _ = chainsOf(t, runJSON(t, "read", chainsEd448, "--json"))
	for conn := 1; conn <= 2; conn++ {
		ev := verifies[conn][0]
		// Explained as crypto/x509's verdict on another key would be.
		if v := verifyFields(t, ev); v.Verdict != "not trusted" || !strings.HasPrefix(ev.Error, `no trusted root found: the chain ends at "CN=localhost", issued by "CN=Ed448 Test Root CA"`) || !strings.Contains(v.Fix, "--cacert FILE") {
			t.Errorf("conn %d without its root: %+v, error %q", conn, v, ev.Error)
		}
	}
}

// TestReadChainsClient checks the client certificates of a capture: each
// chain verified for clientAuth with no name, as serve verifies one, right
// after the client's Certificate message: trusted when issued by the CA
// given, not when self-signed.
func TestReadChainsClient(t *testing.T) {
	events := runJSON(t, "read", chainsClient, "--cacert", clientRoot, "--json")
	chainsOf(t, events) // times and frames
	type verdict struct {
		Valid bool
		Name  string
		At    string
	}
	want := map[int]struct {
		valid   bool
		subject string
		failed  []string
	}{1: {true, "CN=alice", nil}, 2: {false, "CN=mallory", []string{"0 trust"}}}
	seen := map[int]bool{}
	for i, ev := range events {
		if ev.Type != "certificate" || ev.From != "client" {
			continue
		}
		w, ok := want[ev.Conn]
		if !ok || seen[ev.Conn] {
			t.Fatalf("conn %d: a client certificate not expected", ev.Conn)
		}
		seen[ev.Conn] = true
		var links []jsonLink
		var got []verdict
		for _, x := range events[i+1:] {
			if x.Layer != "x509" {
				break
			}
			switch x.Type {
			case "link":
				var l jsonLink
				if err := json.Unmarshal(x.Fields, &l); err != nil {
					t.Fatal(err)
				}
				links = append(links, l)
			case "verdict":
				var v verdict
				if err := json.Unmarshal(x.Fields, &v); err != nil {
					t.Fatal(err)
				}
				got = append(got, v)
			default:
				t.Errorf("conn %d: x509 %s after the client's certificate", ev.Conn, x.Type)
			}
		}
		if len(got) != 1 || got[0].Valid != w.valid || got[0].Name != "" || !strings.HasPrefix(got[0].At, "2026-11-30T") {
			t.Errorf("conn %d: verdicts %+v", ev.Conn, got)
		}
		if len(links) == 0 || links[0].Subject != w.subject || !slices.Equal(failed(links), w.failed) {
			t.Fatalf("conn %d: client chain %+v", ev.Conn, links)
		}
		for _, l := range links {
			for _, c := range l.Checks {
				if c.Check == "host_name" || (c.Check == "extended_key_usage" && !strings.HasSuffix(c.Detail, "(needed: clientAuth)")) {
					t.Errorf("conn %d: %+v", ev.Conn, c)
				}
			}
		}
	}
	if len(seen) != 2 {
		t.Errorf("client certificates of %d connections, want 2", len(seen))
	}
}
