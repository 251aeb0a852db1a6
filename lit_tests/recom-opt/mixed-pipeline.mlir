// recom passes and upstream passes in one pipeline string.
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-verify,canonicalize,cse,func.func(recom-verify))' | FileCheck %s
// The same from stdin.
// RUN: cat %s | %recom_opt - --pass-pipeline='builtin.module(recom-verify,canonicalize,cse)' | FileCheck %s

// CHECK-LABEL: func.func @fold
func.func @fold(%x: index, %ids: tensor<?xi64>) -> (index, index, tensor<?xi64>) {
  %zero = arith.constant 0 : index
  // canonicalize folds x + 0; cse merges the two equal hash_bucket inputs' users.
  %a = arith.addi %x, %zero : index
  %b = arith.addi %x, %zero : index
  // CHECK: "emb.hash_bucket"(%[[IDS:.+]]) {num_buckets = 16 : i64}
  %h = "emb.hash_bucket"(%ids) {num_buckets = 16 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  // CHECK: return %[[X:.+]], %[[X]], %{{.+}} : index, index, tensor<?xi64>
  return %a, %b, %h : index, index, tensor<?xi64>
}
