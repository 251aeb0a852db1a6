#!/usr/bin/env bash
# Coverage-guided fuzzing of recom with libFuzzer on stable Rust.
#
#   tools/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets (tools/fuzz/src/targets/, all in one binary, recom-fuzz):
# graphdef (GraphDef bytes -> compile), artifact (bundle files -> load ->
# run), request (request bytes -> run on the CPU). Builds it instrumented
# (rustc-sancov.sh, profile `fuzz`, target/fuzz), writes seeds from the bundled example and, when present,
# ../shared/corpus, replays every saved regression input
# (tools/fuzz/regressions/<target>/), then fuzzes each target for
# SECONDS_PER_TARGET (default 60) and prints executions and coverage.
# A crash, a timeout (> 60 s for one input), an out-of-memory (> 4 GiB) or
# a leak of the process exits non-zero; the input is kept under
# target/fuzz/findings/<target>/ (copy it to regressions/ once fixed).
# The corpus grows across runs in target/fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(graphdef artifact request)

RUSTC_WRAPPER="$PWD/tools/fuzz/rustc-sancov.sh" cargo build --locked -p recom-fuzz --profile fuzz --target-dir target/fuzz
fuzz=target/fuzz/fuzz/recom-fuzz
work=target/fuzz
# The targets' scratch files (a bundle per input) go to a RAM disk if any.
TMPDIR=$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/recom-fuzz.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
corpus=../shared/corpus
if [ -d "$corpus" ]; then
  "$fuzz" seeds "$work/seeds.$$" "$corpus"
else
  echo "fuzz: ../shared/corpus is absent: seeds come from the bundled example only"
  "$fuzz" seeds "$work/seeds.$$"
fi
rm -rf "$work/seeds" && mv "$work/seeds.$$" "$work/seeds"

status=0
for t in "${targets[@]}"; do
  case $t in graphdef|artifact|request) ;; *) echo "fuzz: unknown target '$t' (graphdef, artifact, request)"; exit 2 ;; esac
  mkdir -p "$work/corpus/$t" "$work/findings/$t"
  common=(-rss_limit_mb=4096 -timeout=60 -print_final_stats=1)
  # Inputs that crashed once stay fixed.
  regressions=(tools/fuzz/regressions/"$t"/*)
  if [ -e "${regressions[0]}" ]; then
    if ! "$fuzz" "$t" "${common[@]}" "${regressions[@]}" >"$work/$t-regressions.log" 2>&1; then
      echo "fuzz $t: a saved regression input fails again:"
      tail -40 "$work/$t-regressions.log"
      status=1
      continue
    fi
    echo "fuzz $t: ${#regressions[@]} regression inputs pass"
  fi
  log="$work/$t.log"
  if "$fuzz" "$t" "${common[@]}" -max_total_time="$seconds" -artifact_prefix="$work/findings/$t/" \
      "$work/corpus/$t" "$work/seeds/$t" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|INITED)' "$log" | tail -1 | grep -o 'cov: [0-9]* ft: [0-9]*' || echo '?')
    echo "fuzz $t: ${seconds} s, ${runs} executions, ${cov}, corpus $(ls "$work/corpus/$t" | wc -l) inputs, 0 crashes"
  else
    echo "fuzz $t: FAILED (log: $log); finding(s) in $work/findings/$t/:"
    grep -E '^(==[0-9]+==|thread|SUMMARY|artifact_prefix|Test unit written|.*panicked)' "$log" | head -20
    status=1
  fi
done
exit $status
