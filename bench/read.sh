#!/usr/bin/env bash
# bench/read.sh: times `tlstrace read` against tshark on a capture of more
# than 200 MB made on the spot from real peers (openssl s_server -WWW serving
# a file, curl fetching it over TLS 1.3 and TLS 1.2, dumpcap on loopback),
# interleaved, and prints the wall-time and peak-memory ratios. It also runs
# tlstrace on the first half of the capture, to show that its memory does
# not grow with the file.
#
# Needs: go, openssl, curl, dumpcap, tshark, editcap, /usr/bin/time
# (Debian: apt-get install tshark curl openssl time). Root or the
# wireshark group for capturing on lo. All traffic stays on 127.0.0.1.
#
# Usage: bash bench/read.sh [connections] [MB per connection] [rounds]
# (KEEP=1 keeps the capture and key log for profiling.)
set -euo pipefail
conns=${1:-40}
mb=${2:-5}
rounds=${3:-3}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [ -n "${KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

for cmd in go openssl curl dumpcap tshark editcap; do
	command -v "$cmd" >/dev/null || { echo "bench/read.sh: $cmd is missing" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench/read.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

echo "building tlstrace"
# Static, as the Dockerfile ships it and the other benches build it (a
# dynamically linked binary starts some 4 ms later).
CGO_ENABLED=0 go build -o "$work/tlstrace" ./cmd/tlstrace

port=$((10000 + RANDOM % 20000)) # below the ephemeral ports
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-days 2 -subj /CN=localhost 2>/dev/null
mkdir "$work/www"
head -c $((mb << 20)) /dev/urandom >"$work/www/blob"

echo "capturing $conns connections of $mb MB on 127.0.0.1:$port"
# dumpcap prints "Capturing on" before its filter is in place: send UDP
# probes until it counts one ("Packets: N" on stderr).
probe=$((10000 + RANDOM % 20000))
dumpcap -B 512 -i lo -f "tcp port $port or udp port $probe" -w "$work/cap.pcapng" 2>"$work/dumpcap.err" &
pids+=($!)
dump=$!
for _ in $(seq 200); do
	grep -q "Packets: " "$work/dumpcap.err" 2>/dev/null && break
	echo probe >"/dev/udp/127.0.0.1/$probe" 2>/dev/null || true
	sleep 0.05
done
grep -q "Packets: " "$work/dumpcap.err" || { echo "bench/read.sh: dumpcap is not capturing" >&2; cat "$work/dumpcap.err" >&2; exit 1; }
(cd "$work/www" && exec openssl s_server -quiet -accept "127.0.0.1:$port" -cert ../cert.pem -key ../key.pem -WWW \
	-naccept "$conns" >/dev/null 2>&1) &
pids+=($!)
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
# The probe above was one accepted connection.
for i in $(seq 2 "$conns"); do
	v=--tlsv1.3
	[ $((i % 2)) = 0 ] && v="--tlsv1.2 --tls-max 1.2"
	SSLKEYLOGFILE="$work/keys.txt" curl -sk $v -o /dev/null --max-time 60 "https://127.0.0.1:$port/blob"
done
sleep 0.5
kill -INT "$dump"
wait "$dump" 2>/dev/null || true
size=$(stat -c %s "$work/cap.pcapng")
echo "capture: $((size >> 20)) MB, $(wc -l <"$work/keys.txt") key log lines"
half=$(( $(tshark -r "$work/cap.pcapng" -T fields -e frame.number 2>/dev/null | tail -1) / 2 ))
editcap -r "$work/cap.pcapng" "$work/half.pcapng" "1-$half" >/dev/null

measure() { # label, command...
	local label=$1 start end
	shift
	# The wall time in milliseconds (GNU time's %e counts tens of them,
	# a tenth of a text read); it includes starting /usr/bin/time, which
	# reports the peak memory.
	start=$EPOCHREALTIME
	/usr/bin/time -f '%M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }
	end=$EPOCHREALTIME
	secs=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
	read -r kb <"$work/time"
	echo "$label $secs $kb" >>"$work/results"
	printf '%-22s %8.3f s %8d MB\n' "$label" "$secs" "$((kb >> 10))"
}

: >"$work/results"
for r in $(seq "$rounds"); do
	echo "round $r"
	measure tlstrace "$work/tlstrace" read "$work/cap.pcapng" --keylog "$work/keys.txt" --json
	measure tshark tshark -r "$work/cap.pcapng" -o "tls.keylog_file:$work/keys.txt" -Y tls.handshake
	measure tlstrace-text "$work/tlstrace" read "$work/cap.pcapng" --keylog "$work/keys.txt"
	measure tlstrace-half "$work/tlstrace" read "$work/half.pcapng" --keylog "$work/keys.txt" --json
done

# Correctness check on the way: both decoded the same handshake messages.
ours=$("$work/tlstrace" read "$work/cap.pcapng" --keylog "$work/keys.txt" --json |
	grep -c '"layer":"tls","type":"\(client_hello\|server_hello\|certificate\|finished\|new_session_ticket\|encrypted_extensions\|certificate_verify\|server_key_exchange\|client_key_exchange\|server_hello_done\)"')
theirs=$(tshark -r "$work/cap.pcapng" -o "tls.keylog_file:$work/keys.txt" -Y tls.handshake -T fields -e tls.handshake.type |
	tr ',' '\n' | grep -c .)

awk -v size="$size" -v ours="$ours" -v theirs="$theirs" '
	{ n[$1]++; t[$1] += $2; if ($3 > m[$1]) m[$1] = $3 }
	END {
		printf "\nhandshake messages: tlstrace %d, tshark %d\n", ours, theirs
		printf "%-16s %10s %10s %12s\n", "", "mean s", "MB/s", "peak RSS MB"
		for (k in n) printf "%-16s %10.3f %10.0f %12.0f\n", k, t[k]/n[k], size/1048576/(t[k]/n[k]), m[k]/1024
		printf "\ntime ratio tshark/tlstrace (json): %.1fx\n", (t["tshark"]/n["tshark"]) / (t["tlstrace"]/n["tlstrace"])
		printf "time ratio tshark/tlstrace (text): %.1fx\n", (t["tshark"]/n["tshark"]) / (t["tlstrace-text"]/n["tlstrace-text"])
		printf "peak memory ratio tshark/tlstrace: %.1fx\n", m["tshark"] / m["tlstrace"]
		printf "tlstrace peak memory, half file vs whole: %.0f MB vs %.0f MB\n", m["tlstrace-half"]/1024, m["tlstrace"]/1024
	}' "$work/results"
