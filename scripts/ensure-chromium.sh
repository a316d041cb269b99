#!/usr/bin/env bash
# The end-to-end tests drive Debian's Chromium through playwright-core (never a test tool's own
# browser download). Installed here when missing, so `npm ci && npm test` works on a fresh machine.
# With it a small CJK font (fonts-wqy-microhei, 1.6 MB): the Chinese window's screenshots show
# Chinese, not empty boxes (the tests read the page's text either way).
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
cjk_font=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
missing=()
[ -x "$browser" ] || missing+=(chromium)
[ -e "$cjk_font" ] || missing+=(fonts-wqy-microhei)
if [ "${#missing[@]}" = 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} for the end-to-end tests (apt-get install)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
if [ -x "$browser" ]; then
  echo "note: no CJK font ($cjk_font): Chinese screenshots will show boxes (Debian: sudo apt-get install fonts-wqy-microhei)" >&2
  exit 0
fi
echo "the end-to-end tests need Chromium at $browser: install it (Debian: sudo apt-get install chromium) or set CHROMIUM_PATH" >&2
exit 1
