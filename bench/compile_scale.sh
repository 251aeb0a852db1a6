#!/usr/bin/env bash
# The compiler at the scale of production models, on this machine (no GPU,
# no TensorFlow): the corpus's medium model widened to ~100 .. ~1,750
# columns (recom-bench widen: every column repeated with its own inputs,
# tables and weights; 70 GraphDef nodes per column), compiled from GraphDef
# to PTX for sm_80 and sm_90 with the time of every stage and the peak
# memory, then the widened batch run on the CPU against TensorFlow's output
# repeated. Usage: [MODEL=zoo_2] bench/compile_scale.sh [copies ...]  (default 1 9 19 32)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${CORPUS:-../shared/corpus}
out=${OUT:-bench/out/compile_scale}
if [ ! -d "$corpus/${MODEL:-medium}" ]; then echo "SKIPPED: no corpus at $corpus"; exit 0; fi
cargo build --release -q -p recom-cli -p recom-bench
mkdir -p "$out"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
model=${MODEL:-medium}
for copies in "${@:-1 9 19 32}"; do
  for c in $copies; do
    dir="$out/${model}_x$((c + 1))"
    target/release/recom-bench widen --model "$corpus/$model/model.pb" --input "$corpus/$model/batch_b512.npz" --copies "$c" --out "$dir"
    /usr/bin/time -f "peak memory %M KB, wall %e s" target/release/recom compile "$dir/model.pb" --outputs input_layer_output -o "$dir/model.recom" 2>&1 | grep -E "wrote|nodes|stages|peak"
    target/release/recom run "$dir/model.recom" --device cpu --input "$dir/batch.npz" --expected "$dir/batch.npz" --tolerance 2e-6 | tail -1
  done
done
