package main

import (
	"io"
	"os"
	"testing"
)

// BenchmarkRead runs `tlstrace read` in process on the capture named by
// TLSTRACE_BENCH_CAPTURE, with the key log in TLSTRACE_BENCH_KEYLOG (as
// bench/read.sh leaves them with KEEP=1), so that it can be profiled with
// -cpuprofile.
func BenchmarkRead(b *testing.B) {
	capture, keys := os.Getenv("TLSTRACE_BENCH_CAPTURE"), os.Getenv("TLSTRACE_BENCH_KEYLOG")
	if capture == "" {
		b.Skip("set TLSTRACE_BENCH_CAPTURE (and TLSTRACE_BENCH_KEYLOG) to a capture made by bench/read.sh")
	}
	st, err := os.Stat(capture)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"text", "json"} {
		b.Run(mode, func(b *testing.B) {
			args := []string{"read", capture}
			if keys != "" {
				args = append(args, "--keylog", keys)
			}
			if mode == "json" {
				args = append(args, "--json")
			}
			b.SetBytes(st.Size())
			for b.Loop() {
				if code := run(args, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
		})
	}
}
