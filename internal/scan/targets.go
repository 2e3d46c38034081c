package scan

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/tlstrace/tlstrace/internal/setting"
	"github.com/tlstrace/tlstrace/internal/trace"
)

// Targets reads a list of targets, one a line: spaces around a target are
// trimmed, and blank lines and lines starting with # are skipped.
func Targets(list string) []string {
	var targets []string
	for line := range strings.Lines(list) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			targets = append(targets, line)
		}
	}
	return targets
}

// Shard is part K of N of a target list, so that N scans, with K = 1 to
// N, scan disjoint parts whose union is the list.
type Shard struct {
	K, N int
}

// ParseShard reads a shard written k/n, with 1 <= k <= n. An unusable one
// is a *setting.Error for "Shard".
func ParseShard(s string) (Shard, error) {
	ks, ns, ok := strings.Cut(s, "/")
	k, kerr := strconv.Atoi(ks)
	n, nerr := strconv.Atoi(ns)
	if !ok || kerr != nil || nerr != nil || n < 1 || k < 1 || k > n {
		return Shard{}, &setting.Error{Name: "Shard", Value: s, Err: errors.New("want k/n with 1 <= k <= n")}
	}
	return Shard{K: k, N: n}, nil
}

// Of returns the targets of the shard: those whose position in targets,
// counting from 1, is K modulo N, in their order.
func (s Shard) Of(targets []string) []string {
	var mine []string
	for i, t := range targets {
		if i%s.N == s.K-1 {
			mine = append(mine, t)
		}
	}
	return mine
}

// Events returns an Emit that gives each result of the scan of target to
// sink as an event: tlstrace's own (trace.Local), timed from the call to
// Events, with the field target, so that the events of several targets
// in one stream each say which they are about (docs/json.md).
func Events(target string, sink func(*trace.Event)) func(Payload) {
	start := time.Now()
	return func(p Payload) {
		ev := trace.NewEvent(0, trace.Local, p)
		ev.Fields.AddString("target", target)
		ev.Time = time.Now()
		ev.T = ev.Time.Sub(start).Seconds()
		sink(ev)
	}
}
