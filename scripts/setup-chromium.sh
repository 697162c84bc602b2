#!/usr/bin/env bash
# Debian's Chromium for the browser tests (never a browser downloaded by a test tool).
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version
