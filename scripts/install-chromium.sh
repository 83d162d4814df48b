#!/usr/bin/env bash
# Install headless Chromium (Debian's package `chromium`, /usr/bin/chromium), which
# tests/test_report_offline.py uses to load the quality report with the network blocked.
#
#   scripts/install-chromium.sh        # as root, or with sudo available
#
# Does nothing when /usr/bin/chromium already exists.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "install-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium) already installed"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "install-chromium: apt-get not found; install Chromium so that /usr/bin/chromium exists" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-chromium: run as root (or install sudo)" >&2; exit 1; }
  SUDO="sudo"
fi

$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends chromium
/usr/bin/chromium --version
