// tf-host-fallback after a raising pass: the why of a column on the host
// carries what the matcher that refused it said (notifyMatchFailure-style).
// RUN: %recom_opt %s --allow-unregistered-dialect --pass-pipeline='builtin.module(tf-raise-lookup,tf-host-fallback)' | FileCheck %s

// The pooled rows are computed (a Sqrt of the table), not a constant table.
// CHECK-LABEL: func.func @refused_lookup
// CHECK: "emb.tf_output"() {node = "col/Reshape", why = "tf.SparseSegmentSumWithNumSegments: the pooled data is not a constant table: it is computed by tf.Sqrt
// CHECK-SAME: tf ops left: tf.Reshape, tf.SparseSegmentSumWithNumSegments, tf.Sqrt, tf.StridedSlice
func.func @refused_lookup(%ids: tensor<?xi64>, %ind: tensor<?x2xi64>, %shape: tensor<2xi64>, %x: tensor<?x2xf32>) -> tensor<*xf32> {
  %table = "tf.Const"() {dtype = f32, value_ref = "t", value_shape = array<i64: 10, 4>} : () -> tensor<*xf32>
  %rooted = "tf.Sqrt"(%table) : (tensor<*xf32>) -> tensor<*xf32>
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %seg = "tf.StridedSlice"(%ind, %b, %e, %s) {Index = i32, T = i64, begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 2 : i64} : (tensor<?x2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %z = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %o = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %rows = "tf.StridedSlice"(%shape, %z, %o, %o) {Index = i32, T = i64, begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %p = "tf.SparseSegmentSumWithNumSegments"(%rooted, %ids, %seg, %rows) {T = f32, Tidx = i64, Tnumsegments = i64, Tsegmentids = i64} : (tensor<*xf32>, tensor<?xi64>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xf32>
  %w = "tf.Const"() {dtype = i32, value = dense<[-1, 4]> : tensor<2xi32>} : () -> tensor<*xi32>
  %col = "tf.Reshape"(%p, %w) : (tensor<*xf32>, tensor<*xi32>) -> tensor<?x4xf32> loc("col/Reshape")
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%col, %x, %axis) {N = 2 : i64} : (tensor<?x4xf32>, tensor<?x2xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}
