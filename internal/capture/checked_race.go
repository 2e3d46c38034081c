//go:build race

package capture

// With the race detector, as the tests run, the file is read into tiny
// chunks, reused as soon as allowed: a handler that kept bytes past their
// release, or a history not copied before its chunk is reused, finds other
// bytes of the file there, and the output differs, instead of passing by
// luck because one chunk held the whole test capture.
const chunkSize = 512
