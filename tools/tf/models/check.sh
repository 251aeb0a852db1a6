#!/bin/bash
# check.sh DIR [cpu|gpu]: compile DIR/model.pb (OUTS= outputs, TOL= tolerance) and check its three batches
d=$1; dev=${2:-cpu}
R=${RECOM:-$(dirname "$0")/../../../target/release/recom}
$R compile $d/model.pb -o $d/b --device $dev --outputs ${OUTS:-input_layer_output,logits,prediction} 2>&1 | sed -n 1,4p | cut -c1-300
$R inspect $d/b 2>&1 | grep -A30 "on the host" | grep "^  " | head -20 | cut -c1-400
for b in 1 37 512; do $R run $d/b --input $d/batch_b$b.npz --expected $d/batch_b$b.npz --device $dev --tolerance ${TOL:-1e-5} 2>&1 | grep -v "^wrote" | cut -c1-300; done
