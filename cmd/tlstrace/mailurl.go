package main

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/tlstrace/tlstrace/internal/client"
	"github.com/tlstrace/tlstrace/internal/starttls"
)

// httpOnlyFlags are the request flags of tlstrace URL that mean nothing to
// the protocols of package starttls: tlstrace sends them nothing but their
// greeting, capabilities and quit.
var httpOnlyFlags = []string{"header", "request", "data", "output", "head", "location", "max-redirs",
	"http1.1", "http2", "reconnect", "body", "user-agent"}

// conversationURL returns the conversation that a URL of a protocol of
// package starttls asks for (imap://, smtps://, …, as curl's schemes),
// or nil when its scheme is none of theirs. A clear-text scheme without
// sslReqd is a usage error: the session would stay in clear text.
//
// user is -u's USER:PASSWORD, "" when not given: the conversation logs in
// with it inside TLS.
func conversationURL(target string, sslReqd bool, httpSet []string, user string) (*client.Conversation, error) {
	scheme, _, ok := strings.Cut(target, "://")
	if !ok {
		return nil, nil
	}
	p, implicit := starttls.ByScheme(scheme)
	if p == nil {
		return nil, nil
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return nil, fail(exitUsage, fmt.Errorf("%q names no host", target), fmt.Sprintf("write it as %s://HOST[:PORT]/", strings.ToLower(scheme)))
	}
	switch {
	case len(httpSet) > 0:
		return nil, fail(exitUsage, fmt.Errorf("%s applies to HTTP only: tlstrace sends %s servers nothing but the greeting, capabilities and quit", strings.Join(httpSet, ", "), p.Title), "drop it")
	case u.User != nil:
		return nil, fail(exitUsage, fmt.Errorf("%q names a user: tlstrace takes the user from -u only, so that no password is shown in the URL", target), "remove the user from the URL and give -u USER:PASSWORD")
	case p.After == nil:
		return nil, fail(exitUsage, fmt.Errorf("tlstrace speaks %s only up to the TLS handshake", p.Title), "use tlstrace connect HOST:PORT --starttls "+p.Name)
	case !implicit && !sslReqd:
		hint := "add --ssl-reqd to upgrade it with the protocol's STARTTLS"
		if p.TLSScheme != "" {
			hint += fmt.Sprintf(", or use %s:// for %s in TLS from the start (port %d)", p.TLSScheme, p.Title, p.TLSPort)
		}
		return nil, fail(exitUsage, fmt.Errorf("the %s session with %s would stay in clear text: tlstrace traces TLS sessions", p.Title, u.Host), hint)
	}
	var cred *starttls.Credentials
	if user != "" {
		name, pass, ok := strings.Cut(user, ":")
		switch {
		case !p.Login:
			return nil, fail(exitUsage, fmt.Errorf("tlstrace does not log in to %s servers", p.Title), "drop -u")
		case !ok || name == "":
			return nil, fail(exitUsage, errors.New("-u wants USER:PASSWORD"), "")
		}
		cred = &starttls.Credentials{User: name, Password: pass}
		if err := starttls.CheckCredentials(cred); err != nil {
			return nil, fail(exitUsage, fmt.Errorf("-u: %w", err), "")
		}
	}
	port := u.Port()
	if port == "" {
		port = strconv.Itoa(p.Port)
		if implicit {
			port = strconv.Itoa(p.TLSPort)
		}
	}
	return &client.Conversation{Host: u.Hostname(), Port: port, Protocol: p.Name, Implicit: implicit, Credentials: cred}, nil
}
