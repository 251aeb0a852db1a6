// tf-remove-unique: the legacy Unique -> GatherV2 -> SparseSegment* lookup
// pools the table directly by the ids.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-remove-unique)' | FileCheck %s

// CHECK-LABEL: func.func @legacy
// CHECK-SAME: (%[[T:.+]]: tensor<*xf32>, %[[IDS:.+]]: tensor<*xi64>, %[[SEG:.+]]: tensor<*xi64>)
// CHECK: %[[P:.+]] = "tf.SparseSegmentMean"(%[[T]], %[[IDS]], %[[SEG]]) {T = f32, Tidx = i64, Tsegmentids = i64}
// CHECK: return %[[P]]
func.func @legacy(%table: tensor<*xf32>, %ids: tensor<*xi64>, %seg: tensor<*xi64>) -> tensor<*xf32> {
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %u:2 = "tf.Unique"(%ids) {T = i64, out_idx = i32} : (tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi32>)
  %rows = "tf.GatherV2"(%table, %u#0, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  %r = "tf.Identity"(%rows) {T = f32} : (tensor<*xf32>) -> tensor<*xf32>
  %p = "tf.SparseSegmentMean"(%r, %u#1, %seg) {T = f32, Tidx = i32, Tsegmentids = i64} : (tensor<*xf32>, tensor<*xi32>, tensor<*xi64>) -> tensor<*xf32>
  return %p : tensor<*xf32>
}

// -----

/// negative_: the gather runs along axis 1; pooling stays as it is.
// CHECK-LABEL: func.func @negative_axis_1
// CHECK: "tf.SparseSegmentSum"(%{{.+}}, %{{.+}}#1, %{{.+}}) {T = f32, Tidx = i32
func.func @negative_axis_1(%table: tensor<*xf32>, %ids: tensor<*xi64>, %seg: tensor<*xi64>) -> tensor<*xf32> {
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %u:2 = "tf.Unique"(%ids) {T = i64, out_idx = i32} : (tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi32>)
  %rows = "tf.GatherV2"(%table, %u#0, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  %p = "tf.SparseSegmentSum"(%rows, %u#1, %seg) {T = f32, Tidx = i32, Tsegmentids = i64} : (tensor<*xf32>, tensor<*xi32>, tensor<*xi64>) -> tensor<*xf32>
  return %p : tensor<*xf32>
}

// -----

/// negative_: the index comes from a different Unique than the gathered ids.
// CHECK-LABEL: func.func @negative_two_uniques
// CHECK: "tf.SparseSegmentSum"(%{{.+}}, %{{.+}}#1, %{{.+}}) {T = f32, Tidx = i32
func.func @negative_two_uniques(%table: tensor<*xf32>, %ids: tensor<*xi64>, %other: tensor<*xi64>, %seg: tensor<*xi64>) -> tensor<*xf32> {
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %u:2 = "tf.Unique"(%ids) {T = i64, out_idx = i32} : (tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi32>)
  %v:2 = "tf.Unique"(%other) {T = i64, out_idx = i32} : (tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi32>)
  %rows = "tf.GatherV2"(%table, %u#0, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  %p = "tf.SparseSegmentSum"(%rows, %v#1, %seg) {T = f32, Tidx = i32, Tsegmentids = i64} : (tensor<*xf32>, tensor<*xi32>, tensor<*xi64>) -> tensor<*xf32>
  return %p : tensor<*xf32>
}

// -----

// Weighted columns gather the unique rows, then regather by the index.
// CHECK-LABEL: func.func @regather
// CHECK-SAME: (%[[T:.+]]: tensor<*xf32>, %[[IDS:.+]]: tensor<*xi64>)
// CHECK: %[[E:.+]] = "tf.GatherV2"(%[[T]], %[[IDS]], %{{.+}}) {{.*}}Tindices = i64
// CHECK: return %[[E]]
func.func @regather(%table: tensor<*xf32>, %ids: tensor<*xi64>) -> tensor<*xf32> {
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %u:2 = "tf.Unique"(%ids) {T = i64, out_idx = i32} : (tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi32>)
  %rows = "tf.GatherV2"(%table, %u#0, %axis) {batch_dims = 0 : i64, Tindices = i64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  %r = "tf.Identity"(%rows) {T = f32} : (tensor<*xf32>) -> tensor<*xf32>
  %e = "tf.GatherV2"(%r, %u#1, %axis) {batch_dims = 0 : i64, Tindices = i32} : (tensor<*xf32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xf32>
  return %e : tensor<*xf32>
}

// -----

// embedding_column(max_norm = 0.75): the gathered rows are clipped by
// clip_by_norm before pooling; the pooling reads the table clipped at
// compile time instead (its name says how).
// CHECK-LABEL: func.func @max_norm
// CHECK: %[[C:.+]] = "tf.Const"() {{.*}}value_ref = "emb/t@max_norm=3f400000"
// CHECK: %[[P:.+]] = "tf.SparseSegmentSqrtN"(%[[C]], %arg0, %arg1)
// CHECK: return %[[P]]
func.func @max_norm(%ids: tensor<*xi64>, %seg: tensor<*xi64>) -> tensor<*xf32> {
  %table = "tf.Const"() {dtype = f32, value_ref = "emb/t", value_shape = array<i64: 10, 4>} : () -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %u:2 = "tf.Unique"(%ids) {T = i64, out_idx = i32} : (tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi32>)
  %rows = "tf.GatherV2"(%table, %u#0, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  %c = "tf.Const"() {dtype = f32, value = dense<0.75> : tensor<f32>} : () -> tensor<*xf32>
  %zero = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<*xf32>
  %one = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<*xf32>
  %dims = "tf.Const"() {dtype = i32, value = dense<[4, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %last = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %sq = "tf.Mul"(%rows, %rows) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %s = "tf.Sum"(%sq, %last) {keep_dims = true} : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %pos = "tf.Greater"(%s, %zero) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xi1>
  %ones = "tf.Fill"(%dims, %one) : (tensor<*xi32>, tensor<*xf32>) -> tensor<*xf32>
  %safe = "tf.Select"(%pos, %s, %ones) : (tensor<*xi1>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %root = "tf.Sqrt"(%safe) : (tensor<*xf32>) -> tensor<*xf32>
  %norm = "tf.Select"(%pos, %root, %s) : (tensor<*xi1>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %scaled = "tf.Mul"(%rows, %c) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %max = "tf.Maximum"(%norm, %c) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %clipped = "tf.RealDiv"(%scaled, %max) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %p = "tf.SparseSegmentSqrtN"(%clipped, %u#1, %seg) {T = f32, Tidx = i32, Tsegmentids = i64} : (tensor<*xf32>, tensor<*xi32>, tensor<*xi64>) -> tensor<*xf32>
  return %p : tensor<*xf32>
}

// -----

/// negative_: the Maximum's bound is not the scale (not clip_by_norm): the
/// clipping and the Unique stay.
// CHECK-LABEL: func.func @negative_not_clip_by_norm
// CHECK: "tf.Unique"
// CHECK: "tf.SparseSegmentSqrtN"(%{{.+}}, %{{.+}}#1
func.func @negative_not_clip_by_norm(%ids: tensor<*xi64>, %seg: tensor<*xi64>) -> tensor<*xf32> {
  %table = "tf.Const"() {dtype = f32, value_ref = "emb/t", value_shape = array<i64: 10, 4>} : () -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %u:2 = "tf.Unique"(%ids) {T = i64, out_idx = i32} : (tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi32>)
  %rows = "tf.GatherV2"(%table, %u#0, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xf32>
  %other = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<*xf32>
  %c = "tf.Const"() {dtype = f32, value = dense<0.75> : tensor<f32>} : () -> tensor<*xf32>
  %zero = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<*xf32>
  %one = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<*xf32>
  %dims = "tf.Const"() {dtype = i32, value = dense<[4, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %last = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %sq = "tf.Mul"(%rows, %rows) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %s = "tf.Sum"(%sq, %last) {keep_dims = true} : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %pos = "tf.Greater"(%s, %zero) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xi1>
  %ones = "tf.Fill"(%dims, %one) : (tensor<*xi32>, tensor<*xf32>) -> tensor<*xf32>
  %safe = "tf.Select"(%pos, %s, %ones) : (tensor<*xi1>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %root = "tf.Sqrt"(%safe) : (tensor<*xf32>) -> tensor<*xf32>
  %norm = "tf.Select"(%pos, %root, %s) : (tensor<*xi1>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %scaled = "tf.Mul"(%rows, %c) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %max = "tf.Maximum"(%norm, %other) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %clipped = "tf.RealDiv"(%scaled, %max) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %p = "tf.SparseSegmentSqrtN"(%clipped, %u#1, %seg) {T = f32, Tidx = i32, Tsegmentids = i64} : (tensor<*xf32>, tensor<*xi32>, tensor<*xi64>) -> tensor<*xf32>
  return %p : tensor<*xf32>
}
