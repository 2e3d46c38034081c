#!/usr/bin/env bash
# make-chains.sh: remakes chains.pcapng, chains.keylog.txt,
# chains-2020.pcapng, chains-repeat.pcapng and the chains/ CA files: TLS
# connections of openssl s_client to openssl s_server serving test CA
# chains, captured with dumpcap on 127.0.0.1 (see README.md). Needs root
# or the wireshark group, and tlstrace built (TLSTRACE=path).
set -euo pipefail
cd "$(dirname "$0")"
T=${TLSTRACE:-tlstrace}
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p chains
c=chains
new() { "$T" cert "$@" --force >/dev/null; }
# The trusted chain: root → intermediate → leaves for localhost.
new ca --cn "Chain Test Root CA" --key-type p256 --not-before 2020-01-01T00:00:00Z --not-after 2040-01-01T00:00:00Z -o $c/root.pem --key-out $work/root.key
new ca --cn "Chain Test Intermediate CA" --key-type p256 --ca $c/root.pem --ca-key $work/root.key --path-len 0 \
	--not-before 2020-01-01T00:00:00Z --not-after 2040-01-01T00:00:00Z -o $c/inter.pem --key-out $work/inter.key
leaf() { # name, not-before, not-after
	new new --cn localhost --san localhost --san 127.0.0.1 --key-type rsa2048 --ca $c/inter.pem --ca-key $work/inter.key \
		--not-before "$2" --not-after "$3" -o $work/$1.pem --key-out $work/$1.key
}
leaf good 2026-01-01T00:00:00Z 2028-01-01T00:00:00Z
leaf expired 2025-01-01T00:00:00Z 2025-06-01T00:00:00Z
leaf old 2020-01-01T00:00:00Z 2020-12-31T00:00:00Z
# A chain to a root nobody trusts.
new ca --cn "Untrusted Root CA" --key-type p256 --not-before 2020-01-01T00:00:00Z --not-after 2040-01-01T00:00:00Z -o $work/other-root.pem --key-out $work/other-root.key
new new --cn localhost --san localhost --key-type p256 --ca $work/other-root.pem --ca-key $work/other-root.key \
	--not-before 2026-01-01T00:00:00Z --not-after 2028-01-01T00:00:00Z -o $work/untrusted.pem --key-out $work/untrusted.key

base=$((20000 + RANDOM % 20000))
serve() { # port, leaf, chain file
	openssl s_server -quiet -accept "127.0.0.1:$1" -cert "$work/$2.pem" -key "$work/$2.key" -cert_chain "$3" -www >/dev/null 2>&1 &
	pids+=($!)
}
serve $base good $c/inter.pem
serve $((base + 1)) expired $c/inter.pem
serve $((base + 2)) untrusted $work/other-root.pem
serve $((base + 3)) old $c/inter.pem
for p in $base $((base + 1)) $((base + 2)) $((base + 3)); do
	for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
done

capture() { # file, port range
	dumpcap -i lo -f "tcp portrange $2" -w "$work/$1" 2>"$work/dumpcap.err" &
	dump=$!
	pids+=($dump)
	for _ in $(seq 100); do grep -q "Capturing on" "$work/dumpcap.err" 2>/dev/null && break; sleep 0.05; done
	sleep 1
}
finish() { # file
	sleep 0.5
	kill -INT "$dump"
	wait "$dump" 2>/dev/null || true
}
client() { # port, s_client options...
	local p=$1
	shift
	openssl s_client -connect "127.0.0.1:$p" "$@" </dev/null >/dev/null 2>&1 || true
}

capture chains.pcapng "$base-$((base + 2))"
client $base -servername localhost -tls1_2
client $base -servername localhost -tls1_3 -keylogfile "$work/keys.txt"
client $((base + 1)) -servername localhost -tls1_2
client $((base + 2)) -servername localhost -tls1_2
client $base -servername wrong.example -tls1_2
client $base -noservername -tls1_2
finish
cp "$work/chains.pcapng" chains.pcapng
cp "$work/keys.txt" chains.keylog.txt

capture chains-repeat.pcapng "$base-$base"
for _ in $(seq 8); do client $base -servername localhost -tls1_2; done
finish
cp "$work/chains-repeat.pcapng" chains-repeat.pcapng

# The old leaf expired on 2020-12-31: its capture is moved to 2020-06-15,
# when it was valid.
capture old.pcapng "$((base + 3))-$((base + 3))"
client $((base + 3)) -servername localhost -tls1_2
finish
first=$(tshark -r "$work/old.pcapng" -T fields -e frame.time_epoch -c 1)
editcap -t "$(echo "1592222400 - $first" | bc)" "$work/old.pcapng" chains-2020.pcapng
