#!/usr/bin/env bash
# Refresh static/vendor from the npm registry (versions pinned in package.json).
# The copied files are committed, so `make run` needs neither npm nor internet.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp package.json "$work/"
(cd "$work" && npm install --silent --no-audit --no-fund >/dev/null)
dest=static/vendor
rm -rf "$dest"
mkdir -p "$dest/bootstrap" "$dest/bootstrap-icons/fonts" "$dest/htmx" "$dest/echarts"
# The source maps too: the minified files name them, and the production
# build (hashed static files) refuses a reference to a missing file.
cp "$work/node_modules/bootstrap/dist/css/bootstrap.min.css" "$work/node_modules/bootstrap/dist/css/bootstrap.min.css.map" "$dest/bootstrap/"
cp "$work/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js" "$work/node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map" "$dest/bootstrap/"
cp "$work/node_modules/bootstrap/LICENSE" "$dest/bootstrap/"
cp "$work/node_modules/bootstrap-icons/font/bootstrap-icons.min.css" "$dest/bootstrap-icons/"
cp "$work/node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff2" "$work/node_modules/bootstrap-icons/font/fonts/bootstrap-icons.woff" "$dest/bootstrap-icons/fonts/"
cp "$work/node_modules/bootstrap-icons/LICENSE" "$dest/bootstrap-icons/"
cp "$work/node_modules/htmx.org/dist/htmx.min.js" "$dest/htmx/"
cp "$work/node_modules/htmx.org/LICENSE" "$dest/htmx/"
cp "$work/node_modules/echarts/dist/echarts.min.js" "$work/node_modules/echarts/LICENSE" "$dest/echarts/"
# axe-core checks pages for the browser tests; it is kept out of static/ so
# no page, and no collectstatic, ever serves it.
tools=tests/browser/vendor
rm -rf "$tools"
mkdir -p "$tools/axe-core"
cp "$work/node_modules/axe-core/axe.min.js" "$work/node_modules/axe-core/LICENSE" "$tools/axe-core/"
echo "Vendored into $dest and $tools:"; find "$dest" "$tools" -type f | sort
