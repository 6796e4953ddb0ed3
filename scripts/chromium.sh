#!/usr/bin/env bash
# Makes sure Debian's chromium is there for the browser tests (Playwright drives it through
# executable_path; no browser is ever downloaded). Installs it with apt-get when missing.
# Exit 1 if it is still missing.
set -uo pipefail
CHROMIUM=${PAIDFOR_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then exit 0; fi
if command -v apt-get >/dev/null; then
  echo "installing chromium with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -x "$CHROMIUM" ]
