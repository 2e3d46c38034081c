//go:build race

package capture

// With the race detector, as the tests run, the file is read into tiny
// chunks, reused as soon as allowed, and released ones are overwritten: a
// handler that kept bytes past their release, or a history not copied
// before its chunk is reused, shows in the output rather than passing by
// luck because a chunk held the whole test capture.
const chunkSize = 512

const poisonReleased = true
