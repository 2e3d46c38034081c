package wire

import (
	"fmt"
	"github.com/tlstrace/tlstrace/internal/field"
)

// extensions reads an extensions block (a vector with a 2-byte length) of a
// message of type mt, records each extension in a List named "extensions"
// with its body decoded, and returns them as on the wire. An extension
// whose body does not decode keeps its raw bytes and gets an anomaly.
func (r *reader) extensions(ctx *Context, mt HandshakeType) ([]Extension, bool) {
	lr, ok := r.list("extensions", 2)
	if !ok {
		return nil, false
	}
	var exts []Extension
	seen := map[uint16]bool{}
	for !lr.empty() {
		it := lr.item()
		start := it.off()
		t, ok := it.enum16("extension_type", func(v uint64) string { return ExtensionName(uint16(v)) })
		if !ok {
			lr.finish(it)
			return exts, false
		}
		data, dataStart, ok := it.prefixed("extension_data", 2)
		if !ok {
			lr.finish(it)
			return exts, false
		}
		if seen[t] && !isGREASE(t) {
			// RFC 8446, Section 4.2: "There MUST NOT be more than one
			// extension of the same type in a given extension block."
			r.d.anomaly(start, "duplicate extension %s (RFC 8446, Section 4.2)", extName(t))
		}
		seen[t] = true
		// it has read this extension; lr moves past it only at finish.
		if t == extPreSharedKey && mt == TypeClientHello && !it.empty() {
			r.d.anomaly(start, "pre_shared_key is not the last extension of the ClientHello (RFC 8446, Section 4.2.11)")
		}
		exts = append(exts, Extension{Type: t, Data: data})
		it.extensionBody(ctx, mt, t, data, dataStart)
		lr.finish(it)
	}
	return exts, true
}

func extName(t uint16) string {
	if n := ExtensionName(t); n != "" {
		return n
	}
	return fmt.Sprintf("%d (0x%04x)", t, t)
}

// extensionBody decodes one extension's data into the item's node. On
// failure the fields read so far are dropped and the raw bytes kept, with an
// anomaly: a malformed extension never fails the message.
func (it *reader) extensionBody(ctx *Context, mt HandshakeType, t uint16, data []byte, base int) {
	n := it.node
	keep := len(n.Children)
	sub := &decoder{msg: extName(t)}
	er := &reader{s: data, end: base + len(data), node: n, d: sub}
	known := decodeExtension(ctx, mt, t, er)
	if known && sub.err == nil {
		er.done(extName(t))
	}
	it.d.anomalies = append(it.d.anomalies, sub.anomalies...)
	if !known || sub.err != nil {
		n.Children = n.Children[:keep]
		n.Add(&field.Node{Name: "extension_data", Kind: field.Bytes, Bytes: data, Offset: base, Length: len(data)})
		if sub.err != nil {
			it.d.anomaly(sub.err.Offset, "extension %s does not decode: %s: %s", extName(t), sub.err.Field, sub.err.Reason)
		}
	}
}

