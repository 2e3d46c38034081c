#!/usr/bin/env bash
# bench/serve.sh: full handshakes per second that `tlstrace serve --mode
# http` sustains with tracing on and off, against `openssl s_server -www`
# and nginx with the same certificate, in one run. The load is `openssl
# s_time -new` (a new connection and full handshake each time) for SECONDS
# against each server in turn, on 127.0.0.1. For tlstrace it also checks:
# zero failed handshakes, resident memory before/after, open file
# descriptors before/after.
#
# Needs: go, openssl, nginx (Debian: apt-get install openssl nginx-light).
#
# Usage: bash bench/serve.sh [SECONDS]
set -euo pipefail
secs=${1:-30}
cd "$(dirname "$0")/.."
. bench/lib.sh
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
for cmd in go openssl nginx; do
	command -v "$cmd" >/dev/null || { echo "bench/serve.sh: $cmd is missing" >&2; exit 1; }
done
CGO_ENABLED=0 go build -o "$work/tlstrace" ./cmd/tlstrace
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
port() { echo $((10000 + RANDOM % 20000)); }
load() { # label port
	local out
	out=$(openssl s_time -connect "127.0.0.1:$2" -new -time "$secs" -www / 2>&1 | grep "real seconds" | head -1)
	local n t
	n=$(echo "$out" | awk '{print $1}')
	t=$(echo "$out" | awk '{print $4}')
	awk -v l="$1" -v n="$n" -v t="$t" 'BEGIN {printf "%-22s %7d handshakes in %5.1f s: %8.1f /s\n", l, n, t, n/t}'
	awk -v n="$n" -v t="$t" 'BEGIN {print n/t}' >"$work/rate.$1"
}
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }

for mode in trace no-trace; do
	p=$(port)
	flags=()
	[ "$mode" = no-trace ] && flags=(--no-trace)
	"$work/tlstrace" serve --cert "$work/cert.pem" --key "$work/key.pem" --listen "127.0.0.1:$p" --mode http --json "${flags[@]}" \
		2>"$work/serve.err" | grep -c '"handshake_failed"' >"$work/failed.$mode" &
	sleep 0.2
	pid=$(pgrep -n -f "listen 127.0.0.1:$p")
	pids+=("$pid")
	wait_port "$p"
	r0=$(rss "$pid")
	f0=$(fds "$pid")
	load "tlstrace-$mode" "$p"
	sleep 1
	r1=$(rss "$pid")
	f1=$(fds "$pid")
	kill -INT "$pid"
	wait 2>/dev/null || true
	echo "    rss ${r0} kB -> ${r1} kB, open fds ${f0} -> ${f1}, failed handshakes $(( $(cat "$work/failed.$mode" 2>/dev/null || echo 1) - 1 )) (not counting the readiness probe)"
done

p=$(port)
(cd "$work" && exec openssl s_server -quiet -accept "127.0.0.1:$p" -cert cert.pem -key key.pem -www >/dev/null 2>&1) &
pids+=($!)
wait_port "$p"
load openssl-s_server "$p"

p=$(port)
start_nginx "$work" "$p" ssl
pids+=("$nginx_pid")
wait_port "$p"
load nginx "$p"

t=$(cat "$work/rate.tlstrace-trace")
echo
for other in tlstrace-no-trace openssl-s_server nginx; do
	awk -v t="$t" -v o="$(cat "$work/rate.$other")" -v n="$other" 'BEGIN {printf "tlstrace (tracing on) / %-18s = %.2f\n", n, t/o}'
done
echo "(target: tracing on at least 0.7 of nginx)"
