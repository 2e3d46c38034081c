package chain

import (
	"crypto"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tlstrace/tlstrace/internal/certgen"
	"github.com/tlstrace/tlstrace/internal/tlstest"
)

// TestPeerIntermediateNotSent: a server's chain that verifies only with
// an intermediate the verifier was given, not sent, fails (NotSentError,
// the intermediate's link marked), as it fails a client without it; the
// same intermediate sent, or a copy the server sends that completes the
// path alone (a cross-signed CA), is valid. A chain sent without it and
// not given says the server must send it; a file's says to add it to the
// chain file.
func TestPeerIntermediateNotSent(t *testing.T) {
	key := func() crypto.Signer { return tlstest.NewKey(t, false) }
	issue := func(c certgen.Config) *x509.Certificate { return tlstest.Issue(t, c) }
	r1Key, r2Key, xKey := key(), key(), key()
	r1 := issue(certgen.Config{CommonName: "Root 1", Profile: certgen.ProfileCA, PathLen: -1, Key: r1Key})
	r2 := issue(certgen.Config{CommonName: "Root 2", Profile: certgen.ProfileCA, PathLen: -1, Key: r2Key})
	ix := issue(certgen.Config{CommonName: "Int X", Profile: certgen.ProfileCA, PathLen: 0, Key: xKey, Issuer: r1, IssuerKey: r1Key})
	ixc := issue(certgen.Config{CommonName: "Int X", Profile: certgen.ProfileCA, PathLen: 0, Key: xKey, Issuer: r2, IssuerKey: r2Key})
	leaf := issue(certgen.Config{CommonName: "srv.test", SANs: []string{"srv.test"}, Profile: certgen.ProfileServer, Key: key(), Issuer: ix, IssuerKey: xKey})
	roots := []*x509.Certificate{r1, r2}

	r, links, p := Peer(0, []*x509.Certificate{leaf}, Options{Roots: roots, Intermediates: []*x509.Certificate{ix}, Name: "srv.test", IntermediatesWith: "--untrusted"})
	var ns *NotSentError
	if r.Valid || !errors.As(r.Failure(), &ns) || !ns.Cert.Equal(ix) || !ns.Issued.Equal(leaf) {
		t.Fatalf("not sent: valid %v, err %v; want a NotSentError for Int X", r.Valid, r.Err)
	}
	for _, want := range []string{`the server does not send the intermediate "CN=Int X" that issued "CN=srv.test"`, "the copy given with --untrusted", "unable to get local issuer certificate"} {
		if !strings.Contains(r.Cause, want) {
			t.Errorf("cause %q lacks %q", r.Cause, want)
		}
	}
	if !strings.Contains(r.Fix, `the server must send "CN=Int X"`) {
		t.Errorf("fix %q", r.Fix)
	}
	if len(r.Links) != 3 || !hasFailed(r.Links[1], "sent") || len(links) != 3 || p.VerifiedChain != nil {
		t.Errorf("links %v, the intermediate's checks %v, verified chain %v", linkNames(r.Links), r.Links[1].Checks, p.VerifiedChain)
	}

	for _, c := range []struct {
		name        string
		sent, given []*x509.Certificate
	}{
		{"sent and given", []*x509.Certificate{leaf, ix}, []*x509.Certificate{ix}},
		{"another copy sent", []*x509.Certificate{leaf, ixc}, []*x509.Certificate{ix}},
	} {
		r, _, _ := Peer(0, c.sent, Options{Roots: roots, Intermediates: c.given, Name: "srv.test"})
		if !r.Valid {
			t.Errorf("%s: %v", c.name, r.Err)
		}
		for _, l := range r.Links {
			if hasFailed(l, "sent") {
				t.Errorf("%s: %s marked as not sent", c.name, l.Cert.Subject)
			}
		}
	}

	r, _, _ = Peer(0, []*x509.Certificate{leaf}, Options{Roots: roots, Name: "srv.test", TrustWith: "X"})
	if want := `if "CN=Int X" is an intermediate, the server must send it after the certificate it signed: add it to the server's chain file; if it is a private root, trust it with X`; r.Fix != want {
		t.Errorf("missing intermediate, server: fix %q\nwant %q", r.Fix, want)
	}
	r = VerifyChain([]*x509.Certificate{leaf}, Options{Roots: roots, Name: "srv.test", TrustWith: "X"})
	if want := `if "CN=Int X" is an intermediate, add it to the chain file after the certificate it signed; if it is a private root, trust it with X`; r.Fix != want {
		t.Errorf("missing intermediate, file: fix %q\nwant %q", r.Fix, want)
	}
}

func hasFailed(l Link, check string) bool {
	for _, c := range l.Checks {
		if c.Name == check && !c.OK {
			return true
		}
	}
	return false
}

// TestValidityFixAtGiven: a time the user gave is what the fix of a
// certificate outside its validity speaks of, in the caller's words; a
// clock's time (this machine's, a capture's) has the clock checked.
func TestValidityFixAtGiven(t *testing.T) {
	key := func() crypto.Signer { return tlstest.NewKey(t, false) }
	rootKey := key()
	root := tlstest.Issue(t, certgen.Config{CommonName: "Root", Profile: certgen.ProfileCA, PathLen: -1, Key: rootKey})
	leaf := tlstest.Issue(t, certgen.Config{CommonName: "srv.test", SANs: []string{"srv.test"}, Profile: certgen.ProfileServer, Key: key(), Issuer: root, IssuerKey: rootKey,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)})
	before, after := time.Now().Add(-48*time.Hour), time.Now().Add(48*time.Hour)
	for _, c := range []struct {
		name string
		o    Options
		fix  string
	}{
		{"given before", Options{At: before, AtGiven: true, AtWith: "WHEN"}, "the time given (WHEN) is before the certificate's validity: verify at a time within it"},
		{"given after", Options{At: after, AtGiven: true}, "the time given is after the certificate's validity: verify at a time within it"},
		{"clock before", Options{At: before}, "check this machine's clock"},
		{"clock after", Options{At: after, Clock: "the capture's clock"}, "the certificate must be renewed (and check the capture's clock)"},
	} {
		c.o.Roots, c.o.Name = []*x509.Certificate{root}, "srv.test"
		r := Verify(leaf, c.o)
		if r.Valid || !strings.HasPrefix(r.Fix, c.fix) || c.o.AtGiven && strings.Contains(r.Fix, "clock") {
			t.Errorf("%s: valid %v, fix %q; want %q", c.name, r.Valid, r.Fix, c.fix)
		}
	}
}
