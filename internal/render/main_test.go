package render_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tlstrace/tlstrace/internal/golden"
)

// TestMain fails a full run that leaves a golden file uncompared.
func TestMain(m *testing.M) {
	os.Exit(golden.Run(m, filepath.Join("testdata", "golden")))
}
