package tlscrypt

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These tests decrypt the records of "The Illustrated TLS 1.3 Connection"
// and "The Illustrated TLS 1.2 Connection" (testdata/README.md at the top of
// the repository) with the secrets of their key logs.

func readCap(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", dir, "caps", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readKeyValues reads "NAME value" or "NAME=value" lines (a key log, or
// derived-keys.txt), keyed by NAME.
func readKeyValues(t testing.TB, dir, file string) map[string][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", dir, file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := make(map[string][]byte)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.FieldsFunc(sc.Text(), func(r rune) bool { return r == ' ' || r == '=' })
		if len(fields) >= 2 {
			m[fields[0]] = unhex(t, fields[len(fields)-1])
		}
	}
	return m
}

// helloFields returns the random and cipher suite of a ServerHello or
// ClientHello record (RFC 8446, Section 4.1.2-4.1.3), the suite being the
// first offered for a ClientHello.
func helloFields(t testing.TB, rec []byte) (random []byte, suite uint16) {
	t.Helper()
	if rec[0] != 22 || (rec[5] != 1 && rec[5] != 2) {
		t.Fatalf("not a hello record: % x", rec[:6])
	}
	msg := rec[5+4:] // record header, handshake header
	random = msg[2:34]
	sidLen := int(msg[34])
	p := msg[35+sidLen:]
	if rec[5] == 1 {
		p = p[2:] // cipher_suites length
	}
	return random, binary.BigEndian.Uint16(p)
}

func TestIllustratedTLS13(t *testing.T) {
	const dir = "illustrated-tls13"
	_, id := helloFields(t, readCap(t, dir, "serverhello"))
	if id != 0x1302 {
		t.Fatalf("ServerHello suite 0x%04X, want 0x1302", id)
	}
	s := suite(t, id)
	secrets := readKeyValues(t, dir, "keylog.txt")
	derived := readKeyValues(t, dir, "derived-keys.txt")

	for _, tt := range []struct{ label, key string }{
		{"SERVER_HANDSHAKE_TRAFFIC_SECRET", "S_HS"},
		{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "C_HS"},
		{"SERVER_TRAFFIC_SECRET_0", "S_AP"},
		{"CLIENT_TRAFFIC_SECRET_0", "C_AP"},
	} {
		key, iv := TrafficKeys13(s, secrets[tt.label])
		if !bytes.Equal(key, derived[tt.key+"_KEY"]) || !bytes.Equal(iv, derived[tt.key+"_IV"]) {
			t.Errorf("%s: key %x iv %x, want %x %x", tt.label, key, iv, derived[tt.key+"_KEY"], derived[tt.key+"_IV"])
		}
	}

	// Each direction's records in order, under one traffic secret each.
	// The plaintext files hold TLSInnerPlaintext: content then the inner
	// content type (no padding).
	flows := []struct {
		label   string
		records [][2]string // encrypted record file, plaintext file
	}{
		{"SERVER_HANDSHAKE_TRAFFIC_SECRET", [][2]string{
			{"serverencextensions", "serverextensions"},
			{"serverenccert", "servercert"},
			{"serverenccertverify", "servercertverify"},
			{"serverencfinished", "serverfinished"},
		}},
		{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", [][2]string{
			{"clientencfinished", "clientfinished"},
		}},
		{"CLIENT_TRAFFIC_SECRET_0", [][2]string{
			{"clientencdata", "clientdata"},
		}},
		{"SERVER_TRAFFIC_SECRET_0", [][2]string{
			{"serverencticket1", "serverticket1"},
			{"serverencticket2", "serverticket2"},
			{"serverencdata", "serverdata"},
		}},
	}
	for _, flow := range flows {
		d, err := NewDecrypter13(s, secrets[flow.label])
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range flow.records {
			rec := readCap(t, dir, r[0])
			want := readCap(t, dir, r[1])
			ct, pt, err := d.Open(rec[:5], rec[5:])
			if err != nil {
				t.Errorf("%s: %v", r[0], err)
				continue
			}
			if got := append(bytes.Clone(pt), ct); !bytes.Equal(got, want) {
				t.Errorf("%s: plaintext+type\n got %x\nwant %x", r[0], got, want)
			}
			if d.Seq() != uint64(i+1) {
				t.Errorf("%s: Seq = %d, want %d", r[0], d.Seq(), i+1)
			}
		}
	}

	// The wrong key fails and leaves the Decrypter usable.
	d, _ := NewDecrypter13(s, secrets["CLIENT_HANDSHAKE_TRAFFIC_SECRET"])
	rec := readCap(t, dir, "serverencextensions")
	if _, _, err := d.Open(rec[:5], rec[5:]); err == nil || d.Seq() != 0 {
		t.Errorf("server record opened with the client key: %v, seq %d", err, d.Seq())
	}
	rec = readCap(t, dir, "clientencfinished")
	if _, _, err := d.Open(rec[:5], rec[5:]); err != nil {
		t.Errorf("after a failure: %v", err)
	}
}

