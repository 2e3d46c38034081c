package scan

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/tlstest"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// opensslSigalgs are OpenSSL's -sigalgs names of the schemes the scan
// offers (OpenSSL 3.0 has none for the brainpool TLS 1.3 schemes).
var opensslSigalgs = map[uint16]string{
	0x0403: "ecdsa_secp256r1_sha256", 0x0503: "ecdsa_secp384r1_sha384", 0x0603: "ecdsa_secp521r1_sha512",
	0x0807: "ed25519", 0x0808: "ed448",
	0x0804: "rsa_pss_rsae_sha256", 0x0805: "rsa_pss_rsae_sha384", 0x0806: "rsa_pss_rsae_sha512",
	0x0809: "rsa_pss_pss_sha256", 0x080a: "rsa_pss_pss_sha384", 0x080b: "rsa_pss_pss_sha512",
	0x0401: "rsa_pkcs1_sha256", 0x0501: "rsa_pkcs1_sha384", 0x0601: "rsa_pkcs1_sha512",
	0x0303: "ECDSA+SHA224", 0x0301: "RSA+SHA224", 0x0302: "DSA+SHA224",
	0x0402: "DSA+SHA256", 0x0502: "DSA+SHA384", 0x0602: "DSA+SHA512",
	0x0203: "ECDSA+SHA1", 0x0201: "RSA+SHA1", 0x0202: "DSA+SHA1",
}

// signsWith asks openssl s_client, offering only the scheme named name in
// version (-tls1_2, -tls1_3), whether the server at addr completes the
// handshake: it prints the digest it was signed with, or gets an alert.
func signsWith(t *testing.T, addr, version, name string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", addr, version, "-cipher", "kECDHE:kDHE:!aNULL:!PSK:@SECLEVEL=0", "-sigalgs", name)
	cmd.Stdin = strings.NewReader("")
	out, _ := cmd.CombinedOutput()
	switch s := string(out); {
	case strings.Contains(s, "Peer signature type") || strings.Contains(s, "Peer signing digest"):
		return true
	case strings.Contains(s, "alert"):
		return false
	}
	t.Fatalf("s_client -sigalgs %s: neither a signature nor an alert:\n%s", name, out)
	return false
}

// TestScanSignatures compares the signature schemes found in TLS 1.2
// (ServerKeyExchange) and TLS 1.3 (CertificateVerify) with openssl
// s_client's handshakes offering each scheme alone, on an RSA, an ECDSA
// and a dual s_server (an RSA certificate and an ECDSA one, following
// the client's order of suites; security level 0, so that SHA-1 is
// allowed in TLS 1.2). The dual server picks the first suite offered it
// has a certificate for, and refuses the hello when that certificate
// cannot sign with the one scheme offered: each TLS 1.2 probe must offer
// only the suites of its scheme's kind of key.
func TestScanSignatures(t *testing.T) {
	tlstest.RequirePeer(t, "openssl")
	for _, c := range []struct {
		name string
		rsa  bool
		dual bool
	}{{"rsa", true, false}, {"ecdsa", false, false}, {"rsa-and-ecdsa", true, true}} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"-cipher", "ALL:@SECLEVEL=0"}
			if c.dual {
				ecCert, ecKey := writeCert(t, false)
				args = append(args, "-dcert", ecCert, "-dkey", ecKey)
			}
			addr := sServer(t, c.rsa, args...)
			r := scanOf(t, addr)
			for _, v := range []struct {
				version uint16
				flag    string
				offered []uint16
			}{{wire.VersionTLS12, "-tls1_2", tls12Schemes}, {wire.VersionTLS13, "-tls1_3", tls13Schemes}} {
				var got, want []string
				for _, s := range r.Signatures {
					if s.Version == v.version {
						got = append(got, schemeName(s.Scheme))
					}
				}
				for _, sc := range v.offered {
					if name, ok := opensslSigalgs[sc]; ok && signsWith(t, addr, v.flag, name) {
						want = append(want, schemeName(sc))
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				t.Logf("%s schemes: %v", wire.VersionName(v.version), got)
				if len(want) == 0 || !slices.Equal(got, want) {
					t.Errorf("%s schemes\ntlstrace: %v\ns_client: %v", wire.VersionName(v.version), got, want)
				}
				if c.dual && v.version == wire.VersionTLS12 {
					for _, kind := range []string{"ecdsa_", "rsa_"} {
						if !slices.ContainsFunc(got, func(n string) bool { return strings.HasPrefix(n, kind) }) {
							t.Errorf("TLS 1.2: no %s scheme found on a server with an RSA and an ECDSA certificate: %v", kind, got)
						}
					}
				}
			}
			if len(r.SignatureNotes) > 0 {
				t.Errorf("notes: %v", r.SignatureNotes)
			}
		})
	}
}
