#!/usr/bin/env bash
# Runs every test of recom: installs what is missing (tools/install-deps.sh),
# builds, then runs the unit tests, the library integration tests with their
# insta snapshots, and the lit/FileCheck suite (lit_tests/, driven by
# `cargo test -p recom-opt --test lit`), then a short coverage-guided fuzz
# run of every fuzz target (tools/fuzz/run.sh: saved regression inputs, then
# 40 s each; longer runs: `tools/fuzz/run.sh 3600`). Extra arguments go to
# `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cargo test --workspace --exclude recom-fuzz --locked "$@"
bash tools/fuzz/run.sh 40
