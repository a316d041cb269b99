#!/usr/bin/env bash
# The end-to-end tests drive Debian's Chromium through playwright-core (never a test tool's own
# browser download). Installed here when missing, so `npm ci && npm test` works on a fresh machine.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Chromium for the end-to-end tests (apt-get install chromium)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "the end-to-end tests need Chromium at $browser: install it (Debian: sudo apt-get install chromium) or set CHROMIUM_PATH" >&2
exit 1
