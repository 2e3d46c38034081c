package source

import (
	"bytes"
	"os"
	"testing"

	"github.com/tlstrace/tlstrace/internal/trace"
)

// chainsRepeat is eight connections of openssl s_client to one openssl
// s_server within two seconds: one chain, one name.
const chainsRepeat = "../../cmd/tlstrace/testdata/captures/chains-repeat.pcapng"

// TestChainsVerifiedOnce checks that a chain sent on many connections is
// verified once per second of capture time (the precision its
// explanation shows), not once per connection, and that every connection
// still gets its explanation.
func TestChainsVerifiedOnce(t *testing.T) {
	c := &Chains{}
	// A whole second is told apart from the rest of it.
	type second struct {
		unix  int64
		whole bool
	}
	seconds := map[second]bool{}
	verifies, links := 0, 0
	err := Read(bytes.NewReader(mustRead(t, chainsRepeat)), func(ev *trace.Event) {
		switch p := ev.Payload.(type) {
		case *trace.Verify:
			verifies++
			seconds[second{p.At.Unix(), p.At.Nanosecond() == 0}] = true
			if !p.At.Equal(ev.Time) || ev.Conn != verifies {
				t.Errorf("verify of conn %d at %v, event at %v", ev.Conn, p.At, ev.Time)
			}
		case *trace.Link:
			links++
		}
	}, Options{Chains: c})
	if err != nil {
		t.Fatal(err)
	}
	if verifies != 8 || links != 8*2 {
		t.Fatalf("%d verify and %d link events, want 8 and 16", verifies, links)
	}
	if c.verifications != len(seconds) || c.verifications >= verifies {
		t.Errorf("%d verifications for %d connections in %d seconds", c.verifications, verifies, len(seconds))
	}
}

// TestChainsParallel checks that the chains of a capture read on several
// workers, which share the verifications, come out as one decoder writes
// them.
func TestChainsParallel(t *testing.T) {
	b := mustRead(t, "../../cmd/tlstrace/testdata/captures/chains.pcapng")
	for name, newAppend := range renderers {
		want := sequential(t, b, Options{Chains: &Chains{}}, newAppend)
		if !bytes.Contains(want, []byte("not trusted")) {
			t.Fatalf("%s: no chain explained", name)
		}
		var got bytes.Buffer
		if err := Render(bytes.NewReader(b), &got, newAppend, Options{Chains: &Chains{}, Workers: 3}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: parallel output differs from one decoder's", name)
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
