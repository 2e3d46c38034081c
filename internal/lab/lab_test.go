package lab

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFaults checks that every listed fault exists with a kind and an
// exit code, that an unknown name is refused, and that the index page
// lists each server with its command, escaped as HTML.
func TestFaults(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range Names {
		f := l.Fault(n)
		if f == nil || f.Kind == "" || f.Fault == "" || (f.Exit == ExitOK) != (f.Warning || f.Scan != "") || servedBy(f) != 1 {
			t.Errorf("fault %q: %+v", n, f)
		}
	}
	if _, err := l.Listen(0, []string{"index", "no-such-fault"}); err == nil || !strings.Contains(err.Error(), "no-such-fault") {
		t.Errorf("unknown fault: %v", err)
	}
	servers, err := l.Listen(0, []string{"index", "expired", "cbc-only", "heartbleed"})
	if err != nil {
		t.Fatal(err)
	}
	page := string(Index(servers, "/tmp/<lab>/ca.pem"))
	for _, want := range []string{"tlstrace " + servers[1].URL + " --cacert /tmp/&lt;lab&gt;/ca.pem", "<td>expired</td>", "<td>0 (warns)</td>",
		"then <code>tlstrace scan " + servers[3].Host() + " --cacert /tmp/&lt;lab&gt;/ca.pem</code>"} {
		if !strings.Contains(page, want) {
			t.Errorf("index page lacks %q:\n%s", want, page)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Serve(ctx, nil)
		}()
	}
	// The index's certificate verifies against the root.
	roots := x509.NewCertPool()
	roots.AddCert(l.Root)
	c, err := tls.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(servers[0].URL, "https://"), "/"), &tls.Config{RootCAs: roots})
	if err != nil {
		t.Error(err)
	} else {
		c.Close()
	}
	cancel()
	wg.Wait()
}

// servedBy counts the ways f is served: crypto/tls, by hand, the own
// engine.
func servedBy(f *Fault) int {
	n := 0
	for _, set := range []bool{f.tls != nil, f.raw != nil, f.own != nil} {
		if set {
			n++
		}
	}
	return n
}

// TestRootOutlivesLeaves: no certificate the lab serves is valid past
// its root CA (a chain that outlives its root is a fault of its own),
// and the good leaf is valid for more than the 30 days within which a
// scan warns that it expires.
func TestRootOutlivesLeaves(t *testing.T) {
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range append([]string{"index"}, Names...) {
		f := l.Fault(n)
		if f.tls == nil {
			continue
		}
		for _, c := range f.tls.Certificates {
			for i, der := range c.Certificate {
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					continue // corrupt on purpose
				}
				if cert.NotAfter.After(l.Root.NotAfter) {
					t.Errorf("%s: certificate %d (%s) valid until %s, past the root's %s", n, i, cert.Subject, cert.NotAfter, l.Root.NotAfter)
				}
				if n == "index" && i == 0 && time.Until(cert.NotAfter) < 31*24*time.Hour {
					t.Errorf("index: the leaf expires on %s, within 30 days", cert.NotAfter)
				}
			}
		}
	}
}
