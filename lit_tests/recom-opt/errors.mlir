// Every user-facing error of recom-opt exits non-zero with a message that
// names the place: the flag, the file:line:col, or the op.

// A flag recom-opt does not have (exit code 2, from the argument parser).
// RUN: not %recom_opt --no-such-flag %s 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: error: unexpected argument '--no-such-flag' found

// An unknown pass, with the registered names closest to it.
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(recom-verfy,canonicalise)' 2>&1 | FileCheck %s --check-prefix=PASS
// PASS: recom-opt: --pass-pipeline:{{[0-9]+}}:{{[0-9]+}}: error: 'recom-verfy' does not refer to a registered pass or pass pipeline
// PASS: did you mean: recom-verify?

// A misspelt recom pipeline.
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(recom-defualt)' 2>&1 | FileCheck %s --check-prefix=PIPE
// PIPE: did you mean: recom-default?

// An unknown pass nothing resembles.
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(zzzzqqqq)' 2>&1 | FileCheck %s --check-prefix=NOPASS
// NOPASS: 'zzzzqqqq' does not refer to a registered pass
// NOPASS: no registered pass has a similar name; see --list-passes=all

// A pipeline without its anchor.
// RUN: not %recom_opt %s --pass-pipeline='canonicalize' 2>&1 | FileCheck %s --check-prefix=ANCHOR
// ANCHOR: recom-opt: --pass-pipeline: {{.*}}expected pass pipeline to be wrapped with the anchor operation type

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
// NOFILE: recom-opt: cannot read '{{.*}}does-not-exist.mlir'
// RUN: not %recom_opt %s -o %t.no/such/dir/out.mlir 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: recom-opt: cannot write '{{.*}}out.mlir' (-o)

// A tree dir without anything to print into it.
// RUN: not %recom_opt %s --mlir-print-ir-tree-dir=%t.tree 2>&1 | FileCheck %s --check-prefix=TREE
// TREE: --mlir-print-ir-tree-dir needs --mlir-print-ir-after-all or --mlir-print-ir-after-change

// An unknown --list-passes value.
// RUN: not %recom_opt --list-passes=upstream 2>&1 | FileCheck %s --check-prefix=LIST
// LIST: error: invalid value 'upstream' for '--list-passes [<WHICH>]'

func.func @ok() {
  return
}
