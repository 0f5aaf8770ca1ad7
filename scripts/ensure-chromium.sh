#!/bin/sh
# Makes sure a headless Chromium is installed for the @hookrun/dashboard browser tests (driven by
# playwright-core with `executablePath`; Playwright's own browser download needs network access).
# Installs Debian's `chromium-headless-shell` when it is missing. HOOKRUN_CHROMIUM names another binary.
set -eu
bin="${HOOKRUN_CHROMIUM:-/usr/bin/chromium-headless-shell}"
if [ -x "$bin" ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "$bin is missing: install a headless Chromium and set HOOKRUN_CHROMIUM to its binary" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium-headless-shell
[ -x "$bin" ]
