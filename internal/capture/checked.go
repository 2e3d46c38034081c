//go:build !race

package capture

// chunkSize is the size of the chunks the file is read into.
const chunkSize = 1 << 20
