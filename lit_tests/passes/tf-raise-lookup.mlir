// tf-raise-lookup: a pooled lookup of a constant table becomes emb.lookup
// over emb.coo_rows of the column's SparseTensor.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-raise-lookup)' | FileCheck %s

// CHECK-LABEL: func.func @column
// CHECK-SAME: (%[[IND:.+]]: tensor<?x2xi64>, %[[IDS:.+]]: tensor<?xi64>, %[[SHAPE:.+]]: tensor<2xi64>)
// CHECK: %[[T:.+]] = "emb.table"() {name = "emb/w"} : () -> tensor<10x4xf32>
// CHECK: %[[R:.+]] = "emb.coo_rows"(%[[IND]], %[[SHAPE]])
// CHECK: %[[L:.+]] = "emb.lookup"(%[[T]], %[[IDS]], %[[R]]) {combiner = "mean", on_out_of_range = "error"}
// CHECK: return %[[L]] : tensor<?x?xf32>
func.func @column(%ind: tensor<?x2xi64>, %ids: tensor<?xi64>, %shape: tensor<2xi64>) -> tensor<*xf32> {
  %t = "tf.Const"() {dtype = f32, value_ref = "emb/w", value_shape = array<i64: 10, 4>} : () -> tensor<*xf32> loc("emb/w")
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %seg = "tf.StridedSlice"(%ind, %b, %e, %s) {begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 2 : i64} : (tensor<?x2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %n = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %p = "tf.SparseSegmentMeanWithNumSegments"(%t, %ids, %seg, %n) : (tensor<*xf32>, tensor<?xi64>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xf32>
  return %p : tensor<*xf32>
}

// -----

/// negative_: the table is not a constant (nothing to bind by name).
// CHECK-LABEL: func.func @negative_table_argument
// CHECK: tf.SparseSegmentSumWithNumSegments
// CHECK-NOT: emb.lookup
func.func @negative_table_argument(%t: tensor<*xf32>, %ind: tensor<?x2xi64>, %ids: tensor<?xi64>, %shape: tensor<2xi64>) -> tensor<*xf32> {
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %seg = "tf.StridedSlice"(%ind, %b, %e, %s) {begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 2 : i64} : (tensor<?x2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %n = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %p = "tf.SparseSegmentSumWithNumSegments"(%t, %ids, %seg, %n) : (tensor<*xf32>, tensor<?xi64>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xf32>
  return %p : tensor<*xf32>
}

// -----

/// negative_: the segment ids are column 1 of the indices, not the rows.
// CHECK-LABEL: func.func @negative_segments_not_rows
// CHECK-NOT: emb.lookup
func.func @negative_segments_not_rows(%ind: tensor<?x2xi64>, %ids: tensor<?xi64>, %shape: tensor<2xi64>) -> tensor<*xf32> {
  %t = "tf.Const"() {dtype = f32, value_ref = "emb/w", value_shape = array<i64: 10, 4>} : () -> tensor<*xf32>
  %b = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 2]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %seg = "tf.StridedSlice"(%ind, %b, %e, %s) {begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 2 : i64} : (tensor<?x2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %n = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %p = "tf.SparseSegmentSumWithNumSegments"(%t, %ids, %seg, %n) : (tensor<*xf32>, tensor<?xi64>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xf32>
  return %p : tensor<*xf32>
}
