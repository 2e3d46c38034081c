//go:build !race

package source

// batchItems is the most steps a batch holds.
const batchItems = 1024
