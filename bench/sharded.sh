#!/usr/bin/env bash
# The benchmark of tables beyond one GPU, on the GPU machine. Needs, made on the
# build machine beforehand (see bench/README.md):
#   bench/out/recom-bench          cargo build --release -p recom-bench
#   bench/out/beyond/*.json        cargo run --release -p recom --example bench_artifacts -- bench/out/beyond --beyond 180:2
#                                  cargo run --release -p recom --example bench_artifacts -- bench/out/beyond --beyond 90:1
# The 180 GiB model is more than one H100/H200 holds: it runs only where two GPUs
# are present (its half on one GPU always runs, as the comparison). Tables are made
# on the GPUs (nothing large crosses the bus). Writes beyond-*.json to $OUT (or bench/out).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench/out}
B=bench/out/recom-bench
gpus=$(nvidia-smi --query-gpu=name --format=csv,noheader | wc -l)
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
echo "== half the tables (90 GiB) on one GPU"
$B sharded --artifact bench/out/beyond/beyond_90gib_1gpu.json --out "$out/beyond-90gib-1gpu.json"
if [ "$gpus" -ge 2 ]; then
  echo "== 180 GiB of tables on two GPUs (NCCL onto GPU 0)"
  $B sharded --artifact bench/out/beyond/beyond_180gib_2gpu.json --devices 0,1 --out "$out/beyond-180gib-2gpu.json"
else
  echo "== 180 GiB on two GPUs: NOT RUN, this machine has $gpus GPU (what loading it here says:)"
  $B sharded --artifact bench/out/beyond/beyond_180gib_2gpu.json --batch 32 --requests 1 || true
fi
