package server

import (
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/tlstrace/tlstrace/internal/dn"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// Item is a code point with its name and what is notable about it.
type Item struct {
	Value uint16 `json:"value"`
	Name  string `json:"name"`
	Note  string `json:"note,omitempty"`
}

// Report is the client's own handshake, as the www page and /json show
// it.
type Report struct {
	Remote     string `json:"remote"`
	ServerName string `json:"server_name"`
	// ServerNameHex and ALPNHex give the exact bytes of the server name
	// and of each ALPN protocol, in hex, when one of them is not UTF-8,
	// which a JSON string shows as U+FFFD (docs/json.md, NAME_hex).
	ServerNameHex     string   `json:"server_name_hex,omitempty"`
	LegacyVersion     string   `json:"legacy_version"`
	SupportedVersions []Item   `json:"supported_versions"`
	CipherSuites      []Item   `json:"cipher_suites"`
	Extensions        []Item   `json:"extensions"`
	Groups            []Item   `json:"supported_groups"`
	SignatureSchemes  []Item   `json:"signature_algorithms"`
	ALPN              []string `json:"alpn"`
	ALPNHex           []string `json:"alpn_hex,omitempty"`
	JA3               string   `json:"ja3"`
	JA3String         string   `json:"ja3_string"`
	JA4               string   `json:"ja4"`
	Negotiated        struct {
		Version           string `json:"version"`
		CipherSuite       string `json:"cipher_suite"`
		Group             string `json:"group"`
		ALPN              string `json:"alpn"`
		Resumed           bool   `json:"resumed"`
		HelloRetryRequest bool   `json:"hello_retry_request"`
		ClientCertificate string `json:"client_certificate,omitempty"`
	} `json:"negotiated"`
}

func items(v []uint16, name func(uint16) string, note func(uint16) string) []Item {
	out := []Item{}
	for _, x := range v {
		it := Item{Value: x, Name: name(x)}
		if it.Name == "" {
			it.Name = fmt.Sprintf("0x%04X", x)
		}
		if wire.IsGREASE(x) {
			it.Name, it.Note = "GREASE", "GREASE (RFC 8701)"
		} else if note != nil {
			it.Note = note(x)
		}
		out = append(out, it)
	}
	return out
}

// report builds the Report of a client.
func report(ci *ClientInfo) *Report {
	r := &Report{Remote: ci.Remote, JA3: ci.JA3, JA3String: ci.JA3Str, JA4: ci.JA4}
	if h := ci.Hello; h != nil {
		r.LegacyVersion = wire.VersionName(h.LegacyVersion)
		r.SupportedVersions = items(h.SupportedVersions, wire.VersionName, nil)
		r.CipherSuites = items(h.CipherSuites, wire.CipherSuiteName, nil)
		r.Extensions = items(h.Extensions, wire.ExtensionName, nil)
		r.Groups = items(h.Groups, wire.GroupName, func(g uint16) string {
			if wire.IsHybridPQ(g) {
				return "hybrid post-quantum"
			}
			if wire.IsPQ(g) {
				return "post-quantum"
			}
			return ""
		})
		r.SignatureSchemes = items(h.SignatureSchemes, wire.SignatureSchemeName, nil)
		r.ALPN = h.ALPN
		if slices.ContainsFunc(h.ALPN, func(p string) bool { return !utf8.ValidString(p) }) {
			for _, p := range h.ALPN {
				r.ALPNHex = append(r.ALPNHex, hex.EncodeToString([]byte(p)))
			}
		}
	}
	cs := ci.State
	r.ServerName = cs.ServerName
	if !utf8.ValidString(cs.ServerName) {
		r.ServerNameHex = hex.EncodeToString([]byte(cs.ServerName))
	}
	r.Negotiated.Version = tls.VersionName(cs.Version)
	r.Negotiated.CipherSuite = wire.CipherSuiteName(cs.CipherSuite)
	if cs.CurveID != 0 {
		r.Negotiated.Group = wire.GroupName(uint16(cs.CurveID))
	}
	r.Negotiated.ALPN = cs.NegotiatedProtocol
	r.Negotiated.Resumed = cs.DidResume
	r.Negotiated.HelloRetryRequest = cs.HelloRetryRequest
	if len(cs.PeerCertificates) > 0 {
		r.Negotiated.ClientCertificate = dn.Subject(cs.PeerCertificates[0])
	}
	return r
}

// page is parsed on first use, not at every start of the program.
var page = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Your TLS handshake — tlstrace</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse} td{padding:.15rem .8rem .15rem 0;vertical-align:top}
code{font:13px ui-monospace,monospace} .note{color:#a15c00} .chosen{font-weight:600;color:#0a6b2d}
</style></head><body>
<h1>Your TLS handshake</h1>
<p>This page shows what your client sent in its ClientHello and what this server (tlstrace serve) chose.
The same as data: <a href="/json">/json</a>.</p>
<h2>Chosen</h2>
<table>
<tr><td>Version</td><td class="chosen">{{.Negotiated.Version}}</td></tr>
<tr><td>Cipher suite</td><td class="chosen">{{.Negotiated.CipherSuite}}</td></tr>
<tr><td>Key exchange group</td><td class="chosen">{{.Negotiated.Group}}</td></tr>
<tr><td>ALPN</td><td>{{.Negotiated.ALPN}}</td></tr>
<tr><td>Server name (SNI)</td><td>{{.ServerName}}</td></tr>
<tr><td>Resumed</td><td>{{.Negotiated.Resumed}}</td></tr>
<tr><td>HelloRetryRequest</td><td>{{.Negotiated.HelloRetryRequest}}</td></tr>
{{with .Negotiated.ClientCertificate}}<tr><td>Client certificate</td><td>{{.}}</td></tr>{{end}}
</table>
<h2>Fingerprints</h2>
<table><tr><td>JA4</td><td><code>{{.JA4}}</code></td></tr>
<tr><td>JA3</td><td><code>{{.JA3}}</code></td></tr>
<tr><td>JA3 string</td><td><code>{{.JA3String}}</code></td></tr></table>
<h2>Versions offered</h2><ol>{{range .SupportedVersions}}<li>{{.Name}}{{with .Note}} <span class="note">{{.}}</span>{{end}}</li>{{end}}</ol>
<p>legacy_version: {{.LegacyVersion}}</p>
<h2>Cipher suites offered, in your order ({{len .CipherSuites}})</h2>
<ol>{{range .CipherSuites}}<li><code>{{.Name}}</code>{{with .Note}} <span class="note">{{.}}</span>{{end}}</li>{{end}}</ol>
<h2>Groups offered</h2>
<ol>{{range .Groups}}<li><code>{{.Name}}</code>{{with .Note}} <span class="note">{{.}}</span>{{end}}</li>{{end}}</ol>
<h2>Signature algorithms</h2>
<ol>{{range .SignatureSchemes}}<li><code>{{.Name}}</code>{{with .Note}} <span class="note">{{.}}</span>{{end}}</li>{{end}}</ol>
<h2>Extensions, in order ({{len .Extensions}})</h2>
<ol>{{range .Extensions}}<li><code>{{.Name}}</code> ({{.Value}}){{with .Note}} <span class="note">{{.}}</span>{{end}}</li>{{end}}</ol>
<h2>ALPN offered</h2><p>{{range .ALPN}}<code>{{.}}</code> {{end}}</p>
</body></html>
`))
})

func (s *Server) handler() http.Handler {
	switch s.cfg.Mode {
	case "file":
		return http.FileServer(http.Dir(s.cfg.Dir))
	case "http":
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "hello from tlstrace serve\n")
		})
	}
	mux := http.NewServeMux()
	info := func(r *http.Request) *ClientInfo {
		c, _ := r.Context().Value(connKey{}).(net.Conn)
		if ci := s.Info(c); ci != nil {
			return ci
		}
		return &ClientInfo{}
	}
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(report(info(r)))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page().Execute(w, report(info(r)))
	})
	return mux
}
