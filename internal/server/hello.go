package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
)

// Hello is a plain HTTPS server that answers every request with one line
// naming its method, path and protocol: the peer of tlstrace demo. It is
// not traced; the client's side is.
type Hello struct {
	srv  *http.Server
	done chan error
}

// StartHello serves HTTPS with cert on ln until Close.
func StartHello(ln net.Listener, cert tls.Certificate) *Hello {
	h := &Hello{done: make(chan error, 1), srv: &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintf(w, "Hello from the tlstrace demo server: %s %s over %s\n", r.Method, r.URL.Path, r.Proto)
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 5 * time.Second,
	}}
	h.srv.SetKeepAlivesEnabled(false)
	go func() { h.done <- h.srv.ServeTLS(ln, "", "") }()
	return h
}

// Close stops the server and returns what made it fail, if anything did.
func (h *Hello) Close() error {
	h.srv.Close()
	if err := <-h.done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Demo is the peer of tlstrace demo: a Hello server on a free port of
// 127.0.0.1, its certificate for localhost signed by a throwaway root
// (certgen.Localhost).
type Demo struct {
	*Hello
	// Root is the throwaway root, the one a client trusts to verify the
	// server.
	Root *x509.Certificate
	// Port is the port the server listens on.
	Port int
}

// StartDemo makes the throwaway root and certificate, valid for
// validity, and serves on them until Close. A failure to listen is a
// *net.OpError.
func StartDemo(validity time.Duration) (*Demo, error) {
	root, cert, err := certgen.Localhost(certgen.DemoCA, validity)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &Demo{Hello: StartHello(ln, cert), Root: root, Port: ln.Addr().(*net.TCPAddr).Port}, nil
}
