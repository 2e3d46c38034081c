#!/usr/bin/env bash
# Runs every check and test of tlstrace. Installs the test peers first when
# they are missing (Debian packages: tshark, openssl, curl, gnutls-bin,
# nginx-light, chromium, sslscan, nmap, testssl.sh, microsocks, groff, and the daemons of the
# STARTTLS tests), because the tests talk to real peers on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v dumpcap >/dev/null 2>&1 || need+=(wireshark-common)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v gnutls-cli >/dev/null 2>&1 || need+=(gnutls-bin)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -x /usr/bin/time ] || need+=(time)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v sslscan >/dev/null 2>&1 || need+=(sslscan)
command -v testssl >/dev/null 2>&1 || need+=(testssl.sh)
command -v nmap >/dev/null 2>&1 || need+=(nmap)
# groff reads the manual pages `tlstrace man` writes.
command -v groff >/dev/null 2>&1 || need+=(groff-base)
# A SOCKS5 proxy, for reading TLS through a SOCKS tunnel from a capture.
command -v microsocks >/dev/null 2>&1 || need+=(microsocks)
# The mail, file transfer, directory, chat and database daemons the
# STARTTLS tests start on 127.0.0.1 with their own configuration.
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || need+=(postfix)
[ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
[ -x /usr/lib/dovecot/pop3 ] || need+=(dovecot-pop3d)
[ -x /usr/lib/dovecot/lmtp ] || need+=(dovecot-lmtpd)
[ -x /usr/lib/dovecot/managesieve ] || need+=(dovecot-managesieved)
[ -x /usr/lib/dovecot/submission ] || need+=(dovecot-submissiond)
[ -x /usr/sbin/vsftpd ] || need+=(vsftpd)
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapsearch >/dev/null 2>&1 || need+=(ldap-utils)
command -v prosody >/dev/null 2>&1 || need+=(prosody)
command -v inspircd >/dev/null 2>&1 || need+=(inspircd)
[ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing test peers: ${need[*]}"
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install: ${need[*]}" >&2; exit 1; }
		sudo=sudo
	fi
	# The daemons' packages would start them on their public ports: a
	# policy-rc.d that refuses keeps them stopped (the tests start their
	# own), unless the machine already has one.
	policy=/usr/sbin/policy-rc.d
	made_policy=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
		$sudo chmod 755 "$policy"
		made_policy=1
	fi
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
	if [ -n "$made_policy" ]; then $sudo rm -f "$policy"; fi
fi
# The tests capture on the loopback interface with dumpcap: without root it
# needs the capture capabilities.
if [ "$(id -u)" != 0 ] && command -v dumpcap >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
	sudo setcap cap_net_raw,cap_net_admin+eip "$(command -v dumpcap)" 2>/dev/null || true
fi

echo "== gofmt"
unformatted=$(gofmt -l cmd internal)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "== go mod tidy"
go mod tidy -diff
echo "== tracked files"
# No binary or other large file is tracked outside testdata directories.
big=$(git ls-files -z 2>/dev/null | xargs -0 -r stat -c '%s %n' 2>/dev/null | awk '$1 > 1048576 && $2 !~ /(^|\/)testdata\// {print $2}')
if [ -n "$big" ]; then
	echo "files over 1 MB tracked outside testdata:"; echo "$big"; exit 1
fi
echo "== go vet"
go vet ./...
echo "== staticcheck"
go tool -modfile=tools/go.mod staticcheck ./...
echo "== go test"
go test -race -count=1 -timeout 30m ./...
