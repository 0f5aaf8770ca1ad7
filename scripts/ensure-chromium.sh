#!/bin/sh
# Makes sure a headless Chromium is installed for the @hookrun/dashboard browser tests (driven by
# playwright-core with `executablePath`; Playwright's own browser download needs network access).
# Installs Debian's `chromium-headless-shell` when it is missing. HOOKRUN_CHROMIUM names another binary.
set -eu
bin="${HOOKRUN_CHROMIUM:-/usr/bin/chromium-headless-shell}"
if [ -x "$bin" ]; then
  exit 0
fi
sh "$(dirname "$0")/ensure-apt-package.sh" \
  "$bin is missing: install a headless Chromium and set HOOKRUN_CHROMIUM to its binary" \
  chromium-headless-shell
[ -x "$bin" ]
