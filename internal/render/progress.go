package render

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Progress shows how far a read has come on a terminal, once the read
// takes more than a second.
type Progress struct {
	w           io.Writer
	name        string
	size        int64 // 0 when unknown (a pipe)
	start, last time.Time
	shown       bool
}

// NewProgress returns the progress line of reading in (named name) on w,
// or nil when w is not a terminal.
func NewProgress(w io.Writer, name string, in io.Reader) *Progress {
	if !IsTerminal(w) {
		return nil
	}
	p := &Progress{w: w, name: name, start: time.Now()}
	if f, ok := in.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			p.size = fi.Size()
		}
	}
	return p
}

// Update shows that off bytes have been read.
func (p *Progress) Update(off int64) {
	now := time.Now()
	if now.Sub(p.start) < time.Second || now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last, p.shown = now, true
	if p.size > 0 {
		fmt.Fprintf(p.w, "\rtlstrace: reading %s: %3d%% (%d of %d MB)\x1b[K", p.name, off*100/p.size, off>>20, p.size>>20)
		return
	}
	fmt.Fprintf(p.w, "\rtlstrace: reading %s: %d MB\x1b[K", p.name, off>>20)
}

// End clears the progress line.
func (p *Progress) End() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// IsTerminal reports whether w is a terminal: a character device other
// than the null device.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}
