// tf-shape-construct: symbolic shapes data ops use come from ONE
// symshape.shape_construct over the symbols; constant shapes fold; no-op
// reshapes go. (After tf-infer-shapes, whose annotations it reads.)
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(func.func(tf-infer-shapes,tf-shape-construct,tf-erase-dead))' | FileCheck %s

// CHECK-LABEL: func.func @reroot
// CHECK: %[[S0:.+]] = "symshape.symbol"(%arg0) {{.*}}name = "x#0"
// CHECK: %[[SC:.+]]:2 = "symshape.shape_construct"(%[[S0]]) {exprs = ["s0", "3"]}
// CHECK: %[[E:.+]] = tensor.from_elements %[[SC]]#0, %[[SC]]#1 : tensor<2xindex>
// CHECK: %[[C:.+]] = arith.index_cast %[[E]] : tensor<2xindex> to tensor<2xi32>
// CHECK-NOT: tf.Shape
// CHECK-NOT: tf.StridedSlice
// CHECK-NOT: tf.Pack
// CHECK: "tf.Fill"(%[[C]],
func.func @reroot(%x: tensor<?x4xf32> {recom.feed = "x"}) -> tensor<*xf32> {
  %shape = "tf.Shape"(%x) : (tensor<?x4xf32>) -> tensor<*xi32>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %b = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, end_mask = 0 : i64, shrink_axis_mask = 1 : i64, ellipsis_mask = 0 : i64, new_axis_mask = 0 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %three = "tf.Const"() {dtype = i32, value = dense<3> : tensor<i32>} : () -> tensor<*xi32>
  %dims = "tf.Pack"(%b, %three) {axis = 0 : i64} : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %zero = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<*xf32>
  %f = "tf.Fill"(%dims, %zero) : (tensor<*xi32>, tensor<*xf32>) -> tensor<*xf32>
  return %f : tensor<*xf32>
}

// -----

// A reshape of x to [x.shape[0], 4] keeps its shape: it goes; a constant
// shape computation folds to a tf.Const.
// CHECK-LABEL: func.func @noop_and_fold
// CHECK-NOT: tf.Reshape
// CHECK: %[[K:.+]] = "tf.Const"() {dtype = i32, value = dense<[1, 4]> : tensor<2xi32>}
// CHECK: "tf.Tile"(%arg0, %[[K]])
func.func @noop_and_fold(%x: tensor<?x4xf32> {recom.feed = "x"}) -> tensor<*xf32> {
  %shape = "tf.Shape"(%x) : (tensor<?x4xf32>) -> tensor<*xi32>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %c2 = "tf.Const"() {dtype = i32, value = dense<2> : tensor<1xi32>} : () -> tensor<*xi32>
  %b = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, end_mask = 0 : i64, shrink_axis_mask = 1 : i64, ellipsis_mask = 0 : i64, new_axis_mask = 0 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %four = "tf.Const"() {dtype = i32, value = dense<4> : tensor<i32>} : () -> tensor<*xi32>
  %target = "tf.Pack"(%b, %four) {axis = 0 : i64} : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %r = "tf.Reshape"(%x, %target) : (tensor<?x4xf32>, tensor<*xi32>) -> tensor<*xf32>
  %d = "tf.StridedSlice"(%shape, %c1, %c2, %c1) {begin_mask = 0 : i64, end_mask = 0 : i64, shrink_axis_mask = 1 : i64, ellipsis_mask = 0 : i64, new_axis_mask = 0 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %m = "tf.Pack"(%one, %d) {axis = 0 : i64} : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %t = "tf.Tile"(%r, %m) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %t : tensor<*xf32>
}

// -----

/// negative_: a reshape to [x.shape[0] * 2, 2] changes the shape: it stays
/// (its target re-rooted on the shape program).
// CHECK-LABEL: func.func @negative_real_reshape
// CHECK: "symshape.shape_construct"{{.*}}exprs = ["s0 * 2", "2"]
// CHECK: "tf.Reshape"(%arg0,
func.func @negative_real_reshape(%x: tensor<?x4xf32> {recom.feed = "x"}) -> tensor<*xf32> {
  %shape = "tf.Shape"(%x) : (tensor<?x4xf32>) -> tensor<*xi32>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %b = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, end_mask = 0 : i64, shrink_axis_mask = 1 : i64, ellipsis_mask = 0 : i64, new_axis_mask = 0 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %two = "tf.Const"() {dtype = i32, value = dense<2> : tensor<i32>} : () -> tensor<*xi32>
  %b2 = "tf.Mul"(%b, %two) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %target = "tf.Pack"(%b2, %two) {axis = 0 : i64} : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %r = "tf.Reshape"(%x, %target) : (tensor<?x4xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %r : tensor<*xf32>
}

// -----

/// negative_: shapes only other shape computations use are not re-rooted
/// (nothing to construct: no shape_construct).
// CHECK-LABEL: func.func @negative_only_shape_users
// CHECK-NOT: symshape.shape_construct
func.func @negative_only_shape_users(%x: tensor<?x4xf32> {recom.feed = "x"}) -> tensor<*xi32> {
  %shape = "tf.Shape"(%x) : (tensor<?x4xf32>) -> tensor<*xi32>
  %c = "tf.Cast"(%shape) : (tensor<*xi32>) -> tensor<*xi32>
  return %c : tensor<*xi32>
}
