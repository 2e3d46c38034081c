package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/lab"
	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/trace"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// readHello reads the client's first record (its ClientHello).
func readHello(c net.Conn) error {
	hdr := make([]byte, wire.RecordHeaderLen)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return err
	}
	h, err := wire.ParseRecordHeader(hdr)
	if err != nil {
		return err
	}
	_, err = io.ReadFull(c, make([]byte, h.Length))
	return err
}

// serverHello is the start of a TLS 1.2 ServerHello record: its header
// announces 84 bytes, the message header 80.
var serverHello = append([]byte{22, 3, 3, 0, 84, 2, 0, 0, 80, 3, 3}, make([]byte, 32)...)

func get(t *testing.T, addr string, o TLSOptions) (*Error, []*trace.Event) {
	t.Helper()
	var events []*trace.Event
	tr := source.NewTracer(time.Now(), func(ev *trace.Event) { events = append(events, ev.Clone()) })
	_, err := Get(context.Background(), tr, &Request{URL: "https://" + addr + "/", UserAgent: "test", TLS: o, MaxTime: 10 * time.Second, Output: io.Discard})
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a *client.Error", err, err)
	}
	return ce, events
}

// checkCause checks an error's step, cause and remedy: hint is a part of
// the Hint or, for a remedy that involves a setting, the Advice.
func checkCause(t *testing.T, e *Error, step Step, cause string, hint any) {
	t.Helper()
	okHint := e.Advice == hint
	if h, ok := hint.(string); ok {
		okHint = e.Advice == NoAdvice && strings.Contains(e.Hint, h)
	}
	if e.Step != step || !strings.Contains(e.Error(), cause) || !okHint {
		t.Errorf("step %d, cause %q, hint %q, advice %d; want step %d, %q, %v", e.Step, e.Error(), e.Hint, e.Advice, step, cause, hint)
	}
	if strings.Contains(e.Error(), "remote error") {
		t.Errorf("the cause repeats crypto/tls's text: %q", e.Error())
	}
}

func TestFailureOversizedRecord(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) {
		if readHello(c) == nil {
			// A handshake record of 20,000 bytes (TLS allows 2^14 + 2048).
			c.Write(append([]byte{22, 3, 3, 0x4e, 0x20}, serverHello[5:]...))
			io.Copy(io.Discard, c)
		}
	})
	e, events := get(t, addr, TLSOptions{Insecure: true})
	// Sent before encryption: held to 2^14 bytes, not to the 2^14 + 2048
	// of an encrypted record.
	checkCause(t, e, StepTLS, "the server sent a record header that claims 20000 bytes, more than TLS allows (at most 16384 bytes in a record before encryption, RFC 5246, Section 6.2.1; RFC 8446, Section 5.1)", "breaks the record layer")
	var he *wire.RecordHeaderError
	if !errors.As(e, &he) || he.Problem != wire.HeaderOversized || string(he.Header) != "\x16\x03\x03\x4e\x20" {
		t.Errorf("the cause does not keep the record header: %#v", he)
	}
	var rh tls.RecordHeaderError
	if !errors.As(e, &rh) {
		t.Error("the cause does not keep crypto/tls's error")
	}
	// crypto/tls answered with a record_overflow alert, which the trace
	// shows.
	if a := sentAlert(events, trace.Client); a == nil || wire.AlertDescription(a.Description.Value) != wire.AlertRecordOverflow {
		t.Errorf("client alert %+v, want record_overflow", a)
	}
}

func sentAlert(events []*trace.Event, from trace.Side) *trace.Alert {
	for _, ev := range events {
		if a, ok := ev.Payload.(*trace.Alert); ok && ev.From == from {
			return a
		}
	}
	return nil
}

func TestFailurePlainHTTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	e, _ := get(t, ln.Addr().String(), TLSOptions{Insecure: true})
	checkCause(t, e, StepTLS, "the server answered in plain HTTP, not TLS", "use http://")
	var he *wire.RecordHeaderError
	if !errors.As(e, &he) || string(he.Header) != "HTTP/" {
		t.Errorf("the cause does not keep the first bytes: %#v", he)
	}
}

