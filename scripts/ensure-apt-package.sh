#!/bin/sh
# Installs Debian packages with apt-get (through sudo unless root), for the ensure-*.sh scripts once
# they found what they need missing. Without apt-get it prints the hint (what to do instead) and fails.
# Usage: sh scripts/ensure-apt-package.sh "<hint without apt-get>" <package>...
set -eu
hint="$1"
shift
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$hint" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y "$@"
