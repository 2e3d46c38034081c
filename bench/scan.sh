#!/usr/bin/env bash
# bench/scan.sh: `tlstrace scan` against `nmap --script ssl-enum-ciphers`
# and `sslscan`, on the same local nginx (TLS 1.2 and 1.3, its default
# ciphers), RUNS times each, interleaved: the median wall times, the
# ratios, the peak memory of each (/usr/bin/time), and whether the three
# found the same number of suites per version. Then testssl.sh once with
# -p -e (protocols and each cipher) and once with its default run, which
# take a minute or more each, against tlstrace's median.
#
# Needs: go, openssl, nginx, nmap, sslscan, testssl (Debian's testssl.sh
# package), /usr/bin/time (Debian: apt-get install nginx-light nmap
# sslscan testssl.sh time openssl). Everything listens on 127.0.0.1.
#
# Usage: bash bench/scan.sh [RUNS]
set -euo pipefail
runs=${1:-5}
cd "$(dirname "$0")/.."
. bench/lib.sh
work=$(mktemp -d)
nginx_pid=
cleanup() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
for cmd in go openssl nginx nmap sslscan testssl /usr/bin/time; do
	command -v "$cmd" >/dev/null || { echo "bench/scan.sh: $cmd is missing" >&2; exit 1; }
done

CGO_ENABLED=0 go build -o "$work/tlstrace" ./cmd/tlstrace
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
	-days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
port=$((10000 + RANDOM % 20000)) # below the ephemeral ports
start_nginx "$work" "$port" "ssl"
wait_port "$port"
addr="127.0.0.1:$port"

# timed NAME CMD...: runs CMD, appends "NAME wall_us max_rss_kb" to t.txt.
timed() {
	local name=$1
	shift
	local s e
	s=$(date +%s%N)
	/usr/bin/time -f %M -o "$work/rss" "$@" >"$work/$name.out" 2>/dev/null
	e=$(date +%s%N)
	echo "$name $(((e - s) / 1000)) $(cat "$work/rss")" >>"$work/t.txt"
}
: >"$work/t.txt"
echo "== $runs runs each against nginx on $addr, interleaved"
for _ in $(seq "$runs"); do
	timed tlstrace "$work/tlstrace" scan "$addr" --json
	timed nmap nmap -Pn -n -p "$port" --script ssl-enum-ciphers 127.0.0.1
	timed sslscan sslscan --no-colour "$addr"
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for n in tlstrace nmap sslscan; do
	w=$(awk -v n="$n" '$1 == n {print $2}' "$work/t.txt" | median)
	m=$(awk -v n="$n" '$1 == n {print $3}' "$work/t.txt" | sort -n | tail -1)
	printf '%-9s %8.1f ms (median)  peak RSS %6d KB\n' "$n" "$(echo "$w" | awk '{print $1/1000}')" "$m"
	eval "wall_$n=$w"
done
awk -v t="$wall_tlstrace" -v n="$wall_nmap" -v s="$wall_sslscan" 'BEGIN {
	printf "nmap/tlstrace = %.1f (target at least 2), sslscan/tlstrace = %.1f\n", n/t, s/t }'

echo "== suites found per version (last run)"
for v in "TLS 1.2:771:TLSv1.2" "TLS 1.3:772:TLSv1.3"; do
	IFS=: read -r name num sv <<<"$v"
	t=$(grep -c "\"type\":\"suite_accepted\".*\"version\":{\"name\":\"$name\",\"value\":$num}" "$work/tlstrace.out" || true)
	s=$(grep -c "^\(Preferred\|Accepted\) *$sv " "$work/sslscan.out" || true)
	n=$(awk -v sv="$sv:" '/^[|_]   [A-Za-z]/ {on = ($2 == sv); next} on && /^[|_]       TLS_/ {c++} END {print c+0}' "$work/nmap.out")
	echo "$name: tlstrace $t, sslscan $s, nmap $n"
done

echo "== testssl.sh, once each (its default run checks vulnerabilities too)"
timed testssl_pe testssl --quiet --color 0 --warnings off -p -e "$addr"
timed testssl_all testssl --quiet --color 0 --warnings off "$addr"
for n in testssl_pe testssl_all; do
	w=$(awk -v n="$n" '$1 == n {print $2}' "$work/t.txt")
	m=$(awk -v n="$n" '$1 == n {print $3}' "$work/t.txt")
	printf '%-12s %9.1f ms  peak RSS %6d KB  = %.0f x tlstrace scan\n' "$n" "$(echo "$w" | awk '{print $1/1000}')" "$m" "$(awk -v w="$w" -v t="$wall_tlstrace" 'BEGIN {print w/t}')"
done
echo "(target: testssl.sh's default run at least 30 x tlstrace scan)"
