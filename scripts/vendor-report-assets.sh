#!/usr/bin/env bash
# Vendor the CSS/JS/fonts that Great Expectations' Data Docs pages load from CDNs into
# quality/report_assets/vendor/, so quality.report can publish pages that work offline.
#
#   scripts/vendor-report-assets.sh            # re-create quality/report_assets/vendor/
#
# Each package is fetched with `npm pack` at the exact version GE 1.24's templates
# (great_expectations/render/view/templates/*.j2) link to; only the files those pages use are
# copied, with the package's licence. The CDN URLs GE links to float for vega (vega@5,
# vega-lite@5, vega-embed@6); they are pinned here to the newest release of that major.
# Afterwards the sha384 of every file GE links with an integrity attribute is checked.
# Keep quality/report_assets/README.md and VENDORED in quality/report_offline.py in step with this list.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/quality/report_assets/vendor"

# npm spec | folder under vendor/ | files of the package to copy (npm paths) | licence file
PACKAGES=(
  "bootstrap@4.3.1|bootstrap@4.3.1|dist/css/bootstrap.min.css dist/js/bootstrap.min.js|LICENSE"
  "jquery@3.7.1|jquery@3.7.1|dist/jquery.min.js|LICENSE.txt"
  "popper.js@1.12.9|popper.js@1.12.9|dist/umd/popper.min.js|-"
  "bootstrap-table@1.19.1|bootstrap-table@1.19.1|dist/bootstrap-table.min.css dist/bootstrap-table.min.js dist/extensions/filter-control/bootstrap-table-filter-control.min.js|LICENSE"
  "bootstrap-table@1.19.0|bootstrap-table@1.19.0|dist/extensions/filter-control/bootstrap-table-filter-control.css dist/extensions/filter-control/bootstrap-table-filter-control.min.css|LICENSE"
  "bootstrap-datepicker@1.9.0|bootstrap-datepicker@1.9.0|dist/css/bootstrap-datepicker.min.css dist/js/bootstrap-datepicker.min.js|LICENSE"
  "@forevolve/bootstrap-dark@1.1.0|bootstrap-dark@1.1.0|dist/css/bootstrap-prefers-dark.min.css|LICENSE"
  "@fortawesome/fontawesome-free@6.6.0|fontawesome-free@6.6.0|css/all.min.css webfonts/fa-solid-900.woff2|LICENSE.txt"
  "vega@5.33.1|vega@5.33.1|build/vega.min.js|-"
  "vega-lite@5.23.0|vega-lite@5.23.0|build/vega-lite.min.js|LICENSE"
  "vega-embed@6.29.0|vega-embed@6.29.0|build/vega-embed.min.js|LICENSE"
)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Unpack one package tarball from the npm registry into $WORK/<folder>/package.
fetch() {
  local spec="$1" folder="$2"
  mkdir -p "$WORK/$folder"
  local tarball
  tarball="$(cd "$WORK/$folder" && npm pack --silent "$spec" 2>/dev/null | tail -n 1)"
  tar -xzf "$WORK/$folder/$tarball" -C "$WORK/$folder"
}

# Copy the listed files (keeping their npm paths) and the licence of one package.
copy_files() {
  local folder="$1" files="$2" licence="$3" file
  for file in $files; do
    install -D -m 0644 "$WORK/$folder/package/$file" "$DEST/$folder/$file"
  done
  if [ "$licence" != "-" ]; then
    install -m 0644 "$WORK/$folder/package/$licence" "$DEST/$folder/$licence"
  fi
}

# popper.js 1.12.9 and vega 5.33.1 ship no licence file: write the one their headers and package.json name.
write_missing_licences() {
  cat > "$DEST/popper.js@1.12.9/LICENSE" <<'EOF'
The MIT License (MIT)

Copyright (C) Federico Zivolo 2017

(popper.js 1.12.9 ships no licence file; dist/umd/popper.min.js says "Distributed under the
MIT License" and package.json says "license": "MIT". This is the MIT License text.)

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
EOF
  {
    echo "Copyright (c) 2015-2023, University of Washington Interactive Data Lab"
    echo
    echo "(vega 5.33.1 ships no licence file; package.json says \"license\": \"BSD-3-Clause\"."
    echo "This is the BSD-3-Clause text of its sibling vega-lite, from the same authors.)"
    tail -n +2 "$WORK/vega-lite@5.23.0/package/LICENSE"
  } > "$DEST/vega@5.33.1/LICENSE"
}

# GE's js_script_imports.j2 pins two files by sha384: the vendored copies must be those bytes.
check_integrity() {
  local file="$1" expected="$2" actual
  actual="sha384-$(openssl dgst -sha384 -binary "$DEST/$file" | base64 -w0)"
  if [ "$actual" != "$expected" ]; then
    echo "vendor-report-assets: $file has $actual, GE's template expects $expected" >&2
    exit 1
  fi
}

main() {
  command -v npm >/dev/null || { echo "vendor-report-assets: npm is required" >&2; exit 1; }
  rm -rf "$DEST"
  local entry spec folder files licence
  for entry in "${PACKAGES[@]}"; do
    IFS='|' read -r spec folder files licence <<<"$entry"
    echo "vendor-report-assets: $spec"
    fetch "$spec" "$folder"
    copy_files "$folder" "$files" "$licence"
  done
  write_missing_licences
  check_integrity "popper.js@1.12.9/dist/umd/popper.min.js" \
    "sha384-ApNbgh9B+Y1QKtv3Rn7W3mgPxhU9K/ScQsAP7hUibX39j7fakFPskvXusvfa0b4Q"
  check_integrity "bootstrap@4.3.1/dist/js/bootstrap.min.js" \
    "sha384-JjSmVgyd0p3pXB1rRibZUAYoIIy6OrQ6VrjIEaFf/nJGzIxFDsf4x0xIM+B07jRM"
  (cd "$DEST" && find . -type f | sort | xargs du -b | sed 's|\./||')
  du -sb "$DEST"
}

main "$@"
