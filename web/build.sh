#!/usr/bin/env bash
# Builds the installable web app into target/web (served by the HQ server at /app/):
# - the page: the Dioxus app (crate mandoob-mobile, bin mandoob-web) compiled to wasm;
# - its engine: the device engine in a dedicated Web Worker with SQLite on OPFS
#   (crate mandoob-web-worker);
# - each one's wasm-bindgen glue, the static files in web/static (page, manifest, icons), and
#   the service worker (web/sw.js) with the bundle's file list and a hash of all its contents
#   as its version, so that every new build is a new version the app offers to switch to.
# The bundle is assembled beside target/web and moved into place at the end, so a running
# server never serves half of a build.
# Needs the wasm32 target and wasm-bindgen-cli at the version in Cargo.lock (.ci/deps installs
# both); no `dx`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/web
next=target/web.next
wasm=target/wasm32-unknown-unknown/wasm-release
# One cargo run for both, so their shared dependencies are compiled once; the wasm-release
# profile (Cargo.toml) optimises for size.
cargo build --locked --profile wasm-release --target wasm32-unknown-unknown \
  -p mandoob-web-worker -p mandoob-mobile --lib --bin mandoob-web \
  --no-default-features --features mandoob-mobile/web
rm -rf "$next"
wasm-bindgen --target web --no-typescript --remove-producers-section --out-dir "$next" \
  "$wasm/mandoob_web_worker.wasm"
wasm-bindgen --target web --no-typescript --remove-producers-section --out-dir "$next" \
  "$wasm/mandoob-web.wasm"
# wasm-opt -Oz from npm's binaryen (`npm ci` in web/; Debian's binaryen is too old for what
# rustc emits), with the features today's browsers have and rustc uses.
if [ ! -x web/node_modules/.bin/wasm-opt ]; then (cd web && npm ci --no-audit --no-fund); fi
for f in "$next"/*_bg.wasm; do
  web/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$f" -o "$f.opt"
  mv "$f.opt" "$f"
done
cp web/static/* "$next/"

# The service worker: every file of the bundle, and their content hash (with the service
# worker's own code) as the version.
(
  cd "$next"
  files=$(find . -type f | sed 's|^\./||' | LC_ALL=C sort)
  version=$( (for f in $files; do sha256sum "$f"; done; sha256sum < ../../web/sw.js) \
    | sha256sum | cut -c1-16)
  list=$(printf '"./"'; for f in $files; do printf ', "%s"' "$f"; done)
  sed -e "s|__VERSION__|$version|" -e "s|__FILES__|[$list]|" ../../web/sw.js > sw.js
  echo "web app $version:"
)
# Precompressed copies (.gz, .br) for the server to send as they are.
node web/precompress.mjs "$next"
rm -rf "$out.old"
if [ -d "$out" ]; then mv "$out" "$out.old"; fi
mv "$next" "$out"
rm -rf "$out.old"
ls -l "$out"
