#!/usr/bin/env bash
# recom's main job, end to end on the bundled TensorFlow model
# (examples/medium: 53 feature columns + a DNN head): installs what is
# missing, builds the `recom` command, compiles the model into one fused
# embedding kernel plus its dense layers, runs the bundled batch on the GPU
# if one is present (else on the CPU) beside TensorFlow's outputs, and
# times whole requests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cargo build --locked --release --quiet -p recom-cli
recom=target/release/recom
model=examples/medium
out=target/examples/medium.recom

echo "== compile: $model/model.pb"
$recom compile $model/model.pb --outputs input_layer_output,logits,prediction -o $out
echo
echo "== run: $model/batch_b37.npz, against TensorFlow's outputs"
$recom run $out --input $model/batch_b37.npz --expected $model/batch_b37.npz --tolerance 1e-5
echo
echo "== bench: whole requests (host inputs -> host outputs)"
$recom bench $out --input $model/batch_b37.npz --batch 1,37,512 --requests 100
python3 - "$model/timing_onednn_default.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
rows = ", ".join(f"B={b}: {v['median_ms']:.2f} ms" for b, v in t["per_batch"].items())
print(f"TensorFlow {t['env']['tf_version']} on the CPU ({t['env']['cpu_count']} cores), median per batch: {rows}")
PY
