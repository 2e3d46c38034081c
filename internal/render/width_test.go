package render_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tlstrace/tlstrace/internal/render"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestTextWidth: with a width, no line of the golden session is wider,
// and the words are those of the unfitted view, in order: lines under a
// step wrap at spaces (never inside a word), and a step's own line is cut
// with "…" only at its end.
func TestTextWidth(t *testing.T) {
	events := goldenSession(t)
	render1 := func(width int, color bool) string {
		var b bytes.Buffer
		r := render.NewText(&b)
		r.Sections, r.Width, r.Color = true, width, color
		for _, ev := range events {
			r.Event(ev)
		}
		if err := r.Flush(); err != nil {
			t.Fatal(err)
		}
		return ansi.ReplaceAllString(b.String(), "")
	}
	full := render1(0, false)
	for _, width := range []int{72, 80, 100, 132} {
		for _, color := range []bool{false, true} {
			got := render1(width, color)
			wrapped := 0
			for _, line := range strings.Split(got, "\n") {
				if n := utf8.RuneCountInString(line); n > width {
					t.Errorf("width %d: a line of %d columns: %q", width, n, line)
				}
				if strings.HasPrefix(line, "        ") {
					wrapped++
				}
			}
			// A step's line is the unfitted one or its start, cut with
			// "…"; the lines under the steps hold the same text, wrapped.
			gotSteps, gotRest := split(got)
			fullSteps, fullRest := split(full)
			if len(gotSteps) != len(fullSteps) {
				t.Fatalf("width %d: %d step lines, want %d", width, len(gotSteps), len(fullSteps))
			}
			for i, l := range gotSteps {
				if l != fullSteps[i] && !(strings.HasSuffix(l, "…") && strings.HasPrefix(fullSteps[i], strings.TrimSuffix(l, "…"))) {
					t.Errorf("width %d: step line %q is not the start of %q", width, l, fullSteps[i])
				}
			}
			if gotRest != fullRest {
				t.Errorf("width %d: the lines under the steps changed their text", width)
			}
			if width <= 80 && wrapped == 0 {
				t.Errorf("width %d: nothing wrapped; the test session has long detail lines", width)
			}
		}
	}
}

// split returns the step lines of a text view (those starting with "#")
// and the text of the others without its white space and bars.
func split(s string) (steps []string, rest string) {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "#") {
			steps = append(steps, strings.TrimRight(l, " "))
			continue
		}
		// The waterfall's bars are scaled to the width.
		for _, f := range strings.Fields(strings.ReplaceAll(l, "█", "")) {
			b.WriteString(f)
		}
	}
	return steps, b.String()
}
