package wire

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestRecordHeaderError(t *testing.T) {
	cases := []struct {
		in      []byte
		problem HeaderProblem
		length  int
		msg     string
	}{
		{[]byte{0x16, 3}, HeaderShort, 0, "wire: record header needs 5 bytes, have 2"},
		{[]byte("HTTP/1.1 400"), HeaderContentType, 0x502f, "wire: not a TLS record: content type 72"},
		{[]byte{0x16, 2, 0, 0, 1}, HeaderVersion, 1, "wire: not a TLS record: version 0x0200"},
		{[]byte{0x17, 3, 3, 0x4e, 0x20, 0}, HeaderOversized, 20000, "wire: record length 20000 exceeds the maximum (at most 18432 bytes in any record, RFC 5246, Section 6.2.3)"},
	}
	for _, c := range cases {
		_, err := ParseRecordHeader(c.in)
		var he *RecordHeaderError
		if !errors.As(fmt.Errorf("framing: %w", err), &he) {
			t.Errorf("% x: %v is not a *RecordHeaderError", c.in, err)
			continue
		}
		if he.Problem != c.problem || he.Length() != c.length || err.Error() != c.msg {
			t.Errorf("% x: problem %d length %d %q, want %d %d %q", c.in, he.Problem, he.Length(), err, c.problem, c.length, c.msg)
		}
		if want := c.in[:min(len(c.in), RecordHeaderLen)]; !bytes.Equal(he.Header, want) {
			t.Errorf("header % x, want % x", he.Header, want)
		}
	}
	b := []byte{0x17, 3, 3, 0x4e, 0x20}
	_, err := ParseRecordHeader(b)
	b[0] = 0
	if he := err.(*RecordHeaderError); he.Header[0] != 0x17 {
		t.Error("the error shares the caller's buffer")
	}
	if _, err := ParseRecordHeader([]byte{0x17, 3, 3, 0x48, 0x00}); err != nil {
		t.Errorf("a record of MaxCiphertext bytes: %v", err)
	}
}

func TestAlertNames(t *testing.T) {
	for d, want := range map[AlertDescription]string{
		AlertCloseNotify: "close_notify", AlertProtocolVersion: "protocol_version",
		AlertCertificateRequired: "certificate_required", AlertRecordOverflow: "record_overflow", 200: "unknown_200",
	} {
		if d.String() != want {
			t.Errorf("%d: %s, want %s", uint8(d), d, want)
		}
	}
	if AlertFatal.String() != "fatal" || AlertWarning.String() != "warning" || AlertLevel(3).String() != "unknown_3" {
		t.Error("alert level names")
	}
}
