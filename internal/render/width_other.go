//go:build !unix

package render

import "os"

// termColumns is 0 where the width cannot be asked: no wrapping.
func termColumns(*os.File) int { return 0 }
