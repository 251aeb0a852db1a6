#!/usr/bin/env bash
# compute-sanitizer over the fused kernel, on the GPU machine: every benchmark
# workload run once (inputs checked against the reference evaluator) under
# memcheck (out-of-bounds and misaligned accesses, leaks), racecheck (shared
# memory hazards) and initcheck (reads of device memory never written).
# Needs the same inputs as bench/run.sh (bench/out/recom-bench and
# bench/out/artifacts/<variant>/); writes one log per tool and variant to
# $OUT (or bench/out) and exits non-zero when any tool reports an error.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-bench/out}
mkdir -p "$out"
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1 || true)
if [ -z "$sanitizer" ]; then
  echo "compute-sanitizer not found: nothing checked" >&2
  exit 2
fi
status=0
for variant in bench/out/artifacts/*/; do
  v=$(basename "$variant")
  for tool in memcheck racecheck initcheck; do
    log="$out/sanitize-$tool-$v.log"
    extra=()
    [ "$tool" = memcheck ] && extra=(--leak-check full)
    if "$sanitizer" --tool "$tool" "${extra[@]}" --error-exitcode 99 \
        bench/out/recom-bench gpu --artifacts "$variant" --out "$out/sanitize-$v.json" --reps 1 >"$log" 2>&1; then
      echo "$tool $v: $(grep -E '(ERROR|RACECHECK|HAZARD) SUMMARY' "$log" | tail -1)"
    else
      echo "$tool $v: FAILED (see $(basename "$log"))"
      tail -30 "$log"
      status=1
    fi
  done
done
exit $status
