#!/usr/bin/env bash
# make-chains-ed448.sh: remakes chains-ed448.pcapng and chains/ed448-root.pem:
# openssl s_client against openssl s_server serving an Ed448 leaf issued by
# an Ed448 root (links crypto/x509 cannot check), TLS 1.2, captured with
# dumpcap on 127.0.0.1 (see README.md). Needs root or the wireshark group,
# and tlstrace built (TLSTRACE=path).
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
"$T" cert ca --cn "Ed448 Test Root CA" --key-type ed448 --not-before 2020-01-01T00:00:00Z --not-after 2040-01-01T00:00:00Z \
	-o chains/ed448-root.pem --key-out "$work/root.key" --force >/dev/null
"$T" cert new --cn localhost --san localhost --key-type ed448 --ca chains/ed448-root.pem --ca-key "$work/root.key" \
	--not-before 2026-01-01T00:00:00Z --not-after 2028-01-01T00:00:00Z -o "$work/leaf.pem" --key-out "$work/leaf.key" --force >/dev/null

port=$((20000 + RANDOM % 20000))
openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$work/leaf.pem" -key "$work/leaf.key" -www >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
dumpcap -i lo -f "tcp port $port" -w "$work/cap.pcapng" 2>"$work/dumpcap.err" &
dump=$!
pids+=($dump)
for _ in $(seq 100); do grep -q "Capturing on" "$work/dumpcap.err" 2>/dev/null && break; sleep 0.05; done
sleep 1
for name in localhost wrong.example; do
	openssl s_client -connect "127.0.0.1:$port" -servername "$name" -tls1_2 </dev/null >/dev/null 2>&1 || true
done
sleep 0.5
kill -INT "$dump"
wait "$dump" 2>/dev/null || true
cp "$work/cap.pcapng" chains-ed448.pcapng
chmod 644 chains-ed448.pcapng