// decodeExtension reads the body of extension t as it appears in message
// mt. It reports whether the type is one it decodes.
func decodeExtension(ctx *Context, mt HandshakeType, t uint16, r *reader) bool {
	ch := mt == TypeClientHello
	if r.empty() {
		switch t {
		case extServerName, extStatusRequest, extSCT, extEncryptThenMAC, extExtendedMasterSecret,
			extSessionTicket, extEarlyData, extPostHandshakeAuth, extPadding:
			// These are empty in some messages (RFC 6066, 6962, 7366,
			// 7627, 5077; RFC 8446, Sections 4.2.6 and 4.2.10).
			return true
		}
		if isGREASE(t) {
			return true
		}
	}
	switch t {
	case extServerName:
		// RFC 6066, Section 3.
		l, ok := r.list("server_name_list", 2)
		if !ok {
			return true
		}
		for !l.empty() {
			it := l.item()
			if _, ok := it.enum8("name_type", func(v uint64) string { return NameTypeName(uint8(v)) }); ok {
				if name, ok := it.text("host_name", 2); ok {
					switch {
					case name == "":
						r.d.anomaly(it.last().Offset, "empty server name (RFC 6066, Section 3)")
					case name[len(name)-1] == '.':
						r.d.anomaly(it.last().Offset, "server name %q ends with a dot (RFC 6066, Section 3)", name)
					}
				}
			}
			l.finish(it)
			if r.d.err != nil {
				return true
			}
		}
	case extMaxFragmentLength:
		// RFC 6066, Section 4.
		r.enum8("max_fragment_length", func(v uint64) string { return MaxFragmentLengthName(uint8(v)) })
	case extStatusRequest:
		// RFC 6066, Section 8; in a TLS 1.3 certificate entry it holds a
		// CertificateStatus (RFC 8446, Section 4.4.2.1).
		if mt == TypeCertificate {
			parseCertificateStatus(r)
			return true
		}
		if _, ok := r.enum8("status_type", func(v uint64) string { return CertificateStatusTypeName(uint8(v)) }); !ok {
			return true
		}
		if _, ok := r.opaque("responder_id_list", 2); ok {
			r.opaque("request_extensions", 2)
		}
	case extSupportedGroups:
		// RFC 8446, Section 4.2.7.
		l, ok := r.list("named_group_list", 2)
		for ok && !l.empty() {
			g, ok2 := l.enum16("", groupNamer)
			if !ok2 {
				return true
			}
			if IsHybridPQ(g) {
				l.note("hybrid post-quantum")
			} else if IsPQ(g) {
				l.note("post-quantum")
			}
		}
	case extECPointFormats:
		// RFC 8422, Section 5.1.2.
		l, ok := r.list("ec_point_format_list", 1)
		for ok && !l.empty() {
			l.enum8("", func(v uint64) string { return ECPointFormatName(uint8(v)) })
		}
	case extSignatureAlgorithms, extSignatureAlgsCert:
		// RFC 8446, Section 4.2.3.
		l, ok := r.list("supported_signature_algorithms", 2)
		for ok && !l.empty() {
			if _, ok := l.enum16("", schemeNamer); !ok {
				return true
			}
		}
	case extUseSRTP:
		// RFC 5764, Section 4.1.1.
		l, ok := r.list("srtp_protection_profiles", 2)
		for ok && !l.empty() {
			if _, ok := l.enum16("", func(v uint64) string { return SRTPProtectionProfileName(uint16(v)) }); !ok {
				return true
			}
		}
		if ok {
			r.opaque("srtp_mki", 1)
		}
	case extHeartbeat:
		// RFC 6520, Section 2.
		r.enum8("mode", func(v uint64) string { return HeartbeatModeName(uint8(v)) })
	case extALPN:
		// RFC 7301, Section 3.1.
		l, ok := r.list("protocol_name_list", 2)
		for ok && !l.empty() {
			if _, ok := l.text("protocol_name", 1); !ok {
				return true
			}
		}
	case extSCT:
		// RFC 6962, Section 3.3: a SignedCertificateTimestampList.
		l, ok := r.list("sct_list", 2)
		for ok && !l.empty() {
			sct, ok := l.object("serialized_sct", 2)
			if !ok {
				return true
			}
			if _, ok := sct.u8("version"); !ok {
				return true
			}
			if _, ok := sct.bytes("log_id", 32); !ok {
				return true
			}
			if _, ok := sct.uintField("timestamp", 8); !ok {
				return true
			}
			if _, ok := sct.opaque("extensions", 2); !ok {
				return true
			}
			if _, ok := sct.enum16("signature_algorithm", schemeNamer); !ok {
				return true
			}
			sct.opaque("signature", 2)
		}
	case extClientCertType:
		// RFC 7250, Section 3.
		if ch {
			l, ok := r.list("client_certificate_types", 1)
			for ok && !l.empty() {
				l.enum8("", func(v uint64) string { return CertificateTypeName(uint8(v)) })
			}
		} else {
			r.enum8("client_certificate_type", func(v uint64) string { return CertificateTypeName(uint8(v)) })
		}
	case extServerCertType:
		if ch {
			l, ok := r.list("server_certificate_types", 1)
			for ok && !l.empty() {
				l.enum8("", func(v uint64) string { return CertificateTypeName(uint8(v)) })
			}
		} else {
			r.enum8("server_certificate_type", func(v uint64) string { return CertificateTypeName(uint8(v)) })
		}
	case extPadding:
		// RFC 7685, Section 3.
		b := r.rest("padding")
		for _, c := range b {
			if c != 0 {
				r.d.anomaly(r.last().Offset, "padding holds bytes other than zero (RFC 7685, Section 3)")
				break
			}
		}
	case extEncryptThenMAC, extExtendedMasterSecret, extPostHandshakeAuth:
		// RFC 7366, RFC 7627, RFC 8446 Section 4.2.6: empty.
	case extCompressCertificate:
		// RFC 8879, Section 3.
		l, ok := r.list("algorithms", 1)
		for ok && !l.empty() {
			if _, ok := l.enum16("", certCompNamer); !ok {
				return true
			}
		}
	case extRecordSizeLimit:
		// RFC 8449, Section 4.
		r.u16("record_size_limit")
	case extSessionTicket:
		// RFC 5077, Section 3.2.
		r.rest("ticket")
	case extPreSharedKey:
		// RFC 8446, Section 4.2.11.
		if !ch {
			r.u16("selected_identity")
			return true
		}
		ids, ok := r.list("identities", 2)
		for ok && !ids.empty() {
			it := ids.item()
			_, ok1 := it.opaque("identity", 2)
			ok2 := ok1
			if ok1 {
				_, ok2 = it.u32("obfuscated_ticket_age")
			}
			ids.finish(it)
			if !ok2 {
				return true
			}
		}
		if !ok {
			return true
		}
		binders, ok := r.list("binders", 2)
		for ok && !binders.empty() {
			if _, ok := binders.opaque("binder", 1); !ok {
				return true
			}
		}
	case extEarlyData:
		// RFC 8446, Section 4.2.10: max_early_data_size in
		// NewSessionTicket, empty elsewhere.
		if mt == TypeNewSessionTicket {
			r.u32("max_early_data_size")
		}
	case extSupportedVersions:
		// RFC 8446, Section 4.2.1.
		if !ch {
			r.enum16("selected_version", versionNamer)
			return true
		}
		l, ok := r.list("versions", 1)
		for ok && !l.empty() {
			if _, ok := l.enum16("", versionNamer); !ok {
				return true
			}
		}
	case extCookie:
		// RFC 8446, Section 4.2.2.
		r.opaque("cookie", 2)
	case extPSKKeyExchangeModes:
		// RFC 8446, Section 4.2.9.
		l, ok := r.list("ke_modes", 1)
		for ok && !l.empty() {
			l.enum8("", func(v uint64) string { return PSKKeyExchangeModeName(uint8(v)) })
		}
	case extCertificateAuthorities:
		// RFC 8446, Section 4.2.4.
		l, ok := r.list("authorities", 2)
		for ok && !l.empty() {
			if _, ok := l.distinguishedName(); !ok {
				return true
			}
		}
	case extOIDFilters:
		// RFC 8446, Section 4.2.5.
		l, ok := r.list("filters", 2)
		for ok && !l.empty() {
			it := l.item()
			_, ok1 := it.opaque("certificate_extension_oid", 1)
			ok2 := ok1
			if ok1 {
				_, ok2 = it.opaque("certificate_extension_values", 2)
			}
			l.finish(it)
			if !ok2 {
				return true
			}
		}
	case extKeyShare:
		// RFC 8446, Section 4.2.8.
		switch mt {
		case TypeClientHello:
			l, ok := r.list("client_shares", 2)
			for ok && !l.empty() {
				it := l.item()
				ok := it.keyShareEntry(true)
				l.finish(it)
				if !ok {
					return true
				}
			}
		case TypeHelloRetryRequest:
			r.enum16("selected_group", groupNamer)
		default:
			o := r.node.Add(&field.Node{Name: "server_share", Kind: field.Object, Offset: r.off()})
			sr := &reader{s: r.s, end: r.end, node: o, d: r.d}
			sr.keyShareEntry(false)
			o.Length = sr.off() - o.Offset
			r.s = sr.s
		}
	case extRenegotiationInfo:
		// RFC 5746, Section 3.2.
		r.opaque("renegotiated_connection", 1)
	case extECH:
		// RFC 9849 (TLS Encrypted Client Hello), Section 5.
		switch mt {
		case TypeClientHello:
			typ, ok := r.enum8("type", func(v uint64) string {
				return map[uint64]string{0: "outer", 1: "inner"}[v]
			})
			if !ok || typ != 0 {
				return true
			}
			if _, ok := r.u16("kdf_id"); !ok {
				return true
			}
			if _, ok := r.u16("aead_id"); !ok {
				return true
			}
			if _, ok := r.u8("config_id"); !ok {
				return true
			}
			if _, ok := r.opaque("enc", 2); ok {
				r.opaque("payload", 2)
			}
		case TypeHelloRetryRequest:
			r.bytes("confirmation", 8)
		default:
			r.opaque("retry_configs", 2)
		}
	case extALPS, extALPSOld:
		// draft-vvv-tls-alps: supported protocols in ClientHello, opaque
		// settings in EncryptedExtensions.
		if ch {
			l, ok := r.list("supported_protocols", 2)
			for ok && !l.empty() {
				if _, ok := l.text("protocol_name", 1); !ok {
					return true
				}
			}
		} else {
			r.rest("settings")
		}
	default:
		return false
	}
	return true
}

