#!/usr/bin/env bash
# System packages beyond the virtualenv, installed from Debian's packages when missing:
#   scripts/system-packages.sh COMMAND=PACKAGE ...
# A COMMAND with a slash is a file that must exist (an Apache module is no command).
# `make test` needs chromium (the browser tests) and Apache with mod_auth_openidc (the
# mod_auth_openidc relying party test), `make bench` wrk and taskset (util-linux).
set -euo pipefail
missing=()
for pair in "$@"; do
    want="${pair%%=*}"
    if [[ "$want" == */* ]]; then
        [ -e "$want" ] || missing+=("${pair#*=}")
    else
        command -v "$want" >/dev/null 2>&1 || missing+=("${pair#*=}")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing system packages: ${missing[*]} (install them with your package manager)" >&2
    exit 1
fi
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "installing system packages: ${missing[*]}"
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}
