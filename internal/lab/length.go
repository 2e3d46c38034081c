package lab

// LyingLength is a record holding a whole ServerHello (TLS 1.2,
// renegotiation_info its one extension) whose handshake header claims 131072 bytes: more than the
// record holds, and more than a ServerHello can (65607 bytes, RFC 8446,
// Section 4.1.3).
var LyingLength = func() []byte {
	b := ServerHello(0x0303, 0xc02f)
	b[6], b[7], b[8] = 2, 0, 0
	return b
}()

// lengthFaults are the servers whose handshake messages lie about their
// length. The server then waits: a client that trusts the length waits
// for bytes that never come.
func lengthFaults() []*Fault {
	return []*Fault{{Name: "lying-length", Kind: KindHostile, Exit: ExitTLS, raw: Answer(LyingLength, true),
		Fault: "the server's ServerHello claims 131072 bytes after its 4-byte header; its record (49 bytes) holds the 45 bytes of a whole ServerHello after that header, and no ServerHello can hold 131072"}}
}
