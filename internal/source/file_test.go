package source

import (
	"os"
	"slices"
	"testing"

	"github.com/tlstrace/tlstrace/internal/keylog"
	"github.com/tlstrace/tlstrace/internal/trace"
)

const td = "../../testdata/"

func readKeys(t *testing.T, name string) *keylog.Log {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	k, _, err := keylog.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestReadIllustrated(t *testing.T) {
	f, err := os.Open(td + "illustrated-tls13/capture.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var steps []string
	var data []string
	emit := func(ev *trace.Event) {
		if ev.Conn != 1 {
			t.Errorf("%s: conn %d, want 1", ev.Type, ev.Conn)
		}
		if ev.Layer == trace.LayerTLS {
			steps = append(steps, ev.From.String()+" "+ev.Type)
			if ev.Type == "application_data" {
				data = append(data, string(ev.Raw))
			}
		}
	}
	if err := Read(f, emit, Options{Keys: readKeys(t, td+"illustrated-tls13/keylog.txt")}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"client client_hello", "server server_hello", "server change_cipher_spec",
		"server encrypted_extensions", "server certificate", "server certificate_verify",
		"server finished", "client change_cipher_spec", "client finished",
		"client application_data", "server new_session_ticket", "server new_session_ticket",
		"server application_data",
	}
	if len(steps) < len(want) || !slices.Equal(steps[:len(want)], want) {
		t.Errorf("steps:\n got %q\nwant %q", steps, want)
	}
	if !slices.Equal(data, []string{"ping", "pong"}) {
		t.Errorf("application data %q, want ping, pong", data)
	}
}