func TestFailureNotTLS(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) {
		if readHello(c) == nil {
			c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
			io.Copy(io.Discard, c)
		}
	})
	e, _ := get(t, addr, TLSOptions{Insecure: true})
	checkCause(t, e, StepTLS, `the server did not answer with TLS (first bytes "SSH-2")`, "check the port")
}

func TestFailureClosedMidHandshake(t *testing.T) {
	t.Run("between-records", func(t *testing.T) {
		addr := tlstest.Listen(t, func(c net.Conn) { readHello(c) })
		e, _ := get(t, addr, TLSOptions{Insecure: true})
		checkCause(t, e, StepTLS, "the server closed the connection during the handshake", "may not speak TLS on this port")
		if !errors.Is(e, io.EOF) && !errors.Is(e, io.ErrUnexpectedEOF) {
			t.Errorf("the cause does not keep the EOF: %v", e.Err)
		}
	})
	// A whole ServerHello, then a reset (the lab's reset scenario): the
	// server speaks TLS and took the ClientHello.
	t.Run("reset-after-server-hello", func(t *testing.T) {
		addr := tlstest.Listen(t, lab.ResetAfter(lab.ServerHello(0x0303, 0xc02f)))
		e, _ := get(t, addr, TLSOptions{Insecure: true})
		checkCause(t, e, StepTLS, "the server reset the connection during the handshake, after its ServerHello", "dropped the connection mid-handshake without an alert: its log says why")
		if strings.Contains(e.Hint, "may not speak TLS") {
			t.Errorf("the hint doubts that the server speaks TLS: %s", e.Hint)
		}
	})
	t.Run("inside-a-record", func(t *testing.T) {
		addr := tlstest.Listen(t, func(c net.Conn) {
			if readHello(c) == nil {
				c.Write(serverHello[:40])
			}
		})
		e, _ := get(t, addr, TLSOptions{Insecure: true})
		checkCause(t, e, StepTLS, "the server closed the connection in the middle of a record (it sent 35 of the 84 bytes its header announces)", "cut the connection")
		var tr *trace.TruncatedError
		if !errors.As(e, &tr) || tr.Side != trace.Server || tr.Handshake {
			t.Errorf("the cause does not keep the truncation: %#v", tr)
		}
	})
	t.Run("inside-a-message", func(t *testing.T) {
		addr := tlstest.Listen(t, func(c net.Conn) {
			if readHello(c) == nil {
				rec := append([]byte{22, 3, 3, 0, 38}, serverHello[5:]...)
				c.Write(rec)
			}
		})
		e, _ := get(t, addr, TLSOptions{Insecure: true})
		checkCause(t, e, StepTLS, "the server closed the connection in the middle of a handshake message (it sent 34 of the 80 bytes its header announces)", "cut the connection")
	})
}

