package wire

import (
	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/field"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/ocsp"
)

// ParseSSLv2ClientHello decodes an SSL 2.0 compatible ClientHello (RFC 5246,
// Appendix E.2): a 2-byte header with the high bit set, then msg_type,
// version, the lengths of the cipher specs, session id and challenge, and
// those three. Cipher specs are 3 bytes; those of the form 0x00XXXX are TLS
// cipher suites.
func ParseSSLv2ClientHello(raw []byte) *Message {
	m := &Message{Type: TypeClientHello, Raw: raw, Fields: field.NewObject("")}
	d := &decoder{msg: "client_hello (SSL 2.0 format)"}
	r := newReader(d, raw, 0, m.Fields)
	ch := &ClientHello{SSLv2: true}
	m.ClientHello = ch
	defer func() {
		m.Anomalies = d.anomalies
		if d.err != nil {
			m.Err = d.err
		}
	}()
	n, ok := r.rawUint("length", 2)
	if !ok {
		return m
	}
	r.add(&field.Node{Name: "length", Kind: field.Uint, Uint: n & 0x7fff}, 0)
	if _, ok := r.enum8("msg_type", func(v uint64) string { return HandshakeType(v).String() }); !ok {
		return m
	}
	if ch.Version, ok = r.enum16("version", versionNamer); !ok {
		return m
	}
	specLen, ok1 := r.u16("cipher_spec_length")
	idLen, ok2 := r.u16("session_id_length")
	chLen, ok3 := r.u16("challenge_length")
	if !ok1 || !ok2 || !ok3 {
		return m
	}
	if specLen%3 != 0 {
		d.fail(r.off(), "cipher_specs", "length is not a multiple of 3")
		return m
	}
	specs := r.node.Add(field.NewList("cipher_specs"))
	specs.Offset = r.off()
	sr := &reader{s: r.s, end: r.end, node: specs, d: d}
	for i := 0; i < int(specLen)/3; i++ {
		v, _, ok := sr.enum("", 3, func(v uint64) string {
			if v>>16 == 0 {
				return CipherSuiteName(uint16(v))
			}
			return SSLv2CipherName(uint32(v))
		})
		if !ok {
			return m
		}
		if v>>16 == 0 {
			ch.CipherSuites = append(ch.CipherSuites, uint16(v))
		}
	}
	r.s = sr.s
	specs.Length = r.off() - specs.Offset
	if ch.SessionID, ok = r.bytes("session_id", int(idLen)); !ok {
		return m
	}
	challenge, ok := r.bytes("challenge", int(chLen))
	if !ok {
		return m
	}
	if len(challenge) > 32 {
		challenge = challenge[len(challenge)-32:]
	}
	ch.Random = make([]byte, 32)
	copy(ch.Random[32-len(challenge):], challenge)
	if int(n&0x7fff)+2 != len(raw) {
		d.anomaly(0, "record length %d disagrees with the %d bytes of the message", n&0x7fff, len(raw)-2)
	}
	r.done("client_hello")
	return m
}

// SSLv2CipherName names the SSL 2.0 cipher kinds.
func SSLv2CipherName(v uint32) string {
	switch v {
	case 0x010080:
		return "SSL_CK_RC4_128_WITH_MD5"
	case 0x020080:
		return "SSL_CK_RC4_128_EXPORT40_WITH_MD5"
	case 0x030080:
		return "SSL_CK_RC2_128_CBC_WITH_MD5"
	case 0x040080:
		return "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5"
	case 0x050080:
		return "SSL_CK_IDEA_128_CBC_WITH_MD5"
	case 0x060040:
		return "SSL_CK_DES_64_CBC_WITH_MD5"
	case 0x0700C0:
		return "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"
	}
	return ""
}

// distinguishedName reads one DistinguishedName (a DER Name with a 2-byte
// length, RFC 5246, Section 7.4.4) as an item of its list: its DER, and
// beside it its RFC 4514 form ("name") when it parses.
func (r *reader) distinguishedName() (string, bool) {
	// An item of its own, so that the name it reads as stands beside its
	// DER in every view (JSON has no place for a note on bytes).
	it := r.item()
	der, ok := it.opaque("distinguished_name", 2)
	r.finish(it)
	if !ok {
		return "", false
	}
	name := dnString(der)
	if name != "" {
		it.node.AddString("name", name)
	}
	return name, true
}

// dnString returns a DER distinguished name as text (RFC 4514, as
// openssl says it: internal/dn), "" when it does not parse.
func dnString(der []byte) string {
	s, _ := dn.Format(der)
	return s
}

// describeOCSP adds the status of an OCSP response (RFC 6960) when it
// parses.
func describeOCSP(r *reader, der []byte) {
	resp, err := ocsp.ParseResponse(der, nil)
	if err != nil {
		r.d.anomaly(r.last().Offset, "OCSP response does not parse: %v", err)
		return
	}
	status := map[int]string{ocsp.Good: "good", ocsp.Revoked: "revoked", ocsp.Unknown: "unknown"}[resp.Status]
	r.node.AddString("cert_status", status)
	r.node.AddString("this_update", resp.ThisUpdate.UTC().Format("2006-01-02T15:04:05Z"))
	if !resp.NextUpdate.IsZero() {
		r.node.AddString("next_update", resp.NextUpdate.UTC().Format("2006-01-02T15:04:05Z"))
	}
	if resp.Status == ocsp.Revoked {
		r.node.AddString("revoked_at", resp.RevokedAt.UTC().Format("2006-01-02T15:04:05Z"))
	}
}

var _ = cryptobyte.String(nil)
