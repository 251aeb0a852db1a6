// recom-verify accepts valid IR unchanged, runs on any op (here nested on
// func.func), and with warnings-as-errors fails on warnings.
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(recom-verify)' | FileCheck %s
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(func.func(recom-verify))' | FileCheck %s
// RUN: not %recom_opt %s --split-input-file --pass-pipeline='builtin.module(recom-verify{warnings-as-errors=true})' 2>&1 | FileCheck %s --check-prefix=STRICT
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(recom-verify{warnings-as-errors=false})' 2>&1 >/dev/null | FileCheck %s --check-prefix=LAX

// CHECK-LABEL: func.func @valid_column
func.func @valid_column(%ids: tensor<?xi64>, %offsets: tensor<?xi64>) -> tensor<?x?xf32> {
  // CHECK: "emb.table"
  // CHECK: "emb.hash_bucket"
  // CHECK: "emb.lookup"
  %t = "emb.table"() {name = "t"} : () -> tensor<8x4xf32>
  %h = "emb.hash_bucket"(%ids) {num_buckets = 8 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  %l = "emb.lookup"(%t, %h, %offsets) {combiner = "sum", on_out_of_range = "error"} : (tensor<8x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  return %l : tensor<?x?xf32>
}

// -----

// A warning: legal, but every value lands in bucket 0.
// CHECK-LABEL: func.func @negative_empty_boundaries
// STRICT: recom-verify.mlir:[[@LINE+3]]:8: warning: 'emb.bucketize' op has no boundaries
// LAX: recom-verify.mlir:[[@LINE+2]]:8: warning: 'emb.bucketize' op has no boundaries
func.func @negative_empty_boundaries(%x: tensor<?xf32>) -> tensor<?xi64> {
  %b = "emb.bucketize"(%x) {boundaries = array<f64>} : (tensor<?xf32>) -> tensor<?xi64>
  return %b : tensor<?xi64>
}
