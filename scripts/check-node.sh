#!/usr/bin/env bash
# The CDK app (baton synth, the deployment tests) runs on jsii, which needs Node.js 18 or newer.
# Say so plainly; as root on Debian, install the distribution's nodejs.
set -euo pipefail
need=18
major() { node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
if command -v node >/dev/null 2>&1 && [ "$(major)" -ge "$need" ]; then
  exit 0
fi
found=$(command -v node >/dev/null 2>&1 && echo "Node.js $(major)" || echo "no node on PATH")
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "check-node: the CDK app needs Node.js $need+, found $found; installing nodejs" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null
  command -v node >/dev/null 2>&1 && [ "$(major)" -ge "$need" ] && exit 0
fi
echo "check-node: the CDK app (baton synth, baton deploy) needs Node.js $need or newer, found $found." >&2
echo "  Install it (Debian/Ubuntu: apt-get install nodejs; macOS: brew install node) and put node on PATH," >&2
echo "  or set JSII_NODE to the node executable." >&2
exit 1
