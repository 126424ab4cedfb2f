#!/usr/bin/env bash
# Builds the web app into target/web (served by the HQ server at /app/): the device engine
# compiled to wasm for its Web Worker, its wasm-bindgen glue, and the static files in web/static.
# Needs the wasm32 target and wasm-bindgen-cli at the version in Cargo.lock (.ci/deps installs
# both); no `dx`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/web
cargo build --locked --release -p mandoob-web-worker --target wasm32-unknown-unknown
rm -rf "$out"
wasm-bindgen --target web --no-typescript --out-dir "$out" \
  target/wasm32-unknown-unknown/release/mandoob_web_worker.wasm
cp web/static/* "$out/"
ls -l "$out"
