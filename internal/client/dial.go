package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tlstrace/tlstrace/internal/source"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Step names the stage that failed; the command maps it to an exit code.
type Step int

const (
	StepUsage Step = iota + 1
	StepDNS
	StepConnect
	StepTLS
	StepVerify
	StepHTTP
)

// Error is a failed step with a cause and a fix, both in plain words.
type Error struct {
	Step Step
	Err  error
	// Hint says what to do about it; Advice, when set, is a remedy that
	// involves a setting.
	Hint   string
	Advice Advice
	// Older and Newer, with AdviseVersions, are the versions the client
	// did not offer that the server may speak: those below the oldest it
	// offered, the newest first, and those above the newest, the oldest
	// first.
	Older, Newer []uint16
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func stepErr(s Step, err error, hint string) *Error { return &Error{Step: s, Err: err, Hint: hint} }

// Network settings shared by every command that dials.
type Network struct {
	// Family is "tcp", "tcp4" or "tcp6" (-4/-6).
	Family string
	// ConnectTimeout bounds DNS and TCP connect together.
	ConnectTimeout time.Duration
	// Resolve gives addresses to use instead of DNS (curl --resolve); for
	// a host and port, the last entry of the host, else of any host.
	Resolve []ResolveEntry
	// ConnectTo sends connections to another host and port, keeping the
	// name for TLS and HTTP (curl --connect-to); the first entry that
	// matches applies.
	ConnectTo []ConnectToEntry
}

// Default limits, so that a silent peer never hangs a run: DNS and TCP
// connect together, the TLS handshake, the wait for the response
// headers, and the wait for each part of the response body (a body that
// keeps coming, however slowly, is not cut). -m and --connect-timeout
// override them.
const (
	DefaultConnectTimeout   = 30 * time.Second
	DefaultHandshakeTimeout = 30 * time.Second
	DefaultHeaderTimeout    = 2 * time.Minute
	DefaultBodyIdleTimeout  = 2 * time.Minute
)

// Timings of one connection, for the waterfall.
type Timings struct {
	Start                   time.Time
	DNS, Connect, TLS, TTFB time.Duration
	// StartTLS is the clear-text dialog before the handshake.
	StartTLS time.Duration
}

// dial resolves host and connects to port, emitting a dns and a tcp event.
func dial(ctx context.Context, t *source.Tracer, conn int, n Network, host, port string, tm *Timings) (net.Conn, error) {
	family := n.Family
	if family == "" {
		family = "tcp"
	}
	host, port, _ = n.connectTo(host, port)
	target := net.JoinHostPort(host, port)
	timeout := n.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	var addrs []string
	given := false
	if a, ok := n.resolved(host, port); ok {
		addrs, given = a, true
	} else if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		addrs = []string{ip.String()}
	} else {
		var err error
		addrs, err = lookup(ctx, family, host)
		resolver := resolverName(host)
		if lo := loopback(family, host); err != nil && lo != nil {
			// RFC 6761, Section 6.3: localhost names are the loopback
			// address even where the system has none for this family
			// (curl answers them so too): -6 localhost is ::1.
			addrs, err, resolver = lo, nil, resolverLoopback
		}
		tm.DNS = time.Since(start)
		p := &trace.DNSLookup{Name: host, Resolver: resolver, Addresses: addrs}
		if cname, cerr := net.DefaultResolver.LookupCNAME(ctx, host); cerr == nil && strings.TrimSuffix(cname, ".") != strings.TrimSuffix(host, ".") {
			p.CNAME = cname
		}
		d := tm.DNS
		p.Duration = &d
		ev := trace.NewEvent(conn, trace.Local, p)
		if err != nil {
			ev.Error = err.Error()
			t.Emit(ev)
			return nil, advise(StepDNS, explained(fmt.Sprintf("could not resolve %s: %s", host, plainDNS(err)), err), AdviseResolve)
		}
		t.Emit(ev)
	}
	if given {
		t.Emit(trace.NewEvent(conn, trace.Local, &trace.DNSLookup{Name: host, Given: true, Addresses: addrs}))
	}
	var lastErr error
	for _, a := range addrs {
		cstart := time.Now()
		d := net.Dialer{}
		c, err := d.DialContext(ctx, family, net.JoinHostPort(strings.Trim(a, "[]"), port))
		tm.Connect = time.Since(cstart)
		p := &trace.TCPConnect{Host: host, Remote: net.JoinHostPort(strings.Trim(a, "[]"), port), Duration: tm.Connect}
		if err != nil {
			ev := trace.NewEvent(conn, trace.Local, p)
			ev.Error = err.Error()
			t.Emit(ev)
			lastErr = err
			continue
		}
		p.Local = c.LocalAddr().String()
		if rtt, ok := tcpRTT(c); ok {
			p.RTT = &rtt
		}
		t.Emit(trace.NewEvent(conn, trace.Local, p))
		return c, nil
	}
	return nil, connectError(target, lastErr)
}

