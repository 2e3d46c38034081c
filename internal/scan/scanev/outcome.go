package scanev

// Outcome is how a probe ended.
type Outcome uint8

const (
	// Accepted: the server answered with a ServerHello or a
	// HelloRetryRequest.
	Accepted Outcome = iota + 1
	// Refused: the server sent an alert, closed the connection or sent
	// something that is not a ServerHello.
	Refused
	// TimedOut: no answer within the probe's time.
	TimedOut
	// Failed: the probe could not be made (the TCP connect failed).
	Failed
)

func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Refused:
		return "refused"
	case TimedOut:
		return "timed out"
	case Failed:
		return "failed"
	}
	return "unknown"
}
