package scan

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
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
	if v := resp.Header.Get("Strict-Transport-Security"); v != "" {
		f.Supported = true
		f.Detail = "Strict-Transport-Security: " + v
		if !strings.Contains(strings.ToLower(v), "max-age") {
			f.Detail += " (no max-age: browsers ignore it)"
			f.Supported = false
		}
		return f
	}
	f.Detail = fmt.Sprintf("the answer to GET / (%s) has no Strict-Transport-Security header", resp.Status)
	return f
}
