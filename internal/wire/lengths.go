package wire

// Most bytes the body of a handshake message can hold by its structure,
// for the types whose fields are all bounded: a header that claims more
// lies.
var maxBodyLen = map[HandshakeType]int{
	// RFC 5246, Section 7.4.1.1; RFC 8446, Section 4.1.1: HelloRequest
	// and EndOfEarlyData are empty.
	TypeHelloRequest:    0,
	TypeEndOfEarlyData:  0,
	TypeServerHelloDone: 0, // RFC 5246, Section 7.4.5
	// RFC 8446, Section 4.1.2: legacy_version, random, a session ID of up
	// to 32 bytes, cipher_suites<2..2^16-2>, compression
	// methods<1..2^8-1>, extensions<8..2^16-1> (RFC 5246, Section 7.4.1.2
	// alike).
	TypeClientHello: 2 + 32 + 1 + 32 + 2 + (1<<16 - 2) + 1 + (1<<8 - 1) + 2 + (1<<16 - 1),
	// RFC 8446, Section 4.1.3: legacy_version, random, a session ID of up
	// to 32 bytes, cipher_suite, compression method,
	// extensions<6..2^16-1> (RFC 5246, Section 7.4.1.3 alike).
	TypeServerHello: 2 + 32 + 1 + 32 + 2 + 1 + 2 + (1<<16 - 1),
	// RFC 8446, Section 4.4.3; RFC 5246, Section 4.7: a signature
	// scheme and signature<0..2^16-1>.
	TypeCertificateVerify: 2 + 2 + (1<<16 - 1),
	TypeKeyUpdate:         1, // RFC 8446, Section 4.6.3
}

// MaxBodyLen returns the most bytes the body of a handshake message of
// type t can hold by its structure, and false for the types whose size
// has no bound of their own (certificates, tickets, key exchanges,
// Finished, unknown types).
func MaxBodyLen(t HandshakeType) (int, bool) {
	n, ok := maxBodyLen[t]
	return n, ok
}
