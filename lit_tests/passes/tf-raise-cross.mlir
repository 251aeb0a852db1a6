// tf-raise-cross: a hashed SparseCross becomes emb.cross_hashed over feature
// hashes (strings fingerprinted, integers as they are, dense inputs with
// every entry).
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-raise-cross)' | FileCheck %s

// CHECK-LABEL: func.func @sparse_and_dense
// CHECK-SAME: (%[[I:[^:]+]]: tensor<?x2xi64>, %[[V:[^:]+]]: tensor<?x!tf.string>, %[[S:[^:]+]]: tensor<2xi64>, %[[D:[^:]+]]: tensor<?x2xi64>)
// CHECK: %[[F:.+]] = "emb.fingerprint"(%[[V]]) : (tensor<?x!tf.string>) -> tensor<?xi64>
// CHECK: %[[DS:.+]]:3 = "emb.sparse_from_dense"(%[[D]]) {ignore_value} : (tensor<?x2xi64>)
// CHECK: %[[X:.+]]:3 = "emb.cross_hashed"(%[[I]], %[[DS]]#0, %[[F]], %[[DS]]#1, %[[S]], %[[DS]]#2) {hash_key = 956888297470 : i64, num_buckets = 100 : i64, operandSegmentSizes = array<i32: 2, 2, 2>}
// CHECK: return %[[X]]#0, %[[X]]#1, %[[X]]#2
func.func @sparse_and_dense(%i: tensor<?x2xi64>, %v: tensor<?x!tf.string>, %s: tensor<2xi64>, %d: tensor<?x2xi64>) -> (tensor<*xi64>, tensor<*xi64>, tensor<*xi64>) {
  %r:3 = "tf.SparseCross"(%i, %v, %s, %d) {N = 1 : i64, hashed_output = true, num_buckets = 100 : i64, hash_key = 956888297470 : i64, internal_type = i64, out_type = i64} : (tensor<?x2xi64>, tensor<?x!tf.string>, tensor<2xi64>, tensor<?x2xi64>) -> (tensor<*xi64>, tensor<*xi64>, tensor<*xi64>)
  return %r#0, %r#1, %r#2 : tensor<*xi64>, tensor<*xi64>, tensor<*xi64>
}

// -----

/// negative_: an unhashed cross gives strings ("a_X_b"), not ids.
// CHECK-LABEL: func.func @negative_string_cross
// CHECK: tf.SparseCross
// CHECK-NOT: emb.cross_hashed
func.func @negative_string_cross(%i: tensor<?x2xi64>, %v: tensor<?x!tf.string>, %s: tensor<2xi64>, %d: tensor<?x2xi64>) -> tensor<*x!tf.string> {
  %r:3 = "tf.SparseCross"(%i, %v, %s, %d) {N = 1 : i64, hashed_output = false, num_buckets = 0 : i64, hash_key = 0 : i64, internal_type = !tf.string, out_type = !tf.string} : (tensor<?x2xi64>, tensor<?x!tf.string>, tensor<2xi64>, tensor<?x2xi64>) -> (tensor<*xi64>, tensor<*x!tf.string>, tensor<*xi64>)
  return %r#1 : tensor<*x!tf.string>
}

// -----

/// negative_: an input not raised yet (unranked) keeps the op.
// CHECK-LABEL: func.func @negative_unranked_input
// CHECK: tf.SparseCross
func.func @negative_unranked_input(%i: tensor<*xi64>, %v: tensor<*xi64>, %s: tensor<*xi64>, %d: tensor<?x2xi64>) -> tensor<*xi64> {
  %r:3 = "tf.SparseCross"(%i, %v, %s, %d) {N = 1 : i64, hashed_output = true, num_buckets = 100 : i64, hash_key = 1 : i64, internal_type = i64, out_type = i64} : (tensor<*xi64>, tensor<*xi64>, tensor<*xi64>, tensor<?x2xi64>) -> (tensor<*xi64>, tensor<*xi64>, tensor<*xi64>)
  return %r#1 : tensor<*xi64>
}
