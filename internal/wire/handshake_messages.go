package wire

import (
	"crypto/x509"
	"math/big"
	"time"

	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/field"
	"golang.org/x/crypto/cryptobyte"
)

func versionNamer(v uint64) string     { return VersionName(uint16(v)) }
func suiteNamer(v uint64) string       { return SuiteNameOrGREASE(uint16(v)) }
func groupNamer(v uint64) string       { return GroupName(uint16(v)) }
func schemeNamer(v uint64) string      { return SignatureSchemeName(uint16(v)) }
func compressionNamer(v uint64) string { return CompressionMethodName(uint8(v)) }
func curveTypeNamer(v uint64) string   { return ECCurveTypeName(uint8(v)) }
func certTypeNamer(v uint64) string    { return ClientCertificateTypeName(uint8(v)) }
func statusTypeNamer(v uint64) string  { return CertificateStatusTypeName(uint8(v)) }
func certCompNamer(v uint64) string    { return CertCompressionAlgName(uint16(v)) }
func keyUpdateNamer(v uint64) string   { return KeyUpdateRequestName(uint8(v)) }

// parseBody decodes the body of a handshake message into m.
func parseBody(ctx *Context, r *reader, m *Message) {
	switch m.Type {
	case TypeHelloRequest, TypeEndOfEarlyData, TypeServerHelloDone:
		// Empty bodies (RFC 5246, Sections 7.4.1.1 and 7.4.5; RFC 8446,
		// Section 4.5).
	case TypeClientHello:
		m.ClientHello = parseClientHello(ctx, r)
	case TypeServerHello, TypeHelloRetryRequest:
		m.ServerHello = parseServerHello(ctx, r, m.Type)
	case TypeHelloVerifyRequest:
		// RFC 6347, Section 4.2.1.
		if _, ok := r.enum16("server_version", versionNamer); ok {
			r.opaque("cookie", 1)
		}
	case TypeNewSessionTicket:
		m.Ticket = parseNewSessionTicket(ctx, r)
	case TypeEncryptedExtensions:
		// RFC 8446, Section 4.3.1.
		ee := &EncryptedExtensions{}
		ee.Extensions, _ = r.extensions(ctx, m.Type)
		for _, e := range ee.Extensions {
			if e.Type == extALPN && ee.ALPN == nil {
				ee.ALPN = alpnList(cryptobyte.String(e.Data))
			}
		}
		m.EncryptedExtensions = ee
	case TypeCertificate:
		m.Certificate = &Certificate{}
		parseCertificate(ctx, r, m.Certificate)
	case TypeServerKeyExchange:
		m.Signed = &Signed{}
		parseServerKeyExchange(ctx, r, m.Signed)
	case TypeCertificateRequest:
		m.CertificateRequest = &CertificateRequest{}
		parseCertificateRequest(ctx, r, m.CertificateRequest)
	case TypeCertificateVerify:
		// RFC 8446, Section 4.4.3; RFC 5246, Section 7.4.8. TLS 1.0 and
		// 1.1 have no algorithm field.
		m.Signed = &Signed{}
		if ctx.Version == 0 || ctx.Version >= VersionTLS12 {
			v, ok := r.enum16("algorithm", schemeNamer)
			if !ok {
				return
			}
			m.Signed.Scheme, m.Signed.HasScheme = v, true
		}
		if sig, ok := r.opaque("signature", 2); ok {
			m.Signed.Signature, m.Signed.SignatureField = sig, r.last()
		}
	case TypeClientKeyExchange:
		m.ClientKeyExchange = parseClientKeyExchange(ctx, r)
	case TypeFinished:
		// RFC 8446, Section 4.4.4; RFC 5246, Section 7.4.9; RFC 6101,
		// Section 5.6.9 (SSL 3.0: md5_hash[16], sha_hash[20]).
		if ctx.Version == VersionSSL30 && len(r.s) == ssl3FinishedLen {
			m5, _ := r.bytes("md5_hash", 16)
			md5Node := r.last()
			sha, _ := r.bytes("sha_hash", 20)
			m.Finished = &Finished{VerifyData: append(m5[:len(m5):len(m5)], sha...), Fields: []*field.Node{md5Node, r.last()}}
			break
		}
		b := r.rest("verify_data")
		m.Finished = &Finished{VerifyData: b, Fields: []*field.Node{r.last()}}
		switch {
		case ctx.Version == VersionSSL30:
			r.d.anomaly(HandshakeHeaderLen, "the Finished is %d bytes; SSL 3.0 uses 36 (RFC 6101, Section 5.6.9)", len(b))
		case ctx.Version != 0 && ctx.Version < VersionTLS13 && len(b) != 12:
			r.d.anomaly(HandshakeHeaderLen, "verify_data is %d bytes; TLS 1.0-1.2 use 12 (RFC 5246, Section 7.4.9)", len(b))
		}
	case TypeCertificateStatus:
		m.CertificateStatus = parseCertificateStatus(r)
	case TypeKeyUpdate:
		// RFC 8446, Section 4.6.3.
		if v, ok := r.enum8("request_update", keyUpdateNamer); ok {
			m.KeyUpdate = &KeyUpdate{UpdateRequested: v == 1, Request: v}
		}
	case TypeCompressedCertificate:
		// RFC 8879, Section 4. The certificate is not decompressed.
		if _, ok := r.enum16("algorithm", certCompNamer); !ok {
			return
		}
		if _, ok := r.u24("uncompressed_length"); !ok {
			return
		}
		r.opaque("compressed_certificate_message", 3)
	case TypeMessageHash:
		// RFC 8446, Section 4.4.1: a synthetic message holding a hash.
		r.rest("hash")
	default:
		r.d.anomaly(0, "unknown handshake type %d", uint8(m.Type))
		r.rest("body")
	}
}

