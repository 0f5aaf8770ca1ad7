#!/bin/sh
# Makes sure `redis-server` is on PATH (the @hookrun/bullmq tests start their own on a free port
# unless REDIS_URL is set). Installs Debian's package when it is missing.
set -eu
installed() { command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; }
if installed; then
  exit 0
fi
sh "$(dirname "$0")/ensure-apt-package.sh" \
  "redis-server is not installed: install Redis (e.g. brew install redis), or set REDIS_URL to a Redis the tests may use" \
  redis-server redis-tools
installed
