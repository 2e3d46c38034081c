package lab

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWriteList checks the listing as a table after the root CA's path,
// and as JSON Lines with what a client should get from each server.
func TestWriteList(t *testing.T) {
	servers := []*Server{
		{Fault: &Fault{Name: "index", Kind: KindNone, Fault: "none: the page listing the servers"}, URL: "https://127.0.0.1:8440/"},
		{Fault: &Fault{Name: "expired", Kind: KindCert, Fault: "the certificate expired", Exit: ExitCert}, URL: "https://127.0.0.1:8441/"},
		{Fault: &Fault{Name: "cbc-only", Kind: KindProtocol, Fault: "CBC suites only", Warning: true}, URL: "https://127.0.0.1:8442/"},
	}
	var b bytes.Buffer
	if err := WriteList(&b, servers, "/lab/ca.pem", false); err != nil {
		t.Fatal(err)
	}
	want := `root CA: /lab/ca.pem
NAME      URL                      EXIT       FAULT
index     https://127.0.0.1:8440/  0          none: the page listing the servers
expired   https://127.0.0.1:8441/  7          the certificate expired
cbc-only  https://127.0.0.1:8442/  0 (warns)  CBC suites only
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := WriteList(&b, servers, "/lab/ca.pem", true); err != nil {
		t.Fatal(err)
	}
	want = `{"name":"index","url":"https://127.0.0.1:8440/","kind":"none","fault":"none: the page listing the servers","expect":{"exit":0}}
{"name":"expired","url":"https://127.0.0.1:8441/","kind":"certificate","fault":"the certificate expired","expect":{"exit":7}}
{"name":"cbc-only","url":"https://127.0.0.1:8442/","kind":"protocol","fault":"CBC suites only","expect":{"exit":0,"warning":true}}
`
	if b.String() != want {
		t.Errorf("JSON Lines:\n%s\nwant:\n%s", b.String(), want)
	}
	var e Entry
	if err := json.Unmarshal([]byte(strings.Split(want, "\n")[2]), &e); err != nil || e != servers[2].Entry() {
		t.Errorf("entry %+v (%v), want %+v", e, err, servers[2].Entry())
	}
}

// TestServeAll writes the root CA where asked, serves the index page
// listing the servers on the first, and stops every server when the
// context is done.
func TestServeAll(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	ca, err := l.WriteCA("out")
	if err != nil {
		t.Fatal(err)
	}
	if wd, _ := os.Getwd(); ca != filepath.Join(wd, "out", "ca.pem") {
		t.Errorf("root CA written to %s, want an absolute path in %s/out", ca, wd)
	}
	servers, err := l.Listen(0, []string{"index", "expired"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		ServeAll(ctx, servers, ca)
		close(done)
	}()
	roots := x509.NewCertPool()
	roots.AddCert(l.Root)
	c, err := tls.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(servers[0].URL, "https://"), "/"), &tls.Config{RootCAs: roots, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(c)
	c.Close()
	if want := "tlstrace " + servers[1].URL + " --cacert " + ca; !strings.Contains(string(page), want) {
		t.Errorf("index page lacks %q:\n%s", want, page)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the servers did not stop when the context was done")
	}
}