// parseClientHello reads RFC 8446, Section 4.1.2 (RFC 5246, Section
// 7.4.1.2).
func parseClientHello(ctx *Context, r *reader) *ClientHello {
	ch := &ClientHello{}
	var ok bool
	if ch.Version, ok = r.enum16("legacy_version", versionNamer); !ok {
		return ch
	}
	if ch.Random, ok = r.bytes("random", 32); !ok {
		return ch
	}
	if ch.SessionID, ok = r.opaque("legacy_session_id", 1); !ok {
		return ch
	}
	if len(ch.SessionID) > 32 {
		r.d.anomaly(r.last().Offset, "legacy_session_id is %d bytes, more than 32", len(ch.SessionID))
	}
	cs, ok := r.list("cipher_suites", 2)
	if !ok {
		return ch
	}
	if len(cs.s)%2 != 0 {
		r.d.fail(cs.off(), "cipher_suites", "odd length")
		return ch
	}
	ch.CipherSuites = []uint16{}
	for !cs.empty() {
		v, _ := cs.enum16("", suiteNamer)
		ch.CipherSuites = append(ch.CipherSuites, v)
	}
	comp, ok := r.list("legacy_compression_methods", 1)
	if !ok {
		return ch
	}
	hasNull := false
	ch.Compression = []uint8{}
	for !comp.empty() {
		v, _ := comp.enum8("", compressionNamer)
		ch.Compression = append(ch.Compression, v)
		hasNull = hasNull || v == 0
	}
	if !hasNull {
		r.d.anomaly(comp.node.Offset, "compression methods do not include null")
	}
	if r.empty() {
		// Hellos from before RFC 3546 have no extensions.
		return ch
	}
	ch.Extensions, _ = r.extensions(ctx, TypeClientHello)
	for _, e := range ch.Extensions {
		s := cryptobyte.String(e.Data)
		switch e.Type {
		case extSupportedVersions:
			var l cryptobyte.String
			if ch.SupportedVersions == nil {
				ch.SupportedVersions = []uint16{}
			}
			if s.ReadUint8LengthPrefixed(&l) {
				var v uint16
				for l.ReadUint16(&v) {
					ch.SupportedVersions = append(ch.SupportedVersions, v)
				}
			}
		case extKeyShare:
			var l cryptobyte.String
			if ch.KeyShareGroups == nil {
				ch.KeyShareGroups = []uint16{}
			}
			if s.ReadUint16LengthPrefixed(&l) {
				for !l.Empty() {
					var g uint16
					var k cryptobyte.String
					if !l.ReadUint16(&g) || !l.ReadUint16LengthPrefixed(&k) {
						break
					}
					ch.KeyShareGroups = append(ch.KeyShareGroups, g)
				}
			}
		case extPreSharedKey:
			var l cryptobyte.String
			if s.ReadUint16LengthPrefixed(&l) {
				for !l.Empty() {
					var id cryptobyte.String
					var age uint32
					if !l.ReadUint16LengthPrefixed(&id) || !l.ReadUint32(&age) {
						break
					}
					ch.PSKIdentities++
				}
			}
		case extEarlyData:
			ch.EarlyData = true
		case extServerName:
			// RFC 6066, Section 3: the first host_name entry.
			var l, name cryptobyte.String
			var typ uint8
			if s.ReadUint16LengthPrefixed(&l) {
				for l.ReadUint8(&typ) && l.ReadUint16LengthPrefixed(&name) {
					if typ == 0 {
						ch.ServerName, ch.HasServerName = string(name), true
						break
					}
				}
			}
		case extSupportedGroups:
			ch.Groups = uint16List(s)
		case extSignatureAlgorithms:
			ch.SignatureSchemes = uint16List(s)
		case extECPointFormats:
			var l cryptobyte.String
			ch.PointFormats = []uint8{}
			if s.ReadUint8LengthPrefixed(&l) {
				ch.PointFormats = append(ch.PointFormats, l...)
			}
		case extALPN:
			ch.ALPN = alpnList(s)
		}
	}
	return ch
}

