#!/usr/bin/env bash
# The benchmark, on the GPU machine. Needs, made here beforehand (see bench/README.md):
#   bench/out/recom-bench     the lean binary (cargo build --release -p recom-bench)
#   bench/out/artifacts/<variant>/   cargo run --release -p recom --example bench_artifacts -- bench/out/artifacts [variants]
# Writes recom-<variant>.json, peers.json, gather_floor.json and report.md to $OUT (or bench/out).
set -euo pipefail
# With --recom-only, the peers are not run (for trying recom variants).
cd "$(dirname "$0")/.."
out=${OUT:-bench/out}
work=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
bench/out/recom-bench dump --out "$work"
for variant in bench/out/artifacts/*/; do
  v=$(basename "$variant")
  echo "== recom variant $v"
  bench/out/recom-bench gpu --artifacts "$variant" --out "$out/recom-$v.json"
done
if [ "${1:-}" = "--recom-only" ]; then exit 0; fi
PYTHONUNBUFFERED=1 python3 bench/peers.py --workloads "$work" --out "$out/peers.json"
# The yardstick (a Triton gather-sum, not a peer); skipped, saying why, without Triton.
yard=()
if python3 -c "import triton" 2>/dev/null; then
  PYTHONUNBUFFERED=1 python3 bench/gather_floor.py --workloads "$work" --out "$out/gather_floor.json"
  yard=("$out/gather_floor.json")
else
  echo "no Triton on this machine: the Triton gather-sum yardstick is not run"
fi
for f in "$out"/recom-*.json; do
  echo "== $(basename "$f" .json)" | tee -a "$out/report.md"
  python3 bench/report.py "$f" "$out/peers.json" "${yard[@]}" | tee -a "$out/report.md"
done
