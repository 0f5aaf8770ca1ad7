#!/bin/sh
# Makes sure `redis-server` is on PATH (the @hookrun/bullmq tests start their own on a free port
# unless REDIS_URL is set). Installs Debian's package when it is missing.
set -eu
if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is not installed: install Redis (e.g. brew install redis), or set REDIS_URL to a Redis the tests may use" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y redis-server redis-tools
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1
