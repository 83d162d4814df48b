#!/usr/bin/env bash
# Install Graphviz's `dot` (Debian's package `graphviz`), which lays out the execution report's
# graph and `baton graph --format svg` (orchestration/views/graph.py calls it through the
# PyPI `graphviz` binding).
#
#   scripts/install-graphviz.sh        # as root, or with sudo available
#
# Does nothing when `dot` is already on PATH.
set -euo pipefail

if command -v dot >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-graphviz: apt-get not found; install Graphviz so that \`dot\` is on PATH" >&2
  echo "  (macOS: brew install graphviz; Fedora: dnf install graphviz)" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-graphviz: run as root (or install sudo)" >&2; exit 1; }
  SUDO="sudo"
fi

echo "install-graphviz: installing Debian's graphviz (dot)" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends graphviz >/dev/null
dot -V
