package render

import (
	"bytes"
	"os"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	if NewProgress(&bytes.Buffer{}, "x", nil) != nil {
		t.Error("progress shown on a writer that is not a terminal")
	}
	var out bytes.Buffer
	p := &Progress{w: &out, name: "cap.pcapng", size: 200 << 20, start: time.Now()}
	p.Update(10 << 20)
	if out.Len() != 0 {
		t.Errorf("progress shown within the first second: %q", out.String())
	}
	p.start = time.Now().Add(-2 * time.Second)
	p.Update(50 << 20)
	p.Update(60 << 20) // too soon after the last line
	p.End()
	want := "\rtlstrace: reading cap.pcapng:  25% (50 of 200 MB)\x1b[K\r\x1b[K"
	if out.String() != want {
		t.Errorf("progress %q, want %q", out.String(), want)
	}
	// A pipe: the megabytes read.
	out.Reset()
	p = &Progress{w: &out, name: "-", start: time.Now().Add(-2 * time.Second)}
	p.Update(3 << 20)
	if want := "\rtlstrace: reading -: 3 MB\x1b[K"; out.String() != want {
		t.Errorf("progress %q, want %q", out.String(), want)
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Errorf("%s is a terminal", os.DevNull)
	}
}

// TestScanProgress: the progress line shows once a scan has run a third
// of a second, at most every 100 ms, and is erased at the end; a short
// scan shows nothing.
func TestScanProgress(t *testing.T) {
	if NewScanProgress(&bytes.Buffer{}, "example.test:443") != nil {
		t.Error("progress shown on a writer that is not a terminal")
	}
	var b bytes.Buffer
	p := &ScanProgress{w: &b, addr: "example.test:443", start: time.Now()}
	p.Probe(1)
	p.End()
	if b.Len() != 0 {
		t.Fatalf("a short scan wrote %q", b.String())
	}
	p = &ScanProgress{w: &b, addr: "example.test:443", start: time.Now().Add(-time.Second)}
	p.Probe(7)
	p.Probe(8) // within 100 ms: not shown
	p.End()
	if want := "\r\x1b[Kscanning example.test:443: 7 probes, 1.0 s\r\x1b[K"; b.String() != want {
		t.Fatalf("progress %q, want %q", b.String(), want)
	}
}
