#!/bin/sh
# Install, build, and start the Express example (PORT, HOOKRUN_WEBHOOK_ID, HOOKRUN_WEBHOOK_TOKEN).
set -eu
cd "$(dirname "$0")/.."
. scripts/pnpm.sh
pnpm install --frozen-lockfile
pnpm build
exec pnpm --filter @hookrun-examples/express start
