#!/usr/bin/env bash
# Runs every test of recom: installs what is missing (tools/install-deps.sh),
# builds, then runs the unit tests, the library integration tests with their
# insta snapshots, and the lit/FileCheck suite (lit_tests/, driven by
# `cargo test -p recom-opt --test lit`), then a short coverage-guided fuzz
# run of every fuzz target (tools/fuzz/run.sh: saved regression inputs, then
# 40 s each; longer runs: `tools/fuzz/run.sh 3600`). Extra arguments go to
# `cargo test`.
#
# `--free-disk` (first argument; .ci/run passes it) removes the test build
# before the fuzz build: every binary that links MLIR is ~300 MB, the two
# builds together take ~6 GB, and a CI machine may have less free.
set -euo pipefail
cd "$(dirname "$0")/.."
free_disk=false
if [ "${1:-}" = --free-disk ]; then
  free_disk=true
  shift
fi
bash tools/install-deps.sh
cargo test --workspace --exclude recom-fuzz --locked "$@"
if $free_disk; then
  rm -rf target/debug
fi
bash tools/fuzz/run.sh 40
