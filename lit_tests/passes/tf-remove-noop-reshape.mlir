// tf-remove-noop-reshape: reshapes to the shape their input already has.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-remove-noop-reshape)' | FileCheck %s

// A rank-2 SparseTensor flattened to 2-D is itself.
// CHECK-LABEL: func.func @sparse_flatten
// CHECK-NOT: tf.SparseReshape
// CHECK: return %arg0, %arg1
func.func @sparse_flatten(%ind: tensor<?x2xi64>, %shape: tensor<2xi64>) -> (tensor<*xi64>, tensor<*xi64>) {
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %n = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %head = "tf.Slice"(%shape, %b, %n) : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %axes = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %prod = "tf.Prod"(%head, %axes) {keep_dims = false} : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %last = "tf.GatherV2"(%shape, %one, %zero) : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %new = "tf.Pack"(%prod, %last) {N = 2 : i64, axis = 0 : i64} : (tensor<*xi64>, tensor<*xi64>) -> tensor<*xi64>
  %r:2 = "tf.SparseReshape"(%ind, %shape, %new) : (tensor<?x2xi64>, tensor<2xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi64>)
  return %r#0, %r#1 : tensor<*xi64>, tensor<*xi64>
}

// -----

// [rows(x), D] of a [?, D] column output is itself.
// CHECK-LABEL: func.func @batch_by_dim
// CHECK-NOT: tf.Reshape
// CHECK: return %[[L:.+]] :
func.func @batch_by_dim(%ids: tensor<?xi64>, %ind: tensor<?x2xi64>, %shape: tensor<2xi64>) -> tensor<*xf32> {
  %t = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %rows = "emb.coo_rows"(%ind, %shape) : (tensor<?x2xi64>, tensor<2xi64>) -> tensor<?xi64>
  %l = "emb.lookup"(%t, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %s = "tf.Shape"(%l) {out_type = i32} : (tensor<?x?xf32>) -> tensor<*xi32>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %b = "tf.StridedSlice"(%s, %c0, %c1, %c1) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %d = "tf.Const"() {dtype = i32, value = dense<4> : tensor<i32>} : () -> tensor<*xi32>
  %target = "tf.Pack"(%b, %d) {N = 2 : i64, axis = 0 : i64} : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %y = "tf.Reshape"(%l, %target) : (tensor<?x?xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

/// negative_: [rows(x), 2] of a [?, 4] output really reshapes.
// CHECK-LABEL: func.func @negative_other_dim
// CHECK: tf.Reshape
func.func @negative_other_dim(%ids: tensor<?xi64>, %ind: tensor<?x2xi64>, %shape: tensor<2xi64>) -> tensor<*xf32> {
  %t = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %rows = "emb.coo_rows"(%ind, %shape) : (tensor<?x2xi64>, tensor<2xi64>) -> tensor<?xi64>
  %l = "emb.lookup"(%t, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %s = "tf.Shape"(%l) {out_type = i32} : (tensor<?x?xf32>) -> tensor<*xi32>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %b = "tf.StridedSlice"(%s, %c0, %c1, %c1) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %d = "tf.Const"() {dtype = i32, value = dense<2> : tensor<i32>} : () -> tensor<*xi32>
  %target = "tf.Pack"(%b, %d) {N = 2 : i64, axis = 0 : i64} : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %y = "tf.Reshape"(%l, %target) : (tensor<?x?xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

/// negative_: a rank-3 SparseTensor's flatten is a real reshape.
// CHECK-LABEL: func.func @negative_rank_3
// CHECK: tf.SparseReshape
func.func @negative_rank_3(%ind: tensor<?x3xi64>, %shape: tensor<3xi64>, %new: tensor<*xi64>) -> tensor<*xi64> {
  %r:2 = "tf.SparseReshape"(%ind, %shape, %new) : (tensor<?x3xi64>, tensor<3xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi64>)
  return %r#0 : tensor<*xi64>
}

// -----

// Symbolically (after tf-shape-construct): the target [s0, 4] is the
// lookup's [dense_shape[0], dim].
// CHECK-LABEL: func.func @symbolic_restore
// CHECK-NOT: tf.Reshape
// CHECK: return %[[L:.+]] :
func.func @symbolic_restore(%ids: tensor<?xi64>, %ind: tensor<?x2xi64>, %shape: tensor<2xi64>) -> tensor<*xf32>
    attributes {symshape.arg_shapes = ["[s2]", "[s3, 2]", "[2]"], symshape.arg_values = ["?", "?", "[s0, s1]"]} {
  %s0 = "symshape.symbol"() {name = "shape[0]", dim = 0 : i64, facts = ["non_negative"]} : () -> index
  %sc:2 = "symshape.shape_construct"(%s0) {exprs = ["s0", "4"]} : (index) -> (index, index)
  %e = tensor.from_elements %sc#0, %sc#1 : tensor<2xindex>
  %target = arith.index_cast %e : tensor<2xindex> to tensor<2xi32>
  %t = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %rows = "emb.coo_rows"(%ind, %shape) : (tensor<?x2xi64>, tensor<2xi64>) -> tensor<?xi64>
  %l = "emb.lookup"(%t, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %y = "tf.Reshape"(%l, %target) : (tensor<?x?xf32>, tensor<2xi32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

/// negative_: a symbolic target [s1, 4] (the shape's width, not its rows).
// CHECK-LABEL: func.func @negative_symbolic_other_rows
// CHECK: tf.Reshape
func.func @negative_symbolic_other_rows(%ids: tensor<?xi64>, %ind: tensor<?x2xi64>, %shape: tensor<2xi64>) -> tensor<*xf32>
    attributes {symshape.arg_shapes = ["[s2]", "[s3, 2]", "[2]"], symshape.arg_values = ["?", "?", "[s0, s1]"]} {
  %s0 = "symshape.symbol"() {name = "shape[0]", dim = 0 : i64, facts = ["non_negative"]} : () -> index
  %s1 = "symshape.symbol"() {name = "shape[1]", dim = 0 : i64, facts = ["non_negative"]} : () -> index
  %sc:2 = "symshape.shape_construct"(%s0, %s1) {exprs = ["s1", "4"]} : (index, index) -> (index, index)
  %e = tensor.from_elements %sc#0, %sc#1 : tensor<2xindex>
  %target = arith.index_cast %e : tensor<2xindex> to tensor<2xi32>
  %t = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %rows = "emb.coo_rows"(%ind, %shape) : (tensor<?x2xi64>, tensor<2xi64>) -> tensor<?xi64>
  %l = "emb.lookup"(%t, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %y = "tf.Reshape"(%l, %target) : (tensor<?x?xf32>, tensor<2xi32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}
