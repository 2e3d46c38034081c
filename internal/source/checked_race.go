//go:build race

package source

// With the race detector, as the tests run, batches are of a few steps, so
// that a test capture makes many of them: a decoder that kept stream bytes
// past the batch that brought them finds other bytes of the file there,
// read into their chunk once it was released (capture's checked_race.go),
// and the output differs from the golden files.
const batchItems = 3
