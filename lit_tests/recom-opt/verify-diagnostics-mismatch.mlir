// --verify-diagnostics fails when an expected diagnostic is missing or an
// unexpected one appears, and says where.
//
// This is MLIR's verifier (recom-opt runs on MlirOptMain): it reports the
// unexpected diagnostics as they come and the missing ones at the end, hence
// CHECK-DAG (the former hand-written verifier reported piece by piece). It
// ignores an annotation whose line designator it cannot read (`@+x`), so the
// case checking "invalid line designator" is gone.
// RUN: not %recom_opt %s --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(recom-verify)' 2>&1 | FileCheck %s

// CHECK-DAG: verify-diagnostics-mismatch.mlir:[[@LINE+2]]:6: error: expected error "must be positive" was not produced
func.func @missing(%ids: tensor<?xi64>) {
  // expected-error@+1 {{must be positive}}
  %h = "emb.hash_bucket"(%ids) {num_buckets = 3 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @unexpected(%ids: tensor<?xi64>) {
  // CHECK-DAG: verify-diagnostics-mismatch.mlir:[[@LINE+1]]:8: error: unexpected error: 'emb.hash_bucket' op attribute 'num_buckets' must be positive, got 0
  %h = "emb.hash_bucket"(%ids) {num_buckets = 0 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  return
}

// -----

func.func @wrong_text(%ids: tensor<?xi64>) {
  // CHECK-DAG: verify-diagnostics-mismatch.mlir:[[@LINE+2]]:8: error: unexpected error: 'emb.hash_bucket' op attribute 'num_buckets' must be positive
  // CHECK-DAG: verify-diagnostics-mismatch.mlir:[[@LINE+2]]:6: error: expected error "must be negative" was not produced
  %h = "emb.hash_bucket"(%ids) {num_buckets = 0 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  // expected-error@-1 {{must be negative}}
  return
}
