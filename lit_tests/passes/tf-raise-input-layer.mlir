// tf-raise-input-layer: the concatenation of raised columns becomes emb.concat.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-raise-input-layer)' | FileCheck %s

// CHECK-LABEL: func.func @layer
// CHECK-SAME: -> tensor<?x12xf32>
// CHECK: %[[C:.+]] = "emb.concat"(%{{.+}}, %{{.+}}) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x12xf32>
// CHECK: return %[[C]]
func.func @layer(%ids: tensor<?xi64>, %rows: tensor<?xi64>) -> tensor<*xf32> {
  %t0 = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %t1 = "emb.table"() {name = "b"} : () -> tensor<10x8xf32>
  %a = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %b = "emb.lookup"(%t1, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%a, %b, %axis) {N = 2 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

/// negative_: a numeric (dense) column is not raised yet; the concat stays.
// CHECK-LABEL: func.func @negative_numeric_column
// CHECK: tf.ConcatV2
// CHECK-NOT: emb.concat
func.func @negative_numeric_column(%ids: tensor<?xi64>, %rows: tensor<?xi64>, %dense: tensor<?x3xf32>) -> tensor<*xf32> {
  %t0 = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %a = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%a, %dense, %axis) {N = 2 : i64} : (tensor<?x?xf32>, tensor<?x3xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

/// negative_: along axis 0 it is a batch concatenation, not an input layer.
// CHECK-LABEL: func.func @negative_axis_0
// CHECK: tf.ConcatV2
func.func @negative_axis_0(%ids: tensor<?xi64>, %rows: tensor<?xi64>) -> tensor<*xf32> {
  %t0 = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %a = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%a, %a, %axis) {N = 2 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}
