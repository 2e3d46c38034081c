package handshake

import "fmt"

// LimitError is a peer's message holding more entries than the engine
// accepts: a bound against hostile peers, below what the RFCs allow.
type LimitError struct {
	// What is counted ("cipher suites"); N is how many came, Max the
	// most accepted.
	What   string
	N, Max int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%d %s, more than the %d accepted", e.N, e.What, e.Max)
}
