// IR printing: after every pass, after passes that changed the IR, and into
// a directory tree (one file per pass).
//
// These are MLIR's flags (recom-opt runs on MlirOptMain), where
// --mlir-print-ir-after-change only modifies --mlir-print-ir-after-all (alone
// it prints nothing), hence both on the CHANGE line.
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-verify,canonicalize,cse)' --mlir-print-ir-after-all -o /dev/null 2>&1 | FileCheck %s --check-prefix=ALL
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-verify,canonicalize,cse)' --mlir-print-ir-after-all --mlir-print-ir-after-change -o /dev/null 2>&1 | FileCheck %s --check-prefix=CHANGE
// RUN: rm -rf %t.tree
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-verify,canonicalize,cse)' --mlir-print-ir-after-all --mlir-print-ir-tree-dir=%t.tree -o /dev/null
// RUN: ls %t.tree/builtin_module_no-symbol-name | FileCheck %s --check-prefix=TREE

// ALL: IR Dump After RecomVerify (recom-verify)
// ALL: IR Dump After Canonicalizer (canonicalize)
// ALL: IR Dump After CSE (cse)

// recom-verify never changes the IR; canonicalize folds the addition.
// CHANGE-NOT: RecomVerify
// CHANGE: IR Dump After Canonicalizer (canonicalize)
// CHANGE-NOT: IR Dump

// TREE: 0_recom-verify.mlir
// TREE: 1_canonicalize.mlir
// TREE: 2_cse.mlir

func.func @f(%x: index) -> index {
  %zero = arith.constant 0 : index
  %y = arith.addi %x, %zero : index
  return %y : index
}
