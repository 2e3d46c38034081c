//go:build unix

package render

import (
	"os"

	"golang.org/x/sys/unix"
)

// termColumns asks the terminal behind f for its width.
func termColumns(f *os.File) int {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
