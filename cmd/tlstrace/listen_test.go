package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// listen KIND starts a server on 127.0.0.1 inside the test process for the
// rest of the script and sets ADDR to its address, PORT to its port. KIND
// is:
//
//	notls    answers with an SSH banner, not TLS
//	expired  TLS 1.3 with a self-signed certificate for localhost that
//	         expired a day ago (written to server.pem), then HTTP/1.1 200
//	clientca TLS 1.3 that requires a client certificate
//	hangup   TLS 1.3 with a valid self-signed certificate for localhost
//	         (server.pem) that closes the connection after the handshake
func cmdListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: listen notls|expired|clientca|hangup")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Defer(func() { ln.Close() })
	ts.Setenv("ADDR", ln.Addr().String())
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ts.Setenv("PORT", port)
	var cfg *tls.Config
	respond := func(c net.Conn) {}
	switch args[0] {
	case "notls":
		respond = func(c net.Conn) { c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n")) }
	case "expired", "hangup", "clientca":
		notAfter := time.Now().Add(time.Hour)
		if args[0] == "expired" {
			notAfter = time.Now().Add(-24 * time.Hour)
		}
		cert, der := selfSigned(ts, "localhost", notAfter)
		ts.Check(os.WriteFile(ts.MkAbs("server.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
		cfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13, NextProtos: []string{"http/1.1"}}
		if args[0] == "clientca" {
			cfg.ClientAuth = tls.RequireAnyClientCert
		}
		if args[0] == "expired" {
			respond = func(c net.Conn) {
				buf := make([]byte, 4096)
				c.Read(buf)
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"))
			}
		}
	default:
		ts.Fatalf("listen: unknown kind %q", args[0])
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if cfg != nil {
					tc := tls.Server(c, cfg)
					if tc.Handshake() != nil {
						return
					}
					c = tc
				}
				respond(c)
			}()
		}
	}()
}

// selfSigned makes an ECDSA P-256 certificate for name, valid from a week
// before now until notAfter.
func selfSigned(ts *testscript.TestScript, name string, notAfter time.Time) (tls.Certificate, []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-7 * 24 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	ts.Check(err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der
}
