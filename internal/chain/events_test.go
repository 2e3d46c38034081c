package chain

import (
	"crypto/x509"
	"testing"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
)

func TestFileEvent(t *testing.T) {
	tc := tlstest.SelfSigned(t, tlstest.NewKey(t, false), "file.test")
	c, err := x509.ParseCertificate(tc.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	ev := FileEvent(3, c, "cert.pem", "PEM")
	info, ok := ev.Payload.(*trace.CertificateInfo)
	if !ok || ev.Conn != 3 || info.Subject != c.Subject.String() || !info.NotAfter.Equal(c.NotAfter) {
		t.Fatalf("event %+v, payload %+v", ev, ev.Payload)
	}
	kids := info.Fields.Children
	if len(kids) < 3 || kids[0].Name != "file" || kids[0].Str != "cert.pem" || kids[1].Name != "format" || kids[1].Str != "PEM" || kids[2].Name != "version" {
		t.Errorf("fields start %v", kids[:min(3, len(kids))])
	}
}
