#!/bin/sh
# RUSTC_WRAPPER for the fuzz build: recom's own crates get libFuzzer's
# coverage instrumentation (SanitizerCoverage: 8-bit edge counters, the PC
# table, comparison tracing); dependencies build plainly. All of it is
# stable rustc (`-C passes`, `-C llvm-args`); no nightly flags.
rustc="$1"
shift
case " $* " in
*" --crate-name recom"*)
  exec "$rustc" "$@" --cfg fuzzing \
    -Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares
  ;;
esac
exec "$rustc" "$@"
