// Package client makes traced connections: DNS, TCP, TLS (done by
// crypto/tls) and HTTP, each step an event. The bytes crypto/tls reads and
// writes are tapped (internal/source) and fed, with the secrets it logs, to
// the same trace decoder that reads capture files.
package client