// uint16List reads a vector of uint16 values behind a 2-byte length (RFC
// 8446, Section 3.4): as many whole values as it holds.
func uint16List(s cryptobyte.String) []uint16 {
	var l cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&l) {
		return []uint16{}
	}
	out := make([]uint16, 0, len(l)/2)
	var v uint16
	for l.ReadUint16(&v) {
		out = append(out, v)
	}
	return out
}

// alpnList reads a ProtocolNameList (RFC 7301, Section 3.1).
func alpnList(s cryptobyte.String) []string {
	var l, name cryptobyte.String
	out := []string{}
	if !s.ReadUint16LengthPrefixed(&l) {
		return out
	}
	for l.ReadUint8LengthPrefixed(&name) {
		out = append(out, string(name))
	}
	return out
}

// parseServerHello reads RFC 8446, Section 4.1.3 (RFC 5246, Section
// 7.4.1.3); a HelloRetryRequest has the same layout (Section 4.1.4).
func parseServerHello(ctx *Context, r *reader, t HandshakeType) *ServerHello {
	sh := &ServerHello{HelloRetry: t == TypeHelloRetryRequest}
	var ok bool
	if sh.Version, ok = r.enum16("legacy_version", versionNamer); !ok {
		return sh
	}
	sh.Has |= HasLegacyVersion
	if sh.Random, ok = r.bytes("random", 32); !ok {
		return sh
	}
	switch {
	case sh.HelloRetry:
		r.note("HelloRetryRequest (RFC 8446, Section 4.1.4)")
	case len(sh.Random) == 32 && [8]byte(sh.Random[24:]) == downgradeTLS12:
		r.note("downgrade sentinel: a TLS 1.3 server negotiated TLS 1.2 (RFC 8446, Section 4.1.3)")
	case len(sh.Random) == 32 && [8]byte(sh.Random[24:]) == downgradeTLS11:
		r.note("downgrade sentinel: a TLS 1.3 server negotiated TLS 1.1 or below (RFC 8446, Section 4.1.3)")
	}
	if sh.SessionID, ok = r.opaque("legacy_session_id_echo", 1); !ok {
		return sh
	}
	if sh.CipherSuite, ok = r.enum16("cipher_suite", suiteNamer); !ok {
		return sh
	}
	sh.Has |= HasCipherSuite
	if sh.Compression, ok = r.enum8("legacy_compression_method", compressionNamer); !ok {
		return sh
	}
	sh.Has |= HasCompression
	if r.empty() {
		return sh
	}
	sh.Extensions, _ = r.extensions(ctx, t)
	for _, e := range sh.Extensions {
		s := cryptobyte.String(e.Data)
		switch e.Type {
		case extSupportedVersions:
			if s.ReadUint16(&sh.SelectedVersion) {
				sh.Has |= HasSelectedVersion
			}
		case extKeyShare:
			if s.ReadUint16(&sh.KeyShareGroup) {
				sh.Has |= HasKeyShare
			}
		case extPreSharedKey:
			sh.SelectedPSK = true
		case extEncryptThenMAC:
			sh.EncryptThenMAC = true
		case extExtendedMasterSecret:
			sh.ExtendedMasterSecret = true
		case extALPN:
			sh.ALPN = alpnList(s)
		}
	}
	if sh.NegotiatedVersion() == VersionTLS13 && sh.Compression != 0 {
		r.d.anomaly(0, "TLS 1.3 ServerHello with a compression method other than null (RFC 8446, Section 4.1.3)")
	}
	return sh
}

