package client

import (
	"cmp"
	"net/netip"
	"strings"

	"github.com/tlstrace/tlstrace/internal/setting"
)

// ResolveEntry is one of curl's --resolve entries, HOST:PORT:ADDR[,ADDR]:
// the addresses to connect to instead of looking HOST up, for PORT.
type ResolveEntry struct {
	// Host is in lower case (curl compares host names without case);
	// "*" is any host.
	Host, Port string
	// Addrs are IP addresses, IPv6 ones without brackets.
	Addrs []string
}

// ConnectToEntry is one of curl's --connect-to entries,
// HOST1:PORT1:HOST2:PORT2: a connection to HOST1:PORT1 goes to
// HOST2:PORT2 instead, the name kept for TLS and HTTP.
type ConnectToEntry struct {
	// Host and Port are what it applies to, "" any; Host in lower case.
	Host, Port string
	// ToHost and ToPort are where to connect, "" the original host or
	// port.
	ToHost, ToPort string
}

// parseResolve reads a --resolve entry as curl does: HOST:PORT:ADDR[,ADDR],
// HOST "*" for any host, each ADDR an IP address (IPv6 ones may be in
// brackets). curl's "+" prefix (entries that time out) changes nothing in
// a run; an entry with the "-" prefix, -HOST:PORT, removes those before
// it (remove is true). What curl refuses ("Couldn't parse CURLOPT_RESOLVE
// entry") is an error: a missing part, a port that is not one, an
// address that is not an IP address (curl looks up no name there).
func parseResolve(s string) (e ResolveEntry, remove bool, err error) {
	bad := func(format string, args ...any) (ResolveEntry, bool, error) {
		return ResolveEntry{}, false, setting.Errorf("Resolve", s, format, args...)
	}
	rest := strings.TrimPrefix(s, "+")
	if r, ok := strings.CutPrefix(rest, "-"); ok {
		rest, remove = r, true
	}
	host, rest, ok := cutHost(rest)
	if !ok || host == "" {
		return bad("want HOST:PORT:ADDRESS[,ADDRESS]")
	}
	port, addrs, ok := strings.Cut(rest, ":")
	if remove {
		port = rest
	}
	if !IsPort(port) {
		return bad("bad port %q: want a number from 0 to 65535", port)
	}
	e = ResolveEntry{Host: strings.ToLower(host), Port: port}
	if remove {
		return e, true, nil
	}
	if !ok {
		return bad("want HOST:PORT:ADDRESS[,ADDRESS]")
	}
	for _, a := range strings.Split(addrs, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		bare := a
		if strings.HasPrefix(a, "[") {
			if !strings.HasSuffix(a, "]") {
				return bad("%q is not an IP address", a)
			}
			bare = a[1 : len(a)-1]
		}
		ip, err := netip.ParseAddr(bare)
		if err != nil || ip.Zone() != "" {
			return bad("%q is not an IP address (the addresses are used as given, not looked up)", a)
		}
		e.Addrs = append(e.Addrs, ip.Unmap().String())
	}
	if len(e.Addrs) == 0 {
		return bad("no address: want HOST:PORT:ADDRESS[,ADDRESS]")
	}
	return e, false, nil
}

// parseConnectTo reads a --connect-to entry, HOST1:PORT1:HOST2:PORT2, as
// curl does: any part may be empty (HOST1 or PORT1: any; HOST2 or PORT2:
// the original), a host may be an IPv6 address in brackets. A port that
// is not a number is an error (curl ignores such a PORT1, and refuses
// such a PORT2).
func parseConnectTo(s string) (ConnectToEntry, error) {
	bad := func(format string, args ...any) (ConnectToEntry, error) {
		return ConnectToEntry{}, setting.Errorf("ConnectTo", s, format, args...)
	}
	host, rest, ok := cutHost(s)
	if !ok {
		return bad("want HOST1:PORT1:HOST2:PORT2")
	}
	port, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return bad("want HOST1:PORT1:HOST2:PORT2")
	}
	toHost, toPort, ok := cutHost(rest)
	if !ok {
		return bad("want HOST1:PORT1:HOST2:PORT2")
	}
	for _, p := range []string{port, toPort} {
		if p != "" && !IsPort(p) {
			return bad("bad port %q: want a number from 0 to 65535", p)
		}
	}
	return ConnectToEntry{Host: strings.ToLower(host), Port: port, ToHost: toHost, ToPort: toPort}, nil
}

// cutHost cuts s at the first ':' after its host, which may be an IPv6
// address in brackets (returned without them).
func cutHost(s string) (host, rest string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 || !strings.HasPrefix(s[end+1:], ":") {
			return "", "", false
		}
		return s[1:end], s[end+2:], true
	}
	return strings.Cut(s, ":")
}

// resolved returns the addresses n gives for host and port instead of
// DNS: the last entry for that host and port (host compared without
// case), else the last for any host ("*") and that port, as curl takes
// them.
func (n *Network) resolved(host, port string) ([]string, bool) {
	h := strings.ToLower(strings.Trim(host, "[]"))
	var any []string
	for i := len(n.Resolve) - 1; i >= 0; i-- {
		e := n.Resolve[i]
		if e.Port != port {
			continue
		}
		if e.Host == h {
			return e.Addrs, true
		}
		if e.Host == "*" && any == nil {
			any = e.Addrs
		}
	}
	return any, any != nil
}

// connectTo returns where n sends a connection to host and port: the
// first entry that matches them (host compared without case, an empty
// host or port matching any), as curl takes them.
func (n *Network) connectTo(host, port string) (string, string, bool) {
	h := strings.ToLower(strings.Trim(host, "[]"))
	for _, e := range n.ConnectTo {
		if (e.Host == "" || e.Host == h) && (e.Port == "" || e.Port == port) {
			return cmp.Or(e.ToHost, host), cmp.Or(e.ToPort, port), true
		}
	}
	return host, port, false
}
