package client

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/tlstrace/tlstrace/internal/starttls"
)

// URLOptions are how a URL of a protocol of package starttls is taken.
type URLOptions struct {
	// Upgrade lets a clear-text scheme (imap://, smtp://, …) upgrade the
	// session with the protocol's STARTTLS, as curl's --ssl-reqd does;
	// without it such a URL is refused: the session would stay in clear
	// text.
	Upgrade bool
	// HTTPOnly names the HTTP request settings the caller was given, in
	// its own words: a conversation sends nothing but the greeting,
	// capabilities and quit, so any of them is refused.
	HTTPOnly []string
	// User is the login to make inside TLS, as USER:PASSWORD; "" for
	// none. Only the protocols that can log in (starttls.Protocol.Login)
	// take one.
	User string
}

// URLProblem is what makes a conversation URL one that cannot be run.
type URLProblem int

const (
	// URLNoHost: the URL names no host.
	URLNoHost URLProblem = iota + 1
	// URLHTTPOnly: HTTP request settings were given (URLOptions.HTTPOnly).
	URLHTTPOnly
	// URLUser: the URL names a user, which would show a password in it.
	URLUser
	// URLHandshakeOnly: the protocol has no dialog inside TLS
	// (starttls.Protocol.After); only its handshake can be traced.
	URLHandshakeOnly
	// URLClearText: a clear-text scheme without URLOptions.Upgrade.
	URLClearText
	// URLNoLogin: a user was given (URLOptions.User) for a protocol that
	// has no login.
	URLNoLogin
	// URLUserForm: the user given is not USER:PASSWORD with a USER.
	URLUserForm
	// URLLogin: the protocol cannot send the user given (Err says why).
	URLLogin
)

// URLError is a URL of a protocol of package starttls that cannot be run.
type URLError struct {
	URL     string
	Problem URLProblem
	// Scheme is the URL's scheme as written.
	Scheme string
	// Protocol is the scheme's protocol.
	Protocol *starttls.Protocol
	// Host is the URL's host and port as written (unless URLNoHost).
	Host string
	// Settings are the HTTP settings refused (URLHTTPOnly).
	Settings []string
	// Hint says what to do when that involves no setting ("" otherwise).
	Hint string
	// Err is why the protocol cannot send the user given (URLLogin).
	Err error
}

func (e *URLError) Error() string {
	switch e.Problem {
	case URLNoHost:
		return fmt.Sprintf("%q names no host", RedactURL(e.URL))
	case URLHTTPOnly:
		return fmt.Sprintf("%s applies to HTTP only: tlstrace sends %s servers nothing but the greeting, capabilities and quit", strings.Join(e.Settings, ", "), e.Protocol.Title)
	case URLUser:
		return fmt.Sprintf("%q names a user", RedactURL(e.URL))
	case URLHandshakeOnly:
		return fmt.Sprintf("tlstrace speaks %s only up to the TLS handshake", e.Protocol.Title)
	case URLClearText:
		return fmt.Sprintf("the %s session with %s would stay in clear text: tlstrace traces TLS sessions", e.Protocol.Title, e.Host)
	case URLNoLogin:
		return fmt.Sprintf("tlstrace does not log in to %s servers", e.Protocol.Title)
	case URLUserForm:
		return "the user wants the form USER:PASSWORD"
	case URLLogin:
		return e.Err.Error()
	}
	return fmt.Sprintf("%q cannot be run", RedactURL(e.URL))
}

func (e *URLError) Unwrap() error { return e.Err }

// ConversationURL returns the conversation that a URL of a protocol of
// package starttls asks for (imap://, smtps://, …, curl's schemes): its
// host, its port (the protocol's usual one when the URL has none) and
// whether the session starts in TLS, and the credentials of o.User. It
// returns nil, nil when the scheme is none of theirs, and a *URLError for
// a URL, or a user, that cannot be run.
func ConversationURL(target string, o URLOptions) (*Conversation, error) {
	scheme, _, ok := strings.Cut(target, "://")
	if !ok {
		return nil, nil
	}
	p, implicit := starttls.ByScheme(scheme)
	if p == nil {
		return nil, nil
	}
	e := &URLError{URL: target, Scheme: scheme, Protocol: p}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		e.Problem = URLNoHost
		e.Hint = fmt.Sprintf("write it as %s://HOST[:PORT]/", strings.ToLower(scheme))
		return nil, e
	}
	e.Host = u.Host
	switch {
	case len(o.HTTPOnly) > 0:
		e.Problem, e.Settings, e.Hint = URLHTTPOnly, o.HTTPOnly, "drop it"
	case u.User != nil:
		e.Problem = URLUser
	case p.After == nil:
		e.Problem = URLHandshakeOnly
	case !implicit && !o.Upgrade:
		e.Problem = URLClearText
	default:
		port := u.Port()
		if port == "" {
			port = strconv.Itoa(p.Port)
			if implicit {
				port = strconv.Itoa(p.TLSPort)
			}
		}
		c := &Conversation{Host: u.Hostname(), Port: port, Protocol: p.Name, Implicit: implicit}
		if o.User == "" {
			return c, nil
		}
		if c.Credentials, e.Problem, e.Err = login(p, o.User); e.Problem == 0 {
			return c, nil
		}
	}
	return nil, e
}

// login returns the credentials of user, USER:PASSWORD, for protocol p,
// or the problem that keeps p from logging in with them.
func login(p *starttls.Protocol, user string) (*starttls.Credentials, URLProblem, error) {
	name, pass, ok := strings.Cut(user, ":")
	switch {
	case !p.Login:
		return nil, URLNoLogin, nil
	case !ok || name == "":
		return nil, URLUserForm, nil
	}
	c := &starttls.Credentials{User: name, Password: pass}
	if err := p.CheckLogin(c); err != nil {
		return nil, URLLogin, err
	}
	return c, 0, nil
}
