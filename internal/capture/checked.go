//go:build !race

package capture

// chunkSize is the size of the chunks the file is read into.
const chunkSize = 1 << 20

// poisonReleased overwrites the chunks a Retainer releases (checked_race.go).
const poisonReleased = false
