package chain

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/tlstrace/tlstrace/internal/field"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Events returns the explanation as events of layer x509: one "link" per
// certificate, leaf first, then the "verdict".
func (r *Result) Events(conn int) []*trace.Event {
	var out []*trace.Event
	for i, l := range r.Links {
		f := field.NewObject("")
		f.AddUint("depth", uint64(i))
		f.AddString("role", l.Role)
		f.AddString("subject", l.Cert.Subject.String())
		f.AddString("issuer", l.Cert.Issuer.String())
		f.AddString("serial", fmt.Sprintf("%x", l.Cert.SerialNumber))
		f.AddString("public_key", KeyDescription(l.Cert))
		f.AddString("signature_algorithm", SignatureName(l.Cert))
		if l.Issuer != nil && l.Issuer != l.Cert {
			f.AddString("issuer_public_key", KeyDescription(l.Issuer))
		}
		if l.TBSHash != nil {
			f.AddString("tbs_hash", l.Hash+" "+hex.EncodeToString(l.TBSHash))
		}
		if l.Recovered != nil {
			n := f.AddString("signed_digest", hex.EncodeToString(l.Recovered))
			if hex.EncodeToString(l.Recovered) == hex.EncodeToString(l.TBSHash) {
				n.Note = "recovered from the signature with the issuer's public key; equals the TBS hash"
			} else {
				n.Note = "recovered from the signature with the issuer's public key; differs from the TBS hash"
			}
		}
		f.AddBool("trusted_root", l.Trusted)
		checks := f.Add(field.NewList("checks"))
		for _, c := range l.Checks {
			o := checks.Add(field.NewObject(""))
			o.AddString("check", c.Name)
			o.AddBool("ok", c.OK)
			o.AddString("detail", c.Detail)
		}
		out = append(out, &trace.Event{Conn: conn, From: trace.Local, Layer: trace.LayerX509, Type: "link", Fields: f})
	}
	f := field.NewObject("")
	f.AddBool("valid", r.Valid)
	if r.Name != "" {
		f.AddString("name", r.Name)
	}
	f.AddString("at", r.At.UTC().Format(time.RFC3339))
	ev := &trace.Event{Conn: conn, From: trace.Local, Layer: trace.LayerX509, Type: "verdict", Fields: f}
	if !r.Valid {
		f.AddString("cause", r.Cause)
		if r.Fix != "" {
			f.AddString("fix", r.Fix)
		}
		ev.Error = r.Cause
	}
	return append(out, ev)
}