// parseNewSessionTicket reads RFC 8446, Section 4.6.1, or RFC 5077, Section
// 3.3 before TLS 1.3.
func parseNewSessionTicket(ctx *Context, r *reader) *NewSessionTicket {
	t := &NewSessionTicket{TLS13: ctx.Version == VersionTLS13}
	var ok bool
	if t.TLS13 {
		if t.Lifetime, ok = r.u32("ticket_lifetime"); !ok {
			return t
		}
		t.HasLifetime = true
		if _, ok := r.u32("ticket_age_add"); !ok {
			return t
		}
		if _, ok := r.opaque("ticket_nonce", 1); !ok {
			return t
		}
		if t.Ticket, ok = r.opaque("ticket", 2); !ok {
			return t
		}
		r.extensions(ctx, TypeNewSessionTicket)
		return t
	}
	if t.Lifetime, ok = r.u32("ticket_lifetime_hint"); !ok {
		return t
	}
	t.HasLifetime = true
	t.Ticket, _ = r.opaque("ticket", 2)
	return t
}

// parseCertificate reads RFC 8446, Section 4.4.2, or RFC 5246, Section
// 7.4.2, and adds readable fields for each certificate that parses.
func parseCertificate(ctx *Context, r *reader, cert *Certificate) {
	tls13 := ctx.Version == VersionTLS13
	if tls13 {
		if _, ok := r.opaque("certificate_request_context", 1); !ok {
			return
		}
	}
	list, ok := r.list("certificate_list", 3)
	if !ok {
		return
	}
	cert.Certs, cert.Subjects, cert.Errs = [][]byte{}, []string{}, []error{}
	for !list.empty() {
		it := list.item()
		der, ok := it.opaque("cert_data", 3)
		if ok {
			cert.Certs = append(cert.Certs, der)
			subject, err := describeCertificate(it, der)
			cert.Subjects = append(cert.Subjects, subject)
			cert.Errs = append(cert.Errs, err)
			if tls13 {
				it.extensions(ctx, TypeCertificate)
			}
		}
		list.finish(it)
		if !ok {
			return
		}
	}
}

// describeCertificate adds the readable parts of a DER certificate and
// returns its subject, or why it does not parse.
func describeCertificate(r *reader, der []byte) (string, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		r.d.anomaly(r.last().Offset, "certificate does not parse: %v", err)
		return "", err
	}
	n := r.node
	n.AddString("subject", dn.Subject(c))
	n.AddString("issuer", dn.Issuer(c))
	n.AddString("serial", c.SerialNumber.Text(16))
	n.AddString("not_before", c.NotBefore.UTC().Format(time.RFC3339))
	n.AddString("not_after", c.NotAfter.UTC().Format(time.RFC3339))
	n.AddString("signature_algorithm", c.SignatureAlgorithm.String())
	n.AddString("public_key_algorithm", c.PublicKeyAlgorithm.String())
	if len(c.DNSNames) > 0 {
		l := n.Add(field.NewList("dns_names"))
		for _, d := range c.DNSNames {
			l.AddString("", d)
		}
	}
	return dn.Subject(c), nil
}

// parseServerKeyExchange reads RFC 8422, Section 5.4 (ECDHE), RFC 5246,
// Section 7.4.3 (DHE), RFC 2246, Section 7.4.3 (RSA_EXPORT) and RFC 4279, Section 2 (PSK), by the key exchange of
// the negotiated suite.
func parseServerKeyExchange(ctx *Context, r *reader, sig *Signed) {
	kex := CipherSuiteKeyExchange(ctx.CipherSuite)
	switch kex {
	case KexPSK, KexDHEPSK, KexECDHEPSK, KexRSAPSK:
		hint, ok := r.opaque("psk_identity_hint", 2)
		if !ok {
			return
		}
		sig.PSKIdentityHint, sig.HasPSKIdentityHint = hint, true
	}
	signed := true
	switch kex {
	case KexECDHE, KexECDHEPSK, KexECDHAnon:
		if t, ok := r.enum8("curve_type", curveTypeNamer); !ok {
			return
		} else if t != 3 {
			r.rest("curve_params")
			return
		}
		g, ok := r.enum16("named_curve", groupNamer)
		if !ok {
			return
		}
		sig.Group, sig.HasGroup = g, true
		if _, ok := r.opaque("public", 1); !ok {
			return
		}
		signed = kex == KexECDHE
	case KexDHE, KexDHEPSK, KexDHAnon:
		for _, name := range []string{"dh_p", "dh_g", "dh_Ys"} {
			b, ok := r.opaque(name, 2)
			if !ok {
				return
			}
			switch name {
			case "dh_p":
				sig.DHPrimeBits = new(big.Int).SetBytes(b).BitLen()
				sig.DHPrime = b
			case "dh_g":
				sig.DHGenerator = b
			}
		}
		signed = kex == KexDHE
	case KexRSA:
		// ServerRSAParams of an RSA_EXPORT suite (RFC 2246, Section
		// 7.4.3), signed like the DHE parameters.
		var ok bool
		if sig.RSAModulus, ok = r.opaque("rsa_modulus", 2); !ok {
			return
		}
		if sig.RSAExponent, ok = r.opaque("rsa_exponent", 2); !ok {
			sig.RSAModulus = nil
			return
		}
	case KexPSK, KexRSAPSK:
		signed = false
	default:
		r.rest("params")
		return
	}
	if !signed || r.empty() {
		return
	}
	if ctx.Version >= VersionTLS12 {
		v, ok := r.enum16("signature_algorithm", schemeNamer)
		if !ok {
			return
		}
		sig.Scheme, sig.HasScheme = v, true
	}
	r.opaque("signature", 2)
}

