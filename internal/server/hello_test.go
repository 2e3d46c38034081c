package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestStartDemo: the demo server answers on 127.0.0.1 with a certificate
// for localhost that its Root verifies, and stops cleanly.
func TestStartDemo(t *testing.T) {
	d, err := StartDemo(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(d.Root)
	addr := fmt.Sprintf("127.0.0.1:%d", d.Port)
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	resp, err := c.Get(fmt.Sprintf("https://localhost:%d/x", d.Port))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hello from the tlstrace demo server: GET /x over HTTP/1.1\n"; string(body) != want {
		t.Errorf("body %q, want %q", body, want)
	}
	if d.Root.Subject.CommonName != "tlstrace demo CA" || !d.Root.IsCA {
		t.Errorf("root %q (CA %v), want the demo CA", d.Root.Subject.CommonName, d.Root.IsCA)
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("the server still listens after Close")
	}
}
