#!/usr/bin/env bash
# recom's main job on the bundled model: installs what is missing, builds
# recom-opt, and runs the default pipeline on examples/wide_and_deep.mlir,
# printing the result. Extra arguments go to recom-opt, e.g.
#   tools/example.sh --mlir-print-ir-after-change
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cargo build --locked --quiet -p recom-opt
exec target/debug/recom-opt --pass-pipeline='builtin.module(recom-default)' examples/wide_and_deep.mlir "$@"
