# Sourced by the other scripts: `pnpm` is the pinned version, through npx when none is on PATH.
PNPM_VERSION=12.4.2
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  pnpm() { npx -y "pnpm@$PNPM_VERSION" "$@"; }
fi
