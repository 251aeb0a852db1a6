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

// -----

// A weighted mean column (ids pruned < 0, weights pruned <= 0): one lookup
// with weights; the fills, prunes and mask go.
// CHECK-LABEL: func.func @weighted_mean
// CHECK-SAME: (%[[IND:[^:]+]]: tensor<?x2xi64>, %[[IDS:[^:]+]]: tensor<?xi64>, %[[W:[^:]+]]: tensor<?xf32>, %[[SHAPE:[^:]+]]: tensor<2xi64>)
// CHECK: %[[R:.+]] = "emb.coo_rows"(%[[IND]], %[[SHAPE]])
// CHECK: "emb.lookup"(%{{.+}}, %[[IDS]], %[[R]], %[[W]]) {combiner = "mean", on_out_of_range = "error"}
func.func @weighted_mean(%ind: tensor<?x2xi64>, %ids: tensor<?xi64>, %w: tensor<?xf32>, %shape: tensor<2xi64>) -> tensor<*xf32> {
  %t = "tf.Const"() {dtype = f32, value_ref = "w/table", value_shape = array<i64: 10, 4>} : () -> tensor<*xf32>
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %zerof = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<*xf32>
  %onef = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<*xf32>
  %true = "tf.Const"() {dtype = i1, value = dense<true> : tensor<i1>} : () -> tensor<*xi1>
  %flat = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<*xi32>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  // Prune ids < 0 (AND ones_like(weights)).
  %ge = "tf.GreaterEqual"(%ids, %zero) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %wshape = "tf.Shape"(%w) : (tensor<?xf32>) -> tensor<*xi32>
  %ones = "tf.Fill"(%wshape, %true) : (tensor<*xi32>, tensor<*xi1>) -> tensor<*xi1>
  %c1 = "tf.LogicalAnd"(%ge, %ones) : (tensor<*xi1>, tensor<*xi1>) -> tensor<*xi1>
  %w1 = "tf.Where"(%c1) : (tensor<*xi1>) -> tensor<*xi64>
  %k1 = "tf.Reshape"(%w1, %flat) : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %i1 = "tf.GatherV2"(%ind, %k1, %axis) : (tensor<?x2xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %v1 = "tf.GatherV2"(%ids, %k1, %axis) : (tensor<?xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %w1b = "tf.Where"(%c1) : (tensor<*xi1>) -> tensor<*xi64>
  %k1b = "tf.Reshape"(%w1b, %flat) : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %i1b = "tf.GatherV2"(%ind, %k1b, %axis) : (tensor<?x2xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %x1 = "tf.GatherV2"(%w, %k1b, %axis) : (tensor<?xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  // Prune weights <= 0.
  %gt = "tf.Greater"(%x1, %zerof) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xi1>
  %w2 = "tf.Where"(%gt) : (tensor<*xi1>) -> tensor<*xi64>
  %k2 = "tf.Reshape"(%w2, %flat) : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %i2 = "tf.GatherV2"(%i1, %k2, %axis) : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %v2 = "tf.GatherV2"(%v1, %k2, %axis) : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %i2b = "tf.GatherV2"(%i1b, %k2, %axis) : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %x2 = "tf.GatherV2"(%x1, %k2, %axis) : (tensor<*xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  // Fill, pool, divide, mask.
  %f:4 = "tf.SparseFillEmptyRows"(%i2, %v2, %shape, %zero) : (tensor<*xi64>, tensor<*xi64>, tensor<2xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi64>, tensor<*xi1>, tensor<*xi64>)
  %g:4 = "tf.SparseFillEmptyRows"(%i2b, %x2, %shape, %onef) : (tensor<*xi64>, tensor<*xf32>, tensor<2xi64>, tensor<*xf32>) -> (tensor<*xi64>, tensor<*xf32>, tensor<*xi1>, tensor<*xi64>)
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %rows = "tf.StridedSlice"(%f#0, %b, %e, %s) {begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 2 : i64} : (tensor<*xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %seg = "tf.Cast"(%rows) {DstT = i32, SrcT = i64} : (tensor<*xi64>) -> tensor<*xi32>
  %emb = "tf.GatherV2"(%t, %f#1, %axis) : (tensor<*xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  %col = "tf.Const"() {dtype = i32, value = dense<[-1, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %wr = "tf.Reshape"(%g#1, %col) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %m = "tf.Mul"(%emb, %wr) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %num = "tf.SegmentSum"(%m, %seg) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %den = "tf.SegmentSum"(%wr, %seg) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %p = "tf.DivNoNan"(%num, %den) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %mr = "tf.Reshape"(%f#2, %col) : (tensor<*xi1>, tensor<*xi32>) -> tensor<*xi1>
  %mult = "tf.Const"() {dtype = i32, value = dense<[1, 4]> : tensor<2xi32>} : () -> tensor<*xi32>
  %mask = "tf.Tile"(%mr, %mult) : (tensor<*xi1>, tensor<*xi32>) -> tensor<*xi1>
  %z = "tf.ZerosLike"(%p) : (tensor<*xf32>) -> tensor<*xf32>
  %y = "tf.Select"(%mask, %z, %p) : (tensor<*xi1>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

/// negative_: a sum column whose weights <= 0 are pruned: the lookup keeps
/// them for sum, so raising would change the result.
// CHECK-LABEL: func.func @negative_weighted_sum_pruning_weights
// CHECK: tf.Select
// CHECK-NOT: emb.lookup
func.func @negative_weighted_sum_pruning_weights(%ind: tensor<?x2xi64>, %ids: tensor<?xi64>, %w: tensor<?xf32>, %shape: tensor<2xi64>) -> tensor<*xf32> {
  %t = "tf.Const"() {dtype = f32, value_ref = "w/table", value_shape = array<i64: 10, 4>} : () -> tensor<*xf32>
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %zerof = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<*xf32>
  %onef = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<*xf32>
  %true = "tf.Const"() {dtype = i1, value = dense<true> : tensor<i1>} : () -> tensor<*xi1>
  %flat = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<*xi32>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  // Prune ids < 0 (AND ones_like(weights)).
  %ge = "tf.GreaterEqual"(%ids, %zero) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %wshape = "tf.Shape"(%w) : (tensor<?xf32>) -> tensor<*xi32>
  %ones = "tf.Fill"(%wshape, %true) : (tensor<*xi32>, tensor<*xi1>) -> tensor<*xi1>
  %c1 = "tf.LogicalAnd"(%ge, %ones) : (tensor<*xi1>, tensor<*xi1>) -> tensor<*xi1>
  %w1 = "tf.Where"(%c1) : (tensor<*xi1>) -> tensor<*xi64>
  %k1 = "tf.Reshape"(%w1, %flat) : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %i1 = "tf.GatherV2"(%ind, %k1, %axis) : (tensor<?x2xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %v1 = "tf.GatherV2"(%ids, %k1, %axis) : (tensor<?xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %w1b = "tf.Where"(%c1) : (tensor<*xi1>) -> tensor<*xi64>
  %k1b = "tf.Reshape"(%w1b, %flat) : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %i1b = "tf.GatherV2"(%ind, %k1b, %axis) : (tensor<?x2xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %x1 = "tf.GatherV2"(%w, %k1b, %axis) : (tensor<?xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  // Prune weights <= 0.
  %gt = "tf.Greater"(%x1, %zerof) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xi1>
  %w2 = "tf.Where"(%gt) : (tensor<*xi1>) -> tensor<*xi64>
  %k2 = "tf.Reshape"(%w2, %flat) : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %i2 = "tf.GatherV2"(%i1, %k2, %axis) : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %v2 = "tf.GatherV2"(%v1, %k2, %axis) : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %i2b = "tf.GatherV2"(%i1b, %k2, %axis) : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %x2 = "tf.GatherV2"(%x1, %k2, %axis) : (tensor<*xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  // Fill, pool, divide, mask.
  %f:4 = "tf.SparseFillEmptyRows"(%i2, %v2, %shape, %zero) : (tensor<*xi64>, tensor<*xi64>, tensor<2xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi64>, tensor<*xi1>, tensor<*xi64>)
  %g:4 = "tf.SparseFillEmptyRows"(%i2b, %x2, %shape, %onef) : (tensor<*xi64>, tensor<*xf32>, tensor<2xi64>, tensor<*xf32>) -> (tensor<*xi64>, tensor<*xf32>, tensor<*xi1>, tensor<*xi64>)
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %rows = "tf.StridedSlice"(%f#0, %b, %e, %s) {begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 2 : i64} : (tensor<*xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %seg = "tf.Cast"(%rows) {DstT = i32, SrcT = i64} : (tensor<*xi64>) -> tensor<*xi32>
  %emb = "tf.GatherV2"(%t, %f#1, %axis) : (tensor<*xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  %col = "tf.Const"() {dtype = i32, value = dense<[-1, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %wr = "tf.Reshape"(%g#1, %col) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %m = "tf.Mul"(%emb, %wr) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %num = "tf.SegmentSum"(%m, %seg) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %mr = "tf.Reshape"(%f#2, %col) : (tensor<*xi1>, tensor<*xi32>) -> tensor<*xi1>
  %mult = "tf.Const"() {dtype = i32, value = dense<[1, 4]> : tensor<2xi32>} : () -> tensor<*xi32>
  %mask = "tf.Tile"(%mr, %mult) : (tensor<*xi1>, tensor<*xi32>) -> tensor<*xi1>
  %z = "tf.ZerosLike"(%num) : (tensor<*xf32>) -> tensor<*xf32>
  %y = "tf.Select"(%mask, %z, %num) : (tensor<*xi1>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

// A non-safe column (no fill, no prune): rows up to the largest row index.
// CHECK-LABEL: func.func @non_safe
// CHECK: %[[R:.+]] = "emb.coo_rows"(%arg0) : (tensor<?x2xi64>) -> tensor<?xi64>
// CHECK: "emb.lookup"(%{{.+}}, %arg1, %[[R]]) {combiner = "sum", on_out_of_range = "error"}
func.func @non_safe(%ind: tensor<?x2xi64>, %ids: tensor<?xi64>) -> tensor<*xf32> {
  %t = "tf.Const"() {dtype = f32, value_ref = "s/w", value_shape = array<i64: 10, 8>} : () -> tensor<*xf32>
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %seg = "tf.StridedSlice"(%ind, %b, %e, %s) {begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 2 : i64} : (tensor<?x2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %p = "tf.SparseSegmentSum"(%t, %ids, %seg) : (tensor<*xf32>, tensor<?xi64>, tensor<*xi64>) -> tensor<*xf32>
  return %p : tensor<*xf32>
}
