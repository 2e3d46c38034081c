package client

import "strings"

// RedactURL returns target with the password of its userinfo, if it has
// one, replaced by "xxxxx", as net/url's URL.Redacted does: the user is
// shown, not the password (curl -v says which user it sends, never the
// password). The rest is kept as written, and text that does not parse
// as a URL is redacted too, so that an error quoting it does not show the
// password. The userinfo is what precedes the last "@" of the authority
// (RFC 3986, Section 3.2), the password what follows its first ":", as
// url.Parse reads them.
func RedactURL(target string) string {
	_, rest, ok := strings.Cut(target, "://")
	if !ok {
		return target
	}
	start := len(target) - len(rest)
	auth := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		auth = rest[:i]
	}
	at := strings.LastIndexByte(auth, '@')
	if at < 0 {
		return target
	}
	colon := strings.IndexByte(auth[:at], ':')
	if colon < 0 {
		return target
	}
	return target[:start+colon+1] + "xxxxx" + target[start+at:]
}
