package server

import (
	"testing"

	"github.com/tlstrace/tlstrace/internal/fingerprint"
)

func TestRank(t *testing.T) {
	if r, n := rank(0x1302, []uint16{0x0a0a, 0x1301, 0x1302, 0x1303}); r != 2 || n != 3 {
		t.Errorf("rank %d of %d, want 2 of 3 (GREASE not counted)", r, n)
	}
	if r, n := rank(0, []uint16{29}); r != 0 || n != 0 {
		t.Errorf("a group was ranked (%d of %d) though none was chosen", r, n)
	}
}

func TestReportMarksGREASEAndHybrids(t *testing.T) {
	r := report(&ClientInfo{Hello: &fingerprint.Hello{
		CipherSuites: []uint16{0x2a2a, 0x1301},
		Groups:       []uint16{23, 0x11ec, 29},
		Extensions:   []uint16{0x3a3a, 0},
	}})
	if r.CipherSuites[0].Name != "GREASE" || r.CipherSuites[1].Name != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("suites %+v", r.CipherSuites)
	}
	if r.Groups[1].Note != "hybrid post-quantum" {
		t.Errorf("X25519MLKEM768 (0x11EC) not marked: %+v", r.Groups[1])
	}
	if r.Extensions[0].Note == "" || r.Extensions[1].Name != "server_name" {
		t.Errorf("extensions %+v", r.Extensions)
	}
}
