#!/usr/bin/env bash
# Glue 6.0 runs Python 3.13. Check that Baton's code compiles under 3.13 and that what Glue installs
# with --additional-python-modules (great-expectations and its dependencies, at the versions pinned in
# requirements.lock) exists as 3.13 wheels and imports. Needs a python3.13 (PYTHON313) and the package
# registry; not part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."
py313=${PYTHON313:-python3.13}
"$py313" -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' || {
  echo "check-glue-python: set PYTHON313 to a Python 3.13 interpreter" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r baton jobs transforms quality orchestration conf "$work/"
"$py313" -m compileall -q "$work" >/dev/null
echo "check-glue-python: the code compiles under $("$py313" --version)"
.venv/bin/python - "$work/pins.txt" <<'PY'
import re
import sys
from importlib.metadata import requires

def key(name):
    return re.sub(r"[-_.]+", "-", name).lower()

lock = {key(line.split("==")[0]): line.split()[0] for line in open("requirements.lock") if "==" in line}
seen, todo = set(), ["great-expectations"]
while todo:
    name = todo.pop()
    if key(name) in seen or key(name) not in lock:
        continue  # not in the lock: a platform-only dependency such as colorama
    seen.add(key(name))
    todo += [re.match(r"[A-Za-z0-9_.-]+", r).group(0) for r in requires(name) or [] if "extra ==" not in r]
open(sys.argv[1], "w").write("\n".join(sorted(lock[k] for k in seen)) + "\n")
PY
.venv/bin/pip download --quiet --python-version 3.13 --only-binary=:all: --no-deps \
  --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 --platform any \
  -d "$work/wheels" -r "$work/pins.txt"
"$py313" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index --find-links "$work/wheels" -r "$work/pins.txt"
"$work/venv/bin/python" -c 'import great_expectations as gx; print("check-glue-python: great-expectations", gx.__version__, "imports under Python 3.13 with", sum(1 for _ in open("'"$work/pins.txt"'")), "pinned wheels")'
