#!/usr/bin/env bash
# Installs what building and testing dynomite_fdw needs on Debian 12, and
# nothing that is already there.  Run as root (or with sudo on the PATH).
set -euo pipefail

packages=(
	postgresql-15
	postgresql-server-dev-15
	libcurl4-openssl-dev
	libjson-c-dev
	libssl-dev
	pkg-config
	make
	gcc
	clang
	libclang-rt-14-dev
	curl
	nodejs
	npm
	openjdk-17-jre-headless
	debootstrap
	util-linux
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
# a node and npm from elsewhere on the PATH will do
if command -v node >/dev/null && command -v npm >/dev/null; then
	filtered=()
	for p in "${missing[@]}"; do
		[[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p")
	done
	missing=("${filtered[@]+"${filtered[@]}"}")
fi

if ((${#missing[@]})); then
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo="sudo"
	echo "installing: ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# the test stack: dynalite, DynamoDB Local, the signature-checking proxy, the AWS SDK
here=$(cd "$(dirname "$0")" && pwd)
if [[ ! -d "$here/node_modules" || "$here/package-lock.json" -nt "$here/node_modules" ]]; then
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
	touch "$here/node_modules"
fi
