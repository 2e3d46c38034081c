package scan

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// probeHSTS makes one HTTPS request, GET / on the host, and reads the
// Strict-Transport-Security header of the response (RFC 6797). The chain
// is not verified here (the certificate_chain events judge it): the
// question is only what the server answers. A server that does not
// answer HTTP leaves the feature unknown.
func probeHSTS(ctx context.Context, p *prober) Feature {
	f := Feature{Name: "hsts"}
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		f.Detail = ctx.Err().Error()
		return f
	}
	defer func() { <-p.sem }()
	if err := p.wait(ctx); err != nil {
		f.Detail = err.Error()
		return f
	}
	if p.onProbe != nil {
		p.onProbe()
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	host, port, err := net.SplitHostPort(p.addr)
	if err != nil {
		f.Detail = err.Error()
		return f
	}
	if p.serverName != "" {
		host = p.serverName
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return p.dialer.DialContext(ctx, network, p.addr)
		},
		TLSClientConfig:   &tls.Config{ServerName: p.serverName, InsecureSkipVerify: true},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+net.JoinHostPort(host, port)+"/", nil)
	if err != nil {
		f.Detail = err.Error()
		return f
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		f.Detail = fmt.Sprintf("no HTTP answer to GET /: %v", err)
		return f
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
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
		return f
	}
	f.Detail = fmt.Sprintf("the answer to GET / (%s) has no Strict-Transport-Security header", resp.Status)
	return f
}

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