// keyShareEntry reads a KeyShareEntry (RFC 8446, Section 4.2.8) and checks
// the length of shares whose size is fixed, hybrids included
// (draft-ietf-tls-ecdhe-mlkem: X25519MLKEM768 puts ML-KEM first).
func (r *reader) keyShareEntry(client bool) bool {
	g, ok := r.enum16("group", groupNamer)
	if !ok {
		return false
	}
	share, ok := r.opaque("key_exchange", 2)
	if !ok {
		return false
	}
	want, note := keyShareSize(g, client)
	if note != "" {
		r.note(note)
	}
	if want > 0 && len(share) != want && !isGREASE(g) {
		r.d.anomaly(r.last().Offset, "%s key share is %d bytes, expected %d", GroupName(g), len(share), want)
	}
	return true
}

func keyShareSize(g uint16, client bool) (int, string) {
	switch g {
	case 23:
		return 65, ""
	case 24:
		return 97, ""
	case 25:
		return 133, ""
	case 29:
		return 32, ""
	case 30:
		return 56, ""
	case 0x11EC:
		if client {
			return 1216, "hybrid post-quantum: ML-KEM-768 encapsulation key (1184) || X25519 (32)"
		}
		return 1120, "hybrid post-quantum: ML-KEM-768 ciphertext (1088) || X25519 (32)"
	case 0x11EB:
		if client {
			return 1249, "hybrid post-quantum: P-256 point (65) || ML-KEM-768 encapsulation key (1184)"
		}
		return 1153, "hybrid post-quantum: P-256 point (65) || ML-KEM-768 ciphertext (1088)"
	case 0x11ED:
		if client {
			return 1665, "hybrid post-quantum: P-384 point (97) || ML-KEM-1024 encapsulation key (1568)"
		}
		return 1665, "hybrid post-quantum: P-384 point (97) || ML-KEM-1024 ciphertext (1568)"
	case 0x6399:
		if client {
			return 1216, "hybrid post-quantum (draft): X25519 (32) || Kyber768 (1184)"
		}
		return 1120, "hybrid post-quantum (draft): X25519 (32) || Kyber768 ciphertext (1088)"
	}
	return 0, ""
}
