package wire

// parseBody decodes the body of a handshake message into m.
func parseBody(ctx *Context, r *reader, m *Message) {
	r.rest("body")
}
