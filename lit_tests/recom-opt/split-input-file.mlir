// --split-input-file: pieces are processed independently, outputs are joined
// by the split marker, a failing piece does not stop the others, and
// diagnostics carry line numbers of the whole file.
//
// MLIR's splitter (recom-opt runs on MlirOptMain) cuts at the marker
// anywhere, even inside a line: so no comment or CHECK line here spells the
// marker out (it did under the former hand-written driver, which split at
// marker lines only).
// RUN: not %recom_opt %s --split-input-file 2>%t.err | FileCheck %s
// RUN: FileCheck %s --check-prefix=ERR < %t.err
// Without splitting, the error in the second piece fails the whole file.
// RUN: not %recom_opt %s 2>&1 | FileCheck %s --check-prefix=WHOLE

// CHECK-LABEL: func.func @first
func.func @first() {
  return
}

// -----

// ERR: split-input-file.mlir:[[@LINE+1]]:3: error: Dialect `bogus' not found for custom op 'bogus.op'
  bogus.op

// -----

// CHECK: {{^// [-]{5}$}}
// CHECK-LABEL: func.func @third
func.func @third() {
  return
}

// WHOLE: split-input-file.mlir:[[# @LINE - 10]]:3: error: Dialect `bogus' not found
// WHOLE-NOT: func.func @first
