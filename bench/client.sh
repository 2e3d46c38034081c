#!/usr/bin/env bash
# bench/client.sh: what tracing costs the client, measured two ways in one
# run.
#  1. Go benchmarks: an HTTPS request (new connection, full handshake) to an
#     in-process server through tlstrace's tap and decoder, against plain
#     crypto/tls and net/http; prints the overhead.
#  2. Whole processes: `tlstrace URL` against `curl -s -o /dev/null URL` on
#     an nginx on 127.0.0.1, interleaved, RUNS times each; prints the
#     median wall times and their ratio.
#
# Needs: go, openssl, curl, nginx (Debian: apt-get install nginx-light curl
# openssl). Everything listens on 127.0.0.1.
#
# Usage: bash bench/client.sh [RUNS]
set -euo pipefail
runs=${1:-50}
cd "$(dirname "$0")/.."
. bench/lib.sh
work=$(mktemp -d)
nginx_pid=
cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
for cmd in go openssl curl nginx; do
	command -v "$cmd" >/dev/null || { echo "bench/client.sh: $cmd is missing" >&2; exit 1; }
done

echo "== Go benchmarks (in process, 3 s each)"
go test -run XXX -bench 'TracedRequest|PlainRequest' -benchtime 3s -count 3 ./internal/client | tee "$work/bench.txt" | grep Benchmark
awk '/BenchmarkTracedRequest/ {t+=$3; nt++} /BenchmarkPlainRequest/ {p+=$3; np++}
	END {printf "traced %.0f ns/op, plain %.0f ns/op: overhead %.1f%% (target at most 10%%)\n", t/nt, p/np, (t/nt)/(p/np)*100-100}' "$work/bench.txt"

echo "== whole process against nginx, $runs runs each, interleaved"
CGO_ENABLED=0 go build -o "$work/tlstrace" ./cmd/tlstrace
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
port=$((10000 + RANDOM % 20000)) # below the ephemeral ports
start_nginx "$work" "$port" "ssl http2"
for _ in $(seq 50); do curl -s -o /dev/null --cacert "$work/cert.pem" "https://localhost:$port/" && break; sleep 0.1; done
url="https://localhost:$port/"
: >"$work/t.txt"
for i in $(seq "$runs"); do
	s=$(date +%s%N)
	"$work/tlstrace" "$url" --cacert "$work/cert.pem" >/dev/null
	m=$(date +%s%N)
	curl -s -o /dev/null --cacert "$work/cert.pem" "$url"
	e=$(date +%s%N)
	echo "$(( (m - s) / 1000 )) $(( (e - m) / 1000 ))" >>"$work/t.txt"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
tt=$(cut -d' ' -f1 "$work/t.txt" | median)
ct=$(cut -d' ' -f2 "$work/t.txt" | median)
awk -v t="$tt" -v c="$ct" 'BEGIN {printf "tlstrace URL %.2f ms, curl %.2f ms (medians): tlstrace/curl = %.2f (target at most 1)\n", t/1000, c/1000, t/c}'
