// The default pipeline: verify, canonicalize, CSE, drop dead symbols, verify.
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-default)' | FileCheck %s
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-default{verify=false})' | FileCheck %s
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-default)' --mlir-print-ir-after-all -o /dev/null 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-default{verify=false})' --mlir-print-ir-after-all -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOVERIFY
// RUN: not %recom_opt %s --pass-pipeline='builtin.module(recom-default{verify=maybe})' 2>&1 | FileCheck %s --check-prefix=BADOPT

// STAGES: IR Dump After RecomVerify (recom-verify)
// STAGES: IR Dump After Canonicalizer (canonicalize)
// STAGES: IR Dump After CSE (cse)
// STAGES: IR Dump After SymbolDCE (symbol-dce)
// STAGES: IR Dump After RecomVerify (recom-verify)
// NOVERIFY-NOT: RecomVerify
// BADOPT: option 'verify' of 'recom-default' expects true or false, got 'maybe'

// The private helper is dead and removed; the duplicated table lookup
// operand arithmetic is folded.
// CHECK-NOT: func.func private @unused
func.func private @unused() {
  return
}

// CHECK-LABEL: func.func @column
func.func @column(%ids: tensor<?xi64>, %offsets: tensor<?xi64>) -> (tensor<?x?xf32>, index) {
  %t = "emb.table"() {name = "t"} : () -> tensor<8x4xf32>
  %l = "emb.lookup"(%t, %ids, %offsets) {combiner = "mean", on_out_of_range = "drop"} : (tensor<8x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  // CHECK: %[[C12:.+]] = arith.constant 12 : index
  %a = arith.constant 4 : index
  %b = arith.constant 3 : index
  %c = arith.muli %a, %b : index
  // CHECK: return %{{.+}}, %[[C12]]
  return %l, %c : tensor<?x?xf32>, index
}
