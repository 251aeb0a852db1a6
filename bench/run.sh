#!/usr/bin/env bash
# The benchmark, on the GPU machine. Needs, made here beforehand (see bench/README.md):
#   bench/out/recom-bench     the lean binary (cargo build --release -p recom-bench)
#   bench/out/artifacts/      cargo run --release -p recom --example bench_artifacts -- bench/out/artifacts
# Writes recom.json, peers.json and report.md to $OUT (or bench/out).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench/out}
work=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
bench/out/recom-bench dump --out "$work"
bench/out/recom-bench gpu --artifacts bench/out/artifacts --out "$out/recom.json"
PYTHONUNBUFFERED=1 python3 bench/peers.py --workloads "$work" --out "$out/peers.json"
python3 bench/report.py "$out/recom.json" "$out/peers.json" | tee "$out/report.md"