func TestIllustratedTLS12(t *testing.T) {
	const dir = "illustrated-tls12"
	clientRandom, _ := helloFields(t, readCap(t, dir, "clienthello"))
	serverHello := readCap(t, dir, "serverhello")
	serverRandom, id := helloFields(t, serverHello)
	version := binary.BigEndian.Uint16(serverHello[9:])
	if id != 0xC013 || version != VersionTLS12 {
		t.Fatalf("ServerHello: suite 0x%04X version 0x%04X, want 0xC013 TLS 1.2", id, version)
	}
	s := suite(t, id)
	master := readKeyValues(t, dir, "keylog.txt")["CLIENT_RANDOM"]
	client, server := KeyBlock(version, s, master, clientRandom, serverRandom)
	if len(client.MACKey) != 20 || len(client.Key) != 16 || len(client.IV) != 0 {
		t.Fatalf("client keys of %d, %d, %d bytes", len(client.MACKey), len(client.Key), len(client.IV))
	}

	// The *plain files hold the decrypted content; some (all but
	// clientfinishedplain) are followed by the record's 20-byte HMAC and
	// the padding_length byte, as the illustration's decryption shows them.
	flows := []struct {
		keys    Keys
		records [][2]string
	}{
		{client, [][2]string{
			{"clientfinished", "clientfinishedplain"},
			{"clientdata", "clientdataplain"},
			{"clientalert", "clientalertplain"},
		}},
		{server, [][2]string{
			{"serverfinished", "serverfinishedplain"},
			{"serverdata", "serverdataplain"},
		}},
	}
	for _, flow := range flows {
		d, err := NewDecrypter12(version, s, flow.keys, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range flow.records {
			rec := readCap(t, dir, r[0])
			want := readCap(t, dir, r[1])
			seq := d.Seq()
			ct, pt, err := d.Open(rec[:5], rec[5:])
			if err != nil {
				t.Errorf("%s: %v", r[0], err)
				continue
			}
			if ct != rec[0] {
				t.Errorf("%s: content type %d, want %d", r[0], ct, rec[0])
			}
			if !bytes.HasPrefix(want, pt) || (len(want) != len(pt) && len(want) != len(pt)+21) {
				t.Errorf("%s: plaintext\n got %x\nwant %x", r[0], pt, want)
				continue
			}
			if len(want) > len(pt) {
				// Check the HMAC in the file against our own.
				var ad [13]byte
				binary.BigEndian.PutUint64(ad[:], seq)
				copy(ad[8:11], rec[:3])
				binary.BigEndian.PutUint16(ad[11:], uint16(len(pt)))
				m := hmac.New(newHash(s.MAC), flow.keys.MACKey)
				m.Write(ad[:])
				m.Write(pt)
				if !bytes.Equal(m.Sum(nil), want[len(pt):len(pt)+20]) {
					t.Errorf("%s: HMAC in the plaintext file differs", r[0])
				}
			}
			if d.Seq() != uint64(i+1) {
				t.Errorf("%s: Seq = %d, want %d", r[0], d.Seq(), i+1)
			}
		}
	}

	// Known content: the data records say "ping" and "pong", the alert is
	// close_notify (warning, 0).
	d, _ := NewDecrypter12(version, s, client, false)
	for _, name := range []string{"clientfinished", "clientdata", "clientalert"} {
		rec := readCap(t, dir, name)
		_, pt, err := d.Open(rec[:5], rec[5:])
		if err != nil {
			t.Fatal(err)
		}
		switch name {
		case "clientdata":
			if string(pt) != "ping" {
				t.Errorf("clientdata = %q", pt)
			}
		case "clientalert":
			if hex.EncodeToString(pt) != "0100" {
				t.Errorf("clientalert = %x", pt)
			}
		}
	}
}
