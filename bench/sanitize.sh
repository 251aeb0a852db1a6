#!/usr/bin/env bash
# compute-sanitizer over every GPU kernel recom runs, on the GPU machine:
# memcheck (out-of-bounds and misaligned accesses, leaks), racecheck (shared
# memory hazards), initcheck (reads of device memory never written) and
# synccheck (barrier misuse), each on
#   * every benchmark workload (bench/out/artifacts/<variant>/, made by
#     bench_artifacts; see bench/README.md), outputs checked against the
#     reference evaluator;
#   * every compiled model in MODELS_DIR (default bench/out/dev):
#     <m>.recom with <m>-batches/batch_b37.npz, through `recom-bench
#     hostile` — the embedding kernel, cuBLASLt GEMMs and the generated
#     dense kernels on the batch and on hostile requests made from it (one
#     row, empty and 64x longer bags, ids out of range under every policy,
#     NaN/±inf/−0.0, empty and non-UTF-8 strings), each answer checked
#     against the reference path.
#   bench/sanitize.sh [MODELS_DIR]
# Needs bench/out/recom-bench (cargo build --release -p recom-bench). Writes
# one log per tool and case to $OUT (or bench/out), prints one line per tool
# and case, and exits non-zero when any tool reports an error or any answer
# differs from the reference.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench/out}
models=${1:-bench/out/dev}
bench=bench/out/recom-bench
mkdir -p "$out"
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1 || true)
if [ -z "$sanitizer" ]; then
  echo "compute-sanitizer not found: nothing checked" >&2
  exit 2
fi
# cuBLASLt for the dense layers (see bench/serve.sh): libcublasLt.so.13 where .so/.so.12 is absent.
if ! ldconfig -p | grep -q 'libcublasLt.so\(.12\)\? '; then
  lib=$( (ldconfig -p | grep -o '/[^ ]*libcublasLt.so.1[0-9]*'; find / -xdev -name 'libcublasLt.so.1[0-9]*' 2>/dev/null) | head -1)
  if [ -n "$lib" ]; then
    shim=$(mktemp -d)
    ln -s "$lib" "$shim/libcublasLt.so"
    export LD_LIBRARY_PATH="$shim:$(dirname "$lib"):${LD_LIBRARY_PATH:-}"
  fi
fi
status=0
run() { # name, command...
  local name=$1
  shift
  for tool in memcheck racecheck initcheck synccheck; do
    local log="$out/sanitize-$tool-$name.log" extra=()
    [ "$tool" = memcheck ] && extra=(--leak-check full)
    local start=$SECONDS
    if "$sanitizer" --tool "$tool" "${extra[@]}" --error-exitcode 99 "$@" >"$log" 2>&1; then
      echo "$tool $name: $(grep -E '(ERROR|RACECHECK|HAZARD) SUMMARY' "$log" | tail -1) ($((SECONDS - start)) s)"
    else
      echo "$tool $name: FAILED (see $(basename "$log"))"
      grep -E 'FAILED|Invalid|Uninitialized|Race|Barrier|ERROR SUMMARY|recom-bench:' "$log" | head -20
      status=1
    fi
  done
}
for variant in bench/out/artifacts/*/; do
  [ -d "$variant" ] || continue
  v=$(basename "$variant")
  run "workloads-$v" "$bench" gpu --artifacts "$variant" --out "$out/sanitize-$v.json" --reps 1
done
for bundle in "$models"/*.recom; do
  [ -d "$bundle" ] || continue
  m=$(basename "$bundle" .recom)
  run "model-$m" "$bench" hostile --model "$bundle" --input "$models/$m-batches/batch_b37.npz"
done
exit $status
