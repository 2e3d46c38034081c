package scan

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/tlstrace/tlstrace/internal/handshake"
	"github.com/tlstrace/tlstrace/internal/wire"
)

// probeHSTS makes one HTTPS request, GET / on the host, and reads the
// Strict-Transport-Security header of the response (RFC 6797). The
// request goes over tlstrace's engine, in a version, with suites and
// groups the probes found the server accepts (httpConfigs), so that it
// is made to servers crypto/tls cannot talk to (TLS 1.0 and 1.1 alone,
// DHE or FFDHE alone, CAMELLIA…). The chain is not verified here (the
// certificate_chain events judge it): the question is only what the
// server answers. It returns the feature and what the request showed of
// HTTP: HTTPAnswered; HTTPNone when a handshake completed and no HTTP
// answer came (the server does not speak HTTP); HTTPUnchecked when no
// handshake completed, and the feature says "not checked".
func probeHSTS(ctx context.Context, r *Result, p *prober) (Feature, HTTPCheck) {
	f := Feature{Name: "hsts"}
	host, port, err := net.SplitHostPort(p.addr)
	if err != nil {
		f.Detail = "not checked: " + err.Error()
		return f, HTTPUnchecked
	}
	if p.serverName != "" {
		host = p.serverName
	}
	cfgs := httpConfigs(r, p.serverName)
	if len(cfgs) == 0 {
		f.Detail = "not checked: no version and suite the server accepted is one tlstrace's engine completes"
		return f, HTTPUnchecked
	}
	var failures []string
	for _, cfg := range cfgs {
		var resp *http.Response
		var herr error
		a := p.with(ctx, func(conn net.Conn) answer {
			rec := &recorder{Conn: conn}
			hc := handshake.Client(rec, cfg)
			defer hc.Close()
			if err := hc.HandshakeContext(ctx); err != nil {
				rec.mu.Lock()
				n := len(rec.received)
				rec.mu.Unlock()
				a, _ := engineFailure(err, n)
				return a
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+net.JoinHostPort(host, port)+"/", nil)
			if err != nil {
				herr = err
				return answer{outcome: Accepted}
			}
			req.Close = true
			req.Header.Set("User-Agent", "tlstrace")
			if herr = req.Write(hc); herr != nil {
				return answer{outcome: Accepted}
			}
			if resp, herr = http.ReadResponse(bufio.NewReader(hc), req); herr == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				resp.Body.Close()
			}
			return answer{outcome: Accepted}
		})
		if a.outcome != Accepted {
			failures = append(failures, fmt.Sprintf("%s: %s", httpConfigName(cfg), reason(a)))
			continue
		}
		if herr != nil {
			f.Detail = fmt.Sprintf("no HTTP answer to GET / over %s: %s", httpConfigName(cfg), endWords(herr))
			return f, HTTPNone
		}
		readHSTS(&f, resp)
		return f, HTTPAnswered
	}
	f.Detail = "not checked: no handshake for the request completed (" + strings.Join(failures, "; ") + ")"
	return f, HTTPUnchecked
}

// readHSTS sets f from the Strict-Transport-Security header of resp.
func readHSTS(f *Feature, resp *http.Response) {
	f.Known = true
	// A UA reads only the first header (RFC 6797, Section 8.1).
	if v := resp.Header.Values("Strict-Transport-Security"); len(v) > 0 {
		f.Detail = "Strict-Transport-Security: " + v[0]
		maxAge, err := parseHSTS(v[0])
		switch {
		case err != nil:
			f.Detail += fmt.Sprintf(" (browsers ignore it: %v)", err)
		case maxAge == 0:
			f.Detail += " (max-age=0: browsers forget the host's policy, RFC 6797, Section 6.1.1)"
		default:
			f.Supported = true
		}
		return
	}
	f.Detail = fmt.Sprintf("the answer to GET / (%s) has no Strict-Transport-Security header", resp.Status)
}

// httpConfigs returns the engine's settings for the HTTP request, each
// tried in turn until a handshake completes: TLS 1.3 with the suites and
// groups found (those the engine has), then each version from TLS 1.2
// down to 1.0 the server accepted, with its suites the engine completes
// and the curves found.
func httpConfigs(r *Result, serverName string) []*handshake.Config {
	var out []*handshake.Config
	if vr := r.Version(wire.VersionTLS13); vr != nil && vr.Outcome == Accepted {
		if cfg := tls13Config(r, serverName); len(cfg.TLS13Suites) > 0 {
			out = append(out, cfg)
		}
	}
	var groups []uint16
	for _, g := range r.Groups12 {
		if slices.Contains(engineGroups, g) {
			groups = append(groups, g)
		}
	}
	for _, v := range []uint16{wire.VersionTLS12, wire.VersionTLS11, wire.VersionTLS10} {
		vr := r.Version(v)
		if vr == nil || vr.Outcome != Accepted {
			continue
		}
		suites := slices.DeleteFunc(slices.Clone(vr.Suites), func(s uint16) bool { return !engineSuite12(s) })
		if len(suites) > 0 {
			out = append(out, &handshake.Config{ServerName: serverName, MinVersion: v, MaxVersion: v, CipherSuites: suites, Groups: groups, MinDHBits: minScanDHBits, NoSessionTickets: true})
		}
	}
	return out
}

// httpConfigName names the version of cfg.
func httpConfigName(cfg *handshake.Config) string { return wire.VersionName(cfg.MaxVersion) }

// parseHSTS reads a Strict-Transport-Security header's value (RFC 6797,
// Section 6.1): directives separated by semicolons, each at most once,
// max-age required and made of digits (quoted or not). A value that
// breaks the syntax is ignored by the UA as a whole, which err says.
func parseHSTS(v string) (maxAge uint64, err error) {
	seen := map[string]bool{}
	for _, d := range strings.Split(v, ";") {
		d = strings.Trim(d, " \t")
		if d == "" {
			continue
		}
		name, val, hasValue := strings.Cut(d, "=")
		name = strings.ToLower(strings.Trim(name, " \t"))
		val = strings.Trim(val, " \t")
		if name == "" || strings.ContainsAny(name, " \t\"(),/:<=>?@[\\]{}") {
			return 0, fmt.Errorf("%q is not a directive", d)
		}
		if seen[name] {
			return 0, fmt.Errorf("the directive %s appears twice", name)
		}
		seen[name] = true
		if name != "max-age" {
			continue
		}
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		if !hasValue || val == "" || strings.Trim(val, "0123456789") != "" {
			return 0, fmt.Errorf("max-age %q is not a number of seconds", val)
		}
		maxAge, err = strconv.ParseUint(val, 10, 64)
		if err != nil {
			// More digits than 64 bits hold: a very long time.
			maxAge = math.MaxUint64
		}
	}
	if !seen["max-age"] {
		return 0, errors.New("it has no max-age")
	}
	return maxAge, nil
}
