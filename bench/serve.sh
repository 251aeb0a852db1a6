#!/usr/bin/env bash
# Whole models on the GPU machine: each bundle's outputs against TensorFlow's
# (batches 1, 37, 512), then whole requests (host inputs -> host outputs) at
# B = 1, 32, 512, 2048, beside the PyTorch peer (bench/model_peer.py) on the
# same weights and the same CSR ids. Needs, made here beforehand:
#   bench/out/recom-bench                    cargo build --release -p recom-bench
#   bench/out/serve/<model>.recom            recom compile ... -o (see bench/README.md)
#   bench/out/serve/<model>-batches/batch_b{1,37,512}.npz
# Writes serve-<model>.json, peer.json and the dump for the peer to $OUT.
# SERVE_DIR and RECOM_BENCH move those inputs; MODELS picks the bundles
# checked, TIMED those timed (default: all of MODELS); PEER=0 skips the peer.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench/out}
serve=${SERVE_DIR:-bench/out/serve}
bench=${RECOM_BENCH:-bench/out/recom-bench}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
# cuBLASLt: recom loads libcublasLt.so (or .so.12) through cudarc; on a CUDA 13
# machine only libcublasLt.so.13 may exist, e.g. in PyTorch's wheels.
found=$( (ldconfig -p | grep -o '/[^ ]*libcublasLt.so[.0-9]*' ; find / -xdev -name 'libcublasLt.so*' 2>/dev/null) | sort -u | head -20)
echo "libcublasLt found: $found"
if ! ldconfig -p | grep -q 'libcublasLt.so\(.12\)\? '; then
  lib=$(echo "$found" | grep 'libcublasLt.so.1[0-9]' | head -1)
  if [ -n "$lib" ]; then
    shim=$(mktemp -d)
    ln -s "$lib" "$shim/libcublasLt.so"
    export LD_LIBRARY_PATH="$shim:$(dirname "$lib"):${LD_LIBRARY_PATH:-}"
    echo "using $lib as libcublasLt.so"
  fi
fi
models=${MODELS:-"medium dlrm_small"}
for m in $models; do
  base=${m%_tf32}; base=${base%_bf16}
  for b in 1 37 512; do
    tol=1e-5; [ "$m" != "$base" ] && tol=0.1  # tf32/bf16 GEMMs: reported, not held to fp32
    $bench serve --model "$serve/$m.recom" --input "$serve/$base-batches/batch_b$b.npz" --batch 1 --requests 1 --tolerance $tol
  done
done
dump=$(mktemp -d)
for m in ${TIMED:-$models}; do
  base=${m%_tf32}; base=${base%_bf16}
  extra=()
  tol=0.1  # tf32/bf16 GEMMs: reported, not held to fp32
  if [ "$m" = "$base" ]; then extra=(--dump "$dump"); tol=1e-5; fi
  $bench serve --model "$serve/$m.recom" --input "$serve/$base-batches/batch_b512.npz" \
    --tolerance $tol --batch ${BATCHES:-1,32,512,2048} --concurrency ${CONCURRENCY:-1,4} --requests ${REQUESTS:-300} --out "$out/serve-$m.json" "${extra[@]}"
done
# The host+cuda_graph peer hashes strings with FarmHash (pyfarmhash, a C++
# extension): built here from its source archive where the machine has no
# package index (carried in bench/out/pydeps: `pip download pyfarmhash
# --no-binary :all: --no-deps -d bench/out/pydeps`), compiled directly.
if ! python3 -c "import farmhash" 2>/dev/null; then
  sdist=$(ls bench/out/pydeps/pyfarmhash-*.tar.gz 2>/dev/null | head -1 || true)
  if [ -n "$sdist" ]; then
    build=$(mktemp -d)
    tar xzf "$sdist" -C "$build"
    src=$(dirname "$(find "$build" -name python-farmhash.cc | head -1)")
    include=$(python3 -c "import sysconfig; print(sysconfig.get_paths()['include'])")
    suffix=$(python3 -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
    g++ -O3 -shared -fPIC -I"$include" "$src/farmhash.cc" "$src/python-farmhash.cc" -o "$build/farmhash$suffix" \
      && export PYTHONPATH="$build:${PYTHONPATH:-}" \
      || echo "pyfarmhash did not build: the host+cuda_graph peer will fail"
  fi
fi
if [ "${PEER:-1}" = 1 ] && [ -f bench/model_peer.py ] && python3 -c "import torch" 2>/dev/null; then
  PYTHONUNBUFFERED=1 python3 bench/model_peer.py --dump "$dump" --out "$out/peer.json" --requests ${REQUESTS:-300}
fi