func lookup(ctx context.Context, family, host string) ([]string, error) {
	network := "ip"
	switch family {
	case "tcp4":
		network = "ip4"
	case "tcp6":
		network = "ip6"
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ip := range ips {
		out = append(out, ip.Unmap().String())
	}
	return out, nil
}

// resolverLoopback is the resolver of a localhost name the system did
// not resolve for the family asked (RFC 6761, Section 6.3).
const resolverLoopback = "RFC 6761 (localhost is the loopback)"

// loopback returns the loopback address of family for a localhost name
// ("localhost" or a name under .localhost), nil for any other name.
func loopback(family, host string) []string {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h != "localhost" && !strings.HasSuffix(h, ".localhost") {
		return nil
	}
	switch family {
	case "tcp6":
		return []string{"::1"}
	case "tcp4":
		return []string{"127.0.0.1"}
	}
	return []string{"127.0.0.1", "::1"}
}

// resolverName says where the system resolver found host: the hosts file or
// the first name server of resolv.conf.
func resolverName(host string) string {
	if b, err := os.ReadFile("/etc/hosts"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			f := strings.Fields(line)
			for _, name := range f[min(1, len(f)):] {
				if strings.EqualFold(name, host) {
					return "/etc/hosts"
				}
			}
		}
	}
	if b, err := os.ReadFile("/etc/resolv.conf"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "nameserver" {
				return "DNS " + f[1]
			}
		}
	}
	return "system"
}

func plainDNS(err error) string {
	var de *net.DNSError
	if errors.As(err, &de) {
		switch {
		case de.IsNotFound:
			return "no such host"
		case de.IsTimeout:
			return "the DNS server did not answer in time"
		}
		return de.Err
	}
	return err.Error()
}

func connectError(target string, err error) error {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return stepErr(StepConnect, explained(fmt.Sprintf("connection to %s refused: nothing listens on that port", target), err),
			"check the port, and that the server is running")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return advise(StepConnect, explained(fmt.Sprintf("connecting to %s timed out", target), err), AdviseConnectTimeout)
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return advise(StepConnect, fmt.Errorf("%s is unreachable: %w", target, err), AdviseFamily)
	}
	return stepErr(StepConnect, fmt.Errorf("could not connect to %s: %w", target, err), "")
}

// SplitHostPort splits an address whose port may be missing.
func SplitHostPort(addr, defPort string) (string, string, error) {
	if h, p, err := net.SplitHostPort(addr); err == nil {
		if !IsPort(p) {
			return "", "", fmt.Errorf("bad port %q: want a number from 0 to 65535", p)
		}
		return h, p, nil
	}
	if strings.Count(addr, ":") > 1 && !strings.HasPrefix(addr, "[") {
		return addr, defPort, nil
	}
	return strings.Trim(addr, "[]"), defPort, nil
}

// IsPort reports whether p is a TCP port number: decimal digits, 0 to
// 65535.
func IsPort(p string) bool {
	_, err := strconv.ParseUint(p, 10, 16)
	return err == nil
}
