package main

import (
	"errors"
	"fmt"
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
// package starttls asks for, or nil when its scheme is none of theirs
// (client.ConversationURL), with the errors said in flags: sslReqd is
// --ssl-reqd, httpSet the HTTP-only flags given.
//
// user is -u's USER:PASSWORD, "" when not given: the conversation logs in
// with it inside TLS.
func conversationURL(target string, sslReqd bool, httpSet []string, user string) (*client.Conversation, error) {
	conv, err := client.ConversationURL(target, client.URLOptions{Upgrade: sslReqd, HTTPOnly: httpSet})
	var ue *client.URLError
	if errors.As(err, &ue) {
		return nil, urlFail(ue)
	}
	if conv == nil || user == "" {
		return conv, err
	}
	p, err := starttls.Lookup(conv.Protocol)
	if err != nil {
		return nil, err
	}
	name, pass, ok := strings.Cut(user, ":")
	switch {
	case !p.Login:
		return nil, fail(exitUsage, fmt.Errorf("tlstrace does not log in to %s servers", p.Title), "drop -u")
	case !ok || name == "":
		return nil, fail(exitUsage, errors.New("-u wants USER:PASSWORD"), "")
	}
	conv.Credentials = &starttls.Credentials{User: name, Password: pass}
	if err := p.CheckLogin(conv.Credentials); err != nil {
		return nil, fail(exitUsage, fmt.Errorf("-u: %w", err), "")
	}
	return conv, nil
}

// urlFail is a conversation URL's usage error, with its fix in flags.
func urlFail(e *client.URLError) error {
	p := e.Protocol
	switch e.Problem {
	case client.URLUser:
		return fail(exitUsage, fmt.Errorf("%w: tlstrace takes the user from -u only, so that no password is shown in the URL", e), "remove the user from the URL and give -u USER:PASSWORD")
	case client.URLHandshakeOnly:
		return fail(exitUsage, e, "use tlstrace connect HOST:PORT --starttls "+p.Name)
	case client.URLClearText:
		hint := "add --ssl-reqd to upgrade it with the protocol's STARTTLS"
		if p.TLSScheme != "" {
			hint += fmt.Sprintf(", or use %s:// for %s in TLS from the start (port %d)", p.TLSScheme, p.Title, p.TLSPort)
		}
		return fail(exitUsage, e, hint)
	}
	return fail(exitUsage, e, e.Hint)
}
