#!/usr/bin/env bash
# bench/html.sh: how long the HTML report of a 1,000-connection capture
# takes to open and scroll to its end in headless Chromium, and where the
# page's main thread spends it (Chrome's Performance metrics: CPU, script,
# style, layout; DOM nodes). The capture is the Illustrated TLS 1.3
# connection repeated on other client ports (bench/htmlreport).
#
# Needs: go, chromium (Debian: apt-get install chromium). Nothing goes on
# the network: the report is a file.
#
# Usage: bash bench/html.sh [connections] [runs]
set -euo pipefail
conns=${1:-1000}
runs=${2:-5}
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for cmd in go chromium; do
	command -v "$cmd" >/dev/null || { echo "bench/html.sh: $cmd is missing" >&2; exit 1; }
done
CGO_ENABLED=0 go build -o "$work/tlstrace" ./cmd/tlstrace
go run ./bench/htmlreport -tlstrace "$work/tlstrace" -n "$conns" -runs "$runs"
