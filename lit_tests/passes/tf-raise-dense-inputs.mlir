// tf-raise-dense-inputs: to_sparse_input on a dense categorical input
// becomes emb.sparse_from_dense (run on the host).
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-raise-dense-inputs)' | FileCheck %s

// CHECK-LABEL: func.func @dense_strings
// CHECK-SAME: (%[[X:.+]]: tensor<?x2x!tf.string>)
// CHECK: %[[S:.+]]:3 = "emb.sparse_from_dense"(%[[X]]) {ignore_value = ""} : (tensor<?x2x!tf.string>) -> (tensor<?x2xi64>, tensor<?x!tf.string>, tensor<2xi64>)
// CHECK: return %[[S]]#0, %[[S]]#1, %[[S]]#2
func.func @dense_strings(%x: tensor<?x2x!tf.string>) -> (tensor<*xi64>, tensor<*x!tf.string>, tensor<*xi64>) {
  %ignore = "tf.Const"() {dtype = !tf.string, value = [""]} : () -> tensor<*x!tf.string>
  %ne = "tf.NotEqual"(%x, %ignore) : (tensor<?x2x!tf.string>, tensor<*x!tf.string>) -> tensor<*xi1>
  %i = "tf.Where"(%ne) : (tensor<*xi1>) -> tensor<*xi64>
  %v = "tf.GatherNd"(%x, %i) : (tensor<?x2x!tf.string>, tensor<*xi64>) -> tensor<*x!tf.string>
  %s = "tf.Shape"(%x) {out_type = i64} : (tensor<?x2x!tf.string>) -> tensor<*xi64>
  return %i, %v, %s : tensor<*xi64>, tensor<*x!tf.string>, tensor<*xi64>
}

// -----

// CHECK-LABEL: func.func @dense_ints
// CHECK: "emb.sparse_from_dense"(%{{.+}}) {ignore_value = -1 : i64} : (tensor<?x1xi64>)
func.func @dense_ints(%x: tensor<?x1xi64>) -> tensor<*xi64> {
  %ignore32 = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<i32>} : () -> tensor<*xi32>
  %ignore = "tf.Cast"(%ignore32) {DstT = i64, SrcT = i32} : (tensor<*xi32>) -> tensor<*xi64>
  %ne = "tf.NotEqual"(%x, %ignore) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi1>
  %i = "tf.Where"(%ne) : (tensor<*xi1>) -> tensor<*xi64>
  %v = "tf.GatherNd"(%x, %i) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %v : tensor<*xi64>
}

// -----

/// negative_: kept where x > 0, not where x != ignore: a real filter.
// CHECK-LABEL: func.func @negative_greater
// CHECK: tf.GatherNd
// CHECK-NOT: emb.sparse_from_dense
func.func @negative_greater(%x: tensor<?x1xi64>) -> tensor<*xi64> {
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %gt = "tf.Greater"(%x, %zero) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi1>
  %i = "tf.Where"(%gt) : (tensor<*xi1>) -> tensor<*xi64>
  %v = "tf.GatherNd"(%x, %i) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %v : tensor<*xi64>
}

// -----

/// negative_: the gather reads another tensor than the one compared.
// CHECK-LABEL: func.func @negative_other_tensor
// CHECK: tf.GatherNd
// CHECK-NOT: emb.sparse_from_dense
func.func @negative_other_tensor(%x: tensor<?x1xi64>, %y: tensor<?x1xi64>) -> tensor<*xi64> {
  %ignore = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %ne = "tf.NotEqual"(%x, %ignore) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi1>
  %i = "tf.Where"(%ne) : (tensor<*xi1>) -> tensor<*xi64>
  %v = "tf.GatherNd"(%y, %i) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %v : tensor<*xi64>
}

// -----

// A bucketized column on a [B, 2] input: ids bucket + j * (len + 1).
// CHECK-LABEL: func.func @bucketized
// CHECK: %[[B:.+]]:3 = "emb.bucketized_sparse"(%arg0) {boundaries = array<f64: 0.000000e+00, 1.000000e+00>} : (tensor<?x2xf32>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
// CHECK: return %[[B]]#0, %[[B]]#1, %[[B]]#2
func.func @bucketized(%x: tensor<?x2xf32>) -> (tensor<*xi64>, tensor<*xi32>, tensor<*xi64>) {
  %bz = "tf.Bucketize"(%x) {boundaries = [0.0 : f32, 1.0 : f32]} : (tensor<?x2xf32>) -> tensor<*xi32>
  %shape = "tf.Shape"(%bz) : (tensor<*xi32>) -> tensor<*xi32>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %batch = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %two = "tf.Const"() {dtype = i32, value = dense<2> : tensor<i32>} : () -> tensor<*xi32>
  %r = "tf.Range"(%zero, %batch, %one) : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %e = "tf.ExpandDims"(%r, %one) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %m = "tf.Const"() {dtype = i32, value = dense<[1, 2]> : tensor<2xi32>} : () -> tensor<*xi32>
  %t = "tf.Tile"(%e, %m) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %flat = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<*xi32>
  %rows = "tf.Reshape"(%t, %flat) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %r1 = "tf.Range"(%zero, %two, %one) : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %mult = "tf.Pack"(%batch) : (tensor<*xi32>) -> tensor<*xi32>
  %j = "tf.Tile"(%r1, %mult) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %bflat = "tf.Reshape"(%bz, %flat) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %three = "tf.Const"() {dtype = i32, value = dense<3> : tensor<i32>} : () -> tensor<*xi32>
  %off = "tf.Mul"(%three, %j) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %values = "tf.AddV2"(%bflat, %off) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %stack = "tf.Pack"(%rows, %j) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %perm = "tf.Const"() {dtype = i32, value = dense<[1, 0]> : tensor<2xi32>} : () -> tensor<*xi32>
  %tr = "tf.Transpose"(%stack, %perm) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %indices = "tf.Cast"(%tr) {DstT = i64, SrcT = i32} : (tensor<*xi32>) -> tensor<*xi64>
  %s = "tf.Pack"(%batch, %two) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %dense_shape = "tf.Cast"(%s) {DstT = i64, SrcT = i32} : (tensor<*xi32>) -> tensor<*xi64>
  return %indices, %values, %dense_shape : tensor<*xi64>, tensor<*xi32>, tensor<*xi64>
}