func TestFailureServerAlert(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	dir := t.TempDir()
	cert, key := writeKeyPair(t, dir)
	clientCert := tlstest.SelfSigned(t, tlstest.NewKey(t, false), "client")
	caFile, interLeaf := clientCA(t, dir)
	cases := []struct {
		name     string
		server   []string
		o        TLSOptions
		alert    wire.AlertDescription
		cause    string
		hint     any // a part of the Hint, or the Advice
		certDone bool
	}{
		{"protocol-version", []string{"-tls1_2"}, TLSOptions{MinVersion: tls.VersionTLS13},
			wire.AlertProtocolVersion, "no TLS version in common with the server (it sent a protocol_version alert to a ClientHello offering TLS 1.3)", AdviseVersions, false},
		// Only TLS 1.2 offered, to a server of TLS 1.3 only: the limit
		// is the cause.
		{"protocol-version-max", []string{"-tls1_3"}, TLSOptions{MaxVersion: tls.VersionTLS12},
			wire.AlertProtocolVersion, "no TLS version in common with the server (it sent a protocol_version alert to a ClientHello offering TLS 1.2)", AdviseVersions, false},
		{"no-common-suite", []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"},
			TLSOptions{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}},
			wire.AlertHandshakeFailure, "the server found no cipher suite, group or signature algorithm in common (handshake_failure alert)", AdviseSuites, false},
		{"certificate-required-tls13", []string{"-Verify", "1", "-CAfile", cert}, TLSOptions{},
			wire.AlertCertificateRequired, "the server requires a client certificate (certificate_required alert)", AdviseClientCert, true},
		{"certificate-required-tls12", []string{"-tls1_2", "-Verify", "1", "-CAfile", cert}, TLSOptions{},
			wire.AlertHandshakeFailure, "the server requires a client certificate (it asked for one, then sent a handshake_failure alert)", AdviseClientCert, false},
		// The certificate is sent, as curl sends it, though the server
		// names other CAs.
		{"client-certificate-refused", []string{"-Verify", "1", "-CAfile", cert, "-verify_return_error"}, TLSOptions{Certificates: []tls.Certificate{clientCert}},
			wire.AlertUnknownCA, "the server did not accept the client certificate (unknown_ca alert)", "use a client certificate issued by a CA the server trusts", true},
		// Sent without its intermediate: the server trusts its root.
		{"client-certificate-without-issuer", []string{"-Verify", "2", "-CAfile", caFile, "-verify_return_error"}, TLSOptions{Certificates: []tls.Certificate{interLeaf}},
			wire.AlertUnknownCA, "the server did not accept the client certificate (unknown_ca alert)", `the client certificate was sent without its issuer "CN=client intermediate"`, true},
		// An ECDSA key cannot sign with the only algorithm the server
		// accepts: nothing is sent.
		{"client-certificate-not-sent", []string{"-Verify", "1", "-CAfile", cert, "-client_sigalgs", "rsa_pss_rsae_sha256"}, TLSOptions{Certificates: []tls.Certificate{clientCert}},
			wire.AlertCertificateRequired, "the server requires a client certificate, and the one given was not sent: its key cannot sign", "signature algorithms", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := sServer(t, cert, key, c.server...)
			c.o.Insecure = true
			e, events := get(t, addr, c.o)
			checkCause(t, e, StepTLS, c.cause, c.hint)
			var ae *AlertError
			if !errors.As(e, &ae) || ae.From != trace.Server || ae.Description() != c.alert || ae.Alert.Description.Name != c.alert.String() {
				t.Errorf("the cause does not keep the server's alert: %v", ae)
			}
			if a := sentAlert(events, trace.Server); a == nil || wire.AlertDescription(a.Description.Value) != c.alert {
				t.Errorf("the trace shows server alert %+v, want %s", a, c.alert)
			}
			// TLS 1.3 servers check the client's certificate after the
			// client's handshake is done.
			done := false
			for _, ev := range events {
				done = done || ev.Type == "handshake_complete"
			}
			if done != c.certDone {
				t.Errorf("handshake_complete %v, want %v", done, c.certDone)
			}
		})
	}
}

// clientCA writes a root CA's certificate to a file and returns it with
// a client certificate issued by an intermediate of that root, alone
// (without the intermediate).
func clientCA(t *testing.T, dir string) (string, tls.Certificate) {
	t.Helper()
	issue := func(c certgen.Config) *x509.Certificate { return tlstest.Issue(t, c) }
	rootKey, interKey, key := tlstest.NewKey(t, false), tlstest.NewKey(t, false), tlstest.NewKey(t, false)
	root := issue(certgen.Config{CommonName: "client root", Profile: certgen.ProfileCA, PathLen: -1, Key: rootKey})
	inter := issue(certgen.Config{CommonName: "client intermediate", Profile: certgen.ProfileCA, PathLen: -1, Key: interKey, Issuer: root, IssuerKey: rootKey})
	leaf := issue(certgen.Config{CommonName: "client", Profile: certgen.ProfileClient, Key: key, Issuer: inter, IssuerKey: interKey})
	file := filepath.Join(dir, "client-root.pem")
	os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}), 0o644)
	return file, tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}
}

