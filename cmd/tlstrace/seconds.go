package main

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// seconds is a time limit flag (-m, --connect-timeout, --timeout) that
// takes curl's form, a number of seconds with decimals allowed ("2",
// "0.5"), as well as Go's ("2s", "500ms").
type seconds time.Duration

// maxSeconds is the largest limit: about 31 years, far below what a
// time.Duration holds.
const maxSeconds = 1e9

func (s *seconds) Set(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case math.IsNaN(f):
			return errors.New("want a number of seconds")
		case f < 0:
			return errors.New("want 0 or more seconds")
		case f > maxSeconds:
			return errors.New("want at most 1000000000 seconds (about 31 years)")
		}
		*s = seconds(f * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return errors.New(`want seconds, as curl takes them ("2", "0.5"), or a duration ("2s", "500ms")`)
	}
	if d < 0 {
		return errors.New("want 0 or more seconds")
	}
	if d > maxSeconds*time.Second {
		return errors.New("want at most 1000000000 seconds (about 31 years)")
	}
	*s = seconds(d)
	return nil
}

func (s *seconds) String() string {
	if *s == 0 {
		return "0"
	}
	return time.Duration(*s).String()
}

func (s *seconds) Type() string { return "seconds" }
