package render

import (
	"io"
	"os"
	"strconv"
)

// TerminalWidth is the width in columns to fit text written to w: the
// terminal's (COLUMNS, when set, overrides it), or 0 when w is not a
// terminal, so that what goes to a file or a pipe is never cut.
func TerminalWidth(w io.Writer) int {
	if !IsTerminal(w) {
		return 0
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return termColumns(w.(*os.File))
}
