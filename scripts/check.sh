#!/bin/sh
# The one test command (README and .ci/run): install, build, type-check, run every test.
set -eu
cd "$(dirname "$0")/.."
. scripts/pnpm.sh
export NEXT_TELEMETRY_DISABLED=1
# The BullMQ runner tests use REDIS_URL, or start their own redis-server (installed here when missing);
# the fault tests (Redis killed and restarted, a Redis Cluster) always start their own.
sh scripts/ensure-redis.sh
# The dashboard's browser tests drive a real headless Chromium (installed here when missing).
sh scripts/ensure-chromium.sh
pnpm install --frozen-lockfile
pnpm build
pnpm typecheck
pnpm lint:packages
report=$(mktemp)
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile="$report" || status=$?
# One plain closing line, whatever the reporter printed above.
node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$report" || true
rm -f "$report"
exit "$status"
