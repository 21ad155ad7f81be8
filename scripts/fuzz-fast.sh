#!/usr/bin/env bash
# The differential fuzzer (scripts/fuzz.ts) at full speed: bundled by esbuild, so tsx's
# per-function wrappers stay out of the hot path, and run with WebAssembly compiled
# eagerly (each program runs once: lazy compilation only adds a trip per function), and
# with the collector exposed (fuzz.ts runs a full collection every 1,000 programs).
# Usage: bash scripts/fuzz-fast.sh --count 1000000 --seed N --mode checked|fast --engine both
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p tmp
out="tmp/fuzz-$$.mjs"
trap 'rm -f "$out"' EXIT
node_modules/.bin/esbuild scripts/fuzz.ts --bundle --platform=node --format=esm --packages=external --log-level=warning --outfile="$out"
node --expose-gc --no-wasm-lazy-compilation "$out" "$@"