// parseCertificateRequest reads RFC 8446, Section 4.3.2, or RFC 5246,
// Section 7.4.4, into cr: the signature algorithms and the certificate
// authorities the server names.
func parseCertificateRequest(ctx *Context, r *reader, cr *CertificateRequest) {
	if ctx.Version == VersionTLS13 {
		if _, ok := r.opaque("certificate_request_context", 1); !ok {
			return
		}
		exts, _ := r.extensions(ctx, TypeCertificateRequest)
		for _, e := range exts {
			s := cryptobyte.String(e.Data)
			switch e.Type {
			case extSignatureAlgorithms:
				// RFC 8446, Section 4.2.3.
				cr.SignatureSchemes = uint16List(s)
			case extCertificateAuthorities:
				// RFC 8446, Section 4.2.4.
				var l, dn cryptobyte.String
				if s.ReadUint16LengthPrefixed(&l) {
					for l.ReadUint16LengthPrefixed(&dn) {
						cr.Authorities = append(cr.Authorities, dnString(dn))
					}
				}
			}
		}
		return
	}
	types, ok := r.list("certificate_types", 1)
	if !ok {
		return
	}
	for !types.empty() {
		types.enum8("", certTypeNamer)
	}
	if ctx.Version >= VersionTLS12 {
		algs, ok := r.list("supported_signature_algorithms", 2)
		if !ok {
			return
		}
		for !algs.empty() {
			v, ok := algs.enum16("", schemeNamer)
			if !ok {
				return
			}
			cr.SignatureSchemes = append(cr.SignatureSchemes, v)
		}
	}
	cas, ok := r.list("certificate_authorities", 2)
	if !ok {
		return
	}
	for !cas.empty() {
		name, ok := cas.distinguishedName()
		if !ok {
			return
		}
		cr.Authorities = append(cr.Authorities, name)
	}
}

// parseClientKeyExchange reads RFC 5246, Section 7.4.7, RFC 8422, Section
// 5.7 and RFC 4279, by the key exchange of the negotiated suite.
func parseClientKeyExchange(ctx *Context, r *reader) *ClientKeyExchange {
	ckx := &ClientKeyExchange{}
	kex := CipherSuiteKeyExchange(ctx.CipherSuite)
	switch kex {
	case KexPSK, KexDHEPSK, KexECDHEPSK, KexRSAPSK:
		id, ok := r.opaque("psk_identity", 2)
		if !ok {
			return ckx
		}
		ckx.PSKIdentity, ckx.HasPSKIdentity = id, true
	}
	switch kex {
	case KexRSA, KexRSAPSK:
		if ctx.Version == VersionSSL30 {
			ckx.EncryptedPreMasterSecret = r.rest("encrypted_pre_master_secret")
			return ckx
		}
		ckx.EncryptedPreMasterSecret, _ = r.opaque("encrypted_pre_master_secret", 2)
	case KexECDHE, KexECDH, KexECDHEPSK, KexECDHAnon:
		r.opaque("ecdh_Yc", 1)
	case KexDHE, KexDH, KexDHEPSK, KexDHAnon:
		r.opaque("dh_Yc", 2)
	case KexPSK:
	default:
		r.rest("exchange_keys")
	}
	return ckx
}

// parseCertificateStatus reads RFC 6066, Section 8 (and RFC 8446, Section
// 4.4.2.1 inside a certificate entry); nil when it does not decode.
func parseCertificateStatus(r *reader) *CertificateStatus {
	typ, ok := r.enum8("status_type", statusTypeNamer)
	if !ok {
		return nil
	}
	resp, ok := r.opaque("ocsp_response", 3)
	if !ok {
		return nil
	}
	describeOCSP(r, resp)
	return &CertificateStatus{StatusType: typ, OCSPResponse: resp}
}