// -----

/// negative_: positions offset by 2 instead of len(boundaries) + 1 = 3 would
/// collide ids; not a bucketized column.
// CHECK-LABEL: func.func @negative_bucketized_wrong_offset
// CHECK-NOT: emb.bucketized_sparse
func.func @negative_bucketized_wrong_offset(%x: tensor<?x2xf32>) -> tensor<*xi32> {
  %bz = "tf.Bucketize"(%x) {boundaries = [0.0 : f32, 1.0 : f32]} : (tensor<?x2xf32>) -> tensor<*xi32>
  %shape = "tf.Shape"(%bz) : (tensor<*xi32>) -> tensor<*xi32>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %batch = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %two = "tf.Const"() {dtype = i32, value = dense<2> : tensor<i32>} : () -> tensor<*xi32>
  %r1 = "tf.Range"(%zero, %two, %one) : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %mult = "tf.Pack"(%batch) : (tensor<*xi32>) -> tensor<*xi32>
  %j = "tf.Tile"(%r1, %mult) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %flat = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<*xi32>
  %bflat = "tf.Reshape"(%bz, %flat) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %off = "tf.Mul"(%two, %j) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %values = "tf.AddV2"(%bflat, %off) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  return %values : tensor<*xi32>
}

// -----

// StringSplitV2 of a [B] string input (tf.strings.split, multi-hot columns).
// CHECK-LABEL: func.func @string_split
// CHECK: %[[S:.+]]:3 = "emb.string_split"(%arg0) {maxsplit = -1 : i64, sep = ";"} : (tensor<?x!tf.string>) -> (tensor<?x2xi64>, tensor<?x!tf.string>, tensor<2xi64>)
// CHECK-NOT: tf.StringSplitV2
// CHECK: return %[[S]]#0, %[[S]]#1, %[[S]]#2
func.func @string_split(%x: tensor<?x!tf.string>) -> (tensor<*xi64>, tensor<*x!tf.string>, tensor<*xi64>) {
  %sep = "tf.Const"() {dtype = !tf.string, value = [";"], value_shape = array<i64>} : () -> tensor<*x!tf.string>
  %s:3 = "tf.StringSplitV2"(%x, %sep) {maxsplit = -1 : i64} : (tensor<?x!tf.string>, tensor<*x!tf.string>) -> (tensor<*xi64>, tensor<*x!tf.string>, tensor<*xi64>)
  return %s#0, %s#1, %s#2 : tensor<*xi64>, tensor<*x!tf.string>, tensor<*xi64>
}

// -----

// An int32 dense input: to_sparse_input works as for int64 (the host sees
// the same values).
// CHECK-LABEL: func.func @int32_dense
// CHECK: "emb.sparse_from_dense"(%arg0) {ignore_value = -1 : i64}
func.func @int32_dense(%x: tensor<?x1xi32>) -> (tensor<*xi64>, tensor<*xi32>, tensor<*xi64>) {
  %m = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<i32>} : () -> tensor<*xi32>
  %ne = "tf.NotEqual"(%x, %m) : (tensor<?x1xi32>, tensor<*xi32>) -> tensor<*xi1>
  %i = "tf.Where"(%ne) : (tensor<*xi1>) -> tensor<*xi64>
  %v = "tf.GatherNd"(%x, %i) : (tensor<?x1xi32>, tensor<*xi64>) -> tensor<*xi32>
  %s = "tf.Shape"(%x) {out_type = i64} : (tensor<?x1xi32>) -> tensor<*xi64>
  return %i, %v, %s : tensor<*xi64>, tensor<*xi32>, tensor<*xi64>
}

// -----

/// negative_: a separator that is not a constant stays.
// CHECK-LABEL: func.func @negative_split_dynamic_sep
// CHECK: "tf.StringSplitV2"
func.func @negative_split_dynamic_sep(%x: tensor<?x!tf.string>, %sep: tensor<!tf.string>) -> tensor<*xi64> {
  %s:3 = "tf.StringSplitV2"(%x, %sep) {maxsplit = -1 : i64} : (tensor<?x!tf.string>, tensor<!tf.string>) -> (tensor<*xi64>, tensor<*x!tf.string>, tensor<*xi64>)
  return %s#0 : tensor<*xi64>
}