// writeKeyPair writes a self-signed certificate for 127.0.0.1 and its key
// as PEM files.
func writeKeyPair(t *testing.T, dir string) (string, string) {
	t.Helper()
	kp := tlstest.SelfSigned(t, tlstest.NewKey(t, false), "127.0.0.1")
	der, err := x509.MarshalPKCS8PrivateKey(kp.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Certificate[0]}), 0o644)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	return cert, key
}

// sServer starts `openssl s_server -www` for one connection and returns
// its address.
func sServer(t *testing.T, cert, key string, args ...string) string {
	t.Helper()
	return tlstest.OpenSSLServer(t, time.Minute, nil,
		append([]string{"s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-www", "-naccept", "1"}, args...)...)
}

func TestFailureClientAlert(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) {
		if readHello(c) == nil {
			// A ServerHello choosing TLS 1.0, which the client does not
			// allow.
			body := append(append([]byte{3, 1}, make([]byte, 32)...), 0, 0x00, 0x2f, 0)
			msg := append([]byte{2, 0, 0, byte(len(body))}, body...)
			c.Write(append([]byte{22, 3, 1, 0, byte(len(msg))}, msg...))
			io.Copy(io.Discard, c)
		}
	})
	e, events := get(t, addr, TLSOptions{Insecure: true, MinVersion: tls.VersionTLS12})
	checkCause(t, e, StepTLS, "the server chose TLS 1.0, a version the client did not offer (it offered TLS 1.3, TLS 1.2)", AdviseVersions)
	var ae *AlertError
	if !errors.As(e, &ae) || ae.From != trace.Client || ae.Description() != wire.AlertProtocolVersion {
		t.Errorf("the cause does not keep the client's alert: %v", ae)
	}
	if a := sentAlert(events, trace.Client); a == nil || a.Description.Name != "protocol_version" {
		t.Errorf("the trace shows client alert %+v", a)
	}
}

// TestErrorsKeepTheirType checks that a cause in plain words still holds
// the error it explains.
func TestErrorsKeepTheirType(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		e, _ := get(t, addr, TLSOptions{})
		checkCause(t, e, StepConnect, "refused: nothing listens on that port", "check the port")
		var oe *net.OpError
		if !errors.As(e, &oe) || !errors.Is(e, syscall.ECONNREFUSED) {
			t.Errorf("the cause does not keep the dialer's error: %#v", e.Err)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		srv := httptest.NewTLSServer(http.NotFoundHandler())
		defer srv.Close()
		e, _ := get(t, srv.Listener.Addr().String(), TLSOptions{Roots: x509.NewCertPool()})
		if e.Step != StepVerify {
			t.Fatalf("step %d: %v", e.Step, e)
		}
		var ua x509.UnknownAuthorityError
		if !errors.As(e, &ua) {
			t.Errorf("the cause does not keep crypto/x509's error: %#v", e.Err)
		}
	})
}

// TestFailureHandshakeFailureWithoutSNI: a handshake_failure answered to
// a ClientHello without SNI (a host given as an address) says that the
// server may require one; with SNI it does not.
func TestFailureHandshakeFailureWithoutSNI(t *testing.T) {
	addr := tlstest.Listen(t, func(c net.Conn) {
		if readHello(c) == nil {
			c.Write([]byte{21, 3, 3, 0, 2, 2, 40})
			io.Copy(io.Discard, c)
		}
	})
	const sni = "or it requires the host's name (SNI), which the client did not send"
	e, _ := get(t, addr, TLSOptions{Insecure: true, Engine: EngineGo})
	checkCause(t, e, StepTLS, "the server found no cipher suite, group or signature algorithm in common (handshake_failure alert); "+sni, AdviseOwnEngine)
	_, port, _ := net.SplitHostPort(addr)
	e, _ = get(t, "localhost:"+port, TLSOptions{Insecure: true, Engine: EngineGo})
	checkCause(t, e, StepTLS, "the server found no cipher suite, group or signature algorithm in common (handshake_failure alert)", AdviseOwnEngine)
	if strings.Contains(e.Error(), sni) {
		t.Errorf("with SNI sent: %v", e)
	}
}
