// Every user-facing error of recom-opt exits non-zero with a message that
// names the place: the flag, the file:line:col, or the op.
//
// recom-opt runs on MLIR's MlirOptMain, so the messages about flags, files
// and pipelines are MLIR's own (changed from those of the former hand-written
// driver): llvm::cl's message for an unknown flag (exit code 1, not 2);
// pipeline errors printed at `<unknown>:0` by MLIR's pipeline parser, without
// a `recom-opt: --pass-pipeline:` prefix (recom still adds the "did you
// mean" note); `cannot open input/output file` for files. The check that
// --mlir-print-ir-tree-dir needs --mlir-print-ir-after-all is gone: MLIR
// ignores the tree dir alone, as mlir-opt does.

// A flag recom-opt does not have.
// RUN: not %recom_opt --no-such-flag %s 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: recom-opt: Unknown command line argument '--no-such-flag'.

// An unknown pass, with the registered names closest to it.
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(recom-verfy,canonicalise)' 2>&1 | FileCheck %s --check-prefix=PASS
// PASS: <unknown>:0: error: MLIR Textual PassPipeline Parser:{{[0-9]+}}:{{[0-9]+}}: error: 'recom-verfy' does not refer to a registered pass or pass pipeline
// PASS: note: did you mean: recom-verify?

// A misspelt recom pipeline.
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(recom-defualt)' 2>&1 | FileCheck %s --check-prefix=PIPE
// PIPE: note: did you mean: recom-default?

// An unknown pass nothing resembles.
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(zzzzqqqq)' 2>&1 | FileCheck %s --check-prefix=NOPASS
// NOPASS: 'zzzzqqqq' does not refer to a registered pass
// NOPASS: note: no registered pass has a similar name; see --list-passes=all

// A pipeline without its anchor.
// RUN: not %recom_opt %s --pass-pipeline='canonicalize' 2>&1 | FileCheck %s --check-prefix=ANCHOR
// ANCHOR: <unknown>:0: error: expected pass pipeline to be wrapped with the anchor operation type

// A pass option that does not exist, and one with a bad value.
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(recom-verify{strictness=1})' 2>&1 | FileCheck %s --check-prefix=OPTNAME
// OPTNAME: no such option strictness
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(recom-verify{warnings-as-errors=yes})' 2>&1 | FileCheck %s --check-prefix=OPTVALUE
// OPTVALUE: option 'warnings-as-errors' of 'recom-verify' expects true or false, got 'yes'

// Malformed MLIR: located at the offending token.
// RUN: not %recom_opt %inputs/malformed.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX
// SYNTAX: malformed.mlir:3:57: error: expected '>' in tensor type

// A verifier error from recom-verify: located at the op.
// RUN: not %recom_opt %inputs/bad-lookup.mlir --pass-pipeline='builtin.module(recom-verify)' 2>&1 | FileCheck %s --check-prefix=VERIFY
// VERIFY: bad-lookup.mlir:5:8: error: 'emb.lookup' op result dim 8 differs from the table dim 4

// An IRDL verifier error while parsing: located at the op, even without passes.
// RUN: not %recom_opt %inputs/bad-combiner.mlir 2>&1 | FileCheck %s --check-prefix=IRDL
// IRDL: bad-combiner.mlir:4:8: error: '"max"' does not satisfy the constraint

// Missing input file, unwritable output.
// RUN: not %recom_opt %t.does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: recom-opt: cannot open input file '{{.*}}does-not-exist.mlir': No such file or directory
// RUN: not %recom_opt %s -o %t.no/such/dir/out.mlir 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: recom-opt: cannot open output file '{{.*}}out.mlir': No such file or directory

// An unknown --list-passes value (recom's flag, parsed by recom-opt).
// RUN: not %recom_opt --list-passes=upstream 2>&1 | FileCheck %s --check-prefix=LIST
// LIST: error: invalid value 'upstream' for '--list-passes [<WHICH>]'

func.func @ok() {
  return
}
