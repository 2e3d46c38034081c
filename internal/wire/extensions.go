package wire

import "github.com/tlstrace/tlstrace/internal/field"

// extensions reads an extensions block (a vector with a 2-byte length) of a
// message of type mt, records each extension in a List named "extensions"
// and returns them as on the wire.
func (r *reader) extensions(ctx *Context, mt HandshakeType) ([]Extension, bool) {
	lr, ok := r.list("extensions", 2)
	if !ok {
		return nil, false
	}
	var exts []Extension
	for !lr.empty() {
		it := lr.item()
		t, ok := it.enum16("extension_type", func(v uint64) string { return ExtensionName(uint16(v)) })
		if !ok {
			lr.finish(it)
			return exts, false
		}
		data, ok := it.opaque("extension_data", 2)
		lr.finish(it)
		if !ok {
			return exts, false
		}
		exts = append(exts, Extension{Type: t, Data: data})
	}
	_ = field.Object
	return exts, true
}
