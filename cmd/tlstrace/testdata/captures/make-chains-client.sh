#!/usr/bin/env bash
# make-chains-client.sh: remakes chains-client.pcapng and
# chains/client-root.pem: openssl s_client sending a client certificate to
# openssl s_server -verify, TLS 1.2, captured with dumpcap on 127.0.0.1
# (see README.md). Needs root or the wireshark group, and tlstrace built
# (TLSTRACE=path).
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
new() { "$T" cert "$@" --force >/dev/null; }
new ca --cn "Client Test Root CA" --key-type p256 --not-before 2020-01-01T00:00:00Z --not-after 2040-01-01T00:00:00Z \
	-o chains/client-root.pem --key-out "$work/root.key"
new new --cn alice --profile client --key-type p256 --ca chains/client-root.pem --ca-key "$work/root.key" \
	--not-before 2026-01-01T00:00:00Z --not-after 2028-01-01T00:00:00Z -o "$work/alice.pem" --key-out "$work/alice.key"
new new --cn mallory --profile client --key-type p256 \
	--not-before 2026-01-01T00:00:00Z --not-after 2028-01-01T00:00:00Z -o "$work/mallory.pem" --key-out "$work/mallory.key"
new new --cn localhost --san localhost --key-type p256 -o "$work/server.pem" --key-out "$work/server.key"

port=$((20000 + RANDOM % 20000))
# -verify asks for a certificate and goes on whatever it is.
openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$work/server.pem" -key "$work/server.key" \
	-verify 2 -CAfile chains/client-root.pem -www >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
dumpcap -i lo -f "tcp port $port" -w "$work/cap.pcapng" 2>"$work/dumpcap.err" &
dump=$!
pids+=($dump)
for _ in $(seq 100); do grep -q "Capturing on" "$work/dumpcap.err" 2>/dev/null && break; sleep 0.05; done
sleep 1
for who in alice mallory; do
	openssl s_client -connect "127.0.0.1:$port" -servername localhost -tls1_2 \
		-cert "$work/$who.pem" -key "$work/$who.key" </dev/null >/dev/null 2>&1 || true
done
sleep 0.5
kill -INT "$dump"
wait "$dump" 2>/dev/null || true
cp "$work/cap.pcapng" chains-client.pcapng
chmod 644 chains-client.pcapng
