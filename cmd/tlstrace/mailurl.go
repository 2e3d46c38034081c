package main

import (
	"errors"
	"fmt"

	"github.com/tlstrace/tlstrace/internal/client"
)

// httpOnlyFlags are the request flags of tlstrace URL that mean nothing to
// the protocols of package starttls: tlstrace sends them nothing but their
// greeting, capabilities and quit.
var httpOnlyFlags = []string{"header", "request", "data", "output", "head", "location", "location-trusted", "max-redirs",
	"http1.1", "http2", "reconnect", "body", "user-agent"}

// conversationURL returns the conversation that a URL of a protocol of
// package starttls asks for, or nil when its scheme is none of theirs
// (client.ConversationURL), with the errors said in flags.
func conversationURL(target string, o client.URLOptions) (*client.Conversation, error) {
	conv, err := client.ConversationURL(target, o)
	var ue *client.URLError
	if errors.As(err, &ue) {
		return nil, urlFail(ue)
	}
	return conv, err
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
	case client.URLNoLogin:
		return fail(exitUsage, e, "drop -u")
	case client.URLUserForm:
		return fail(exitUsage, errors.New("-u wants USER:PASSWORD"), "")
	case client.URLLogin:
		return fail(exitUsage, fmt.Errorf("-u: %w", e.Err), "")
	}
	return fail(exitUsage, e, e.Hint)
}
