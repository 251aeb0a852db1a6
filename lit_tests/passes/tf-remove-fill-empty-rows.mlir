// tf-remove-fill-empty-rows: fill empty rows, pool, zero the filled rows ==
// pool with an explicit segment count.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-remove-fill-empty-rows)' | FileCheck %s

// CHECK-LABEL: func.func @fill_mask
// CHECK-SAME: (%[[T:.+]]: tensor<*xf32>, %[[IND:.+]]: tensor<?x2xi64>, %[[IDS:.+]]: tensor<?xi64>, %[[SHAPE:.+]]: tensor<2xi64>)
// CHECK: %[[SEG:.+]] = "tf.StridedSlice"(%[[IND]],
// CHECK: %[[ROWS:.+]] = "tf.StridedSlice"(%[[SHAPE]], {{.+}}) {{.*}}shrink_axis_mask = 1
// CHECK: %[[P:.+]] = "tf.SparseSegmentSumWithNumSegments"(%[[T]], %[[IDS]], %[[SEG]], %[[ROWS]]) {{.*}}Tnumsegments = i64
// CHECK: return %[[P]]
func.func @fill_mask(%table: tensor<*xf32>, %ind: tensor<?x2xi64>, %ids: tensor<?xi64>, %shape: tensor<2xi64>) -> tensor<*xf32> {
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %f:4 = "tf.SparseFillEmptyRows"(%ind, %ids, %shape, %zero) {T = i64} : (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi64>, tensor<*xi1>, tensor<*xi64>)
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %seg = "tf.StridedSlice"(%f#0, %b, %e, %s) {Index = i32, T = i64, begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 2 : i64} : (tensor<*xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %p = "tf.SparseSegmentSum"(%table, %f#1, %seg) {T = f32, Tidx = i64, Tsegmentids = i64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xf32>
  %col = "tf.Const"() {dtype = i32, value = dense<[-1, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %r = "tf.Reshape"(%f#2, %col) : (tensor<*xi1>, tensor<*xi32>) -> tensor<*xi1>
  %mult = "tf.Const"() {dtype = i32, value = dense<[1, 4]> : tensor<2xi32>} : () -> tensor<*xi32>
  %m = "tf.Tile"(%r, %mult) : (tensor<*xi1>, tensor<*xi32>) -> tensor<*xi1>
  %z = "tf.ZerosLike"(%p) : (tensor<*xf32>) -> tensor<*xf32>
  %y = "tf.Select"(%m, %z, %p) : (tensor<*xi1>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

/// A dimension-1 table: tf-shape-construct removed the mask's Tile (its
/// multiples were [1, 1]), so the Reshape is the mask itself.
// CHECK-LABEL: func.func @fill_mask_dim_1
// CHECK: %[[P:.+]] = "tf.SparseSegmentMeanWithNumSegments"
// CHECK: return %[[P]]
func.func @fill_mask_dim_1(%table: tensor<*xf32>, %ind: tensor<?x2xi64>, %ids: tensor<?xi64>, %shape: tensor<2xi64>) -> tensor<*xf32> {
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %f:4 = "tf.SparseFillEmptyRows"(%ind, %ids, %shape, %zero) {T = i64} : (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi64>, tensor<*xi1>, tensor<*xi64>)
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %seg = "tf.StridedSlice"(%f#0, %b, %e, %s) {Index = i32, T = i64, begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 2 : i64} : (tensor<*xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %p = "tf.SparseSegmentMean"(%table, %f#1, %seg) {T = f32, Tidx = i64, Tsegmentids = i64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xf32>
  %col = "tf.Const"() {dtype = i32, value = dense<[-1, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %m = "tf.Reshape"(%f#2, %col) : (tensor<*xi1>, tensor<*xi32>) -> tensor<*xi1>
  %z = "tf.ZerosLike"(%p) : (tensor<*xf32>) -> tensor<*xf32>
  %y = "tf.Select"(%m, %z, %p) : (tensor<*xi1>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

/// negative_: without the mask the filled default row is really used.
// CHECK-LABEL: func.func @negative_no_mask
// CHECK: tf.SparseFillEmptyRows
// CHECK: "tf.Select"
// CHECK-NOT: WithNumSegments
func.func @negative_no_mask(%table: tensor<*xf32>, %ind: tensor<?x2xi64>, %ids: tensor<?xi64>, %shape: tensor<2xi64>, %other: tensor<*xi1>) -> tensor<*xf32> {
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %f:4 = "tf.SparseFillEmptyRows"(%ind, %ids, %shape, %zero) {T = i64} : (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi64>, tensor<*xi1>, tensor<*xi64>)
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %seg = "tf.StridedSlice"(%f#0, %b, %e, %s) {Index = i32, T = i64, begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 2 : i64} : (tensor<*xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %p = "tf.SparseSegmentSum"(%table, %f#1, %seg) {T = f32, Tidx = i64, Tsegmentids = i64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xf32>
  %z = "tf.ZerosLike"(%p) : (tensor<*xf32>) -> tensor<*xf32>
  %y = "tf.Select"(%other, %z, %p) : (tensor<*xi1>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}
