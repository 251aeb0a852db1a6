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

// An operand that is itself a concatenation of lookups (tf-raise-keras-lookup's
// flattened ids, or the layer already raised from them) gives its lookups as
// columns: the layer the function returns has all three.
// CHECK-LABEL: func.func @nested_lookups
// CHECK: %[[C:.+]] = "emb.concat"(%{{.+}}, %{{.+}}, %{{.+}}) : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x16xf32>
// CHECK-NEXT: return %[[C]]
func.func @nested_lookups(%ids: tensor<?xi64>, %rows: tensor<?xi64>) -> tensor<*xf32> {
  %t0 = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %t1 = "emb.table"() {name = "b"} : () -> tensor<10x8xf32>
  %a = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %a2 = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %b = "emb.lookup"(%t1, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x8xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %inner = "tf.ConcatV2"(%a, %a2, %axis) {recom.flattened} : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<*xi32>) -> tensor<?x8xf32>
  %c = "tf.ConcatV2"(%inner, %b, %axis) {N = 2 : i64} : (tensor<?x8xf32>, tensor<?x?xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

// Flattened lookups read by a concatenation that does not raise (an
// interaction with another value, as DLRM's concat of the bottom MLP and the
// embedding layer) are a layer of their own.
// CHECK-LABEL: func.func @flattened_beside_a_dense_value
// CHECK: %[[C:.+]] = "emb.concat"(%{{.+}}, %{{.+}}) : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x8xf32>
// CHECK: "tf.ConcatV2"(%{{.+}}, %[[C]], %{{.+}})
func.func @flattened_beside_a_dense_value(%ids: tensor<?xi64>, %rows: tensor<?xi64>, %h: tensor<?x3xf32>) -> tensor<*xf32> {
  %t0 = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %a = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %a2 = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %inner = "tf.ConcatV2"(%a, %a2, %axis) {recom.flattened} : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<*xi32>) -> tensor<?x8xf32>
  %relu = "tf.Relu"(%h) : (tensor<?x3xf32>) -> tensor<*xf32>
  %c = "tf.ConcatV2"(%relu, %inner, %axis) {N = 2 : i64} : (tensor<*xf32>, tensor<?x8xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

// A numeric column [B, 3]: three lookups of one weighted id in the 1 x 1
// identity table (exact passthrough).
// CHECK-LABEL: func.func @numeric_column
// CHECK-SAME: -> tensor<?x7xf32>
// CHECK: "emb.numeric_input"(%arg2) {column = 0 : i64}
// CHECK: "emb.table"() {name = "recom.identity.1"} : () -> tensor<1x1xf32>
// CHECK: "emb.numeric_input"(%arg2) {column = 1 : i64}
// CHECK: "emb.numeric_input"(%arg2) {column = 2 : i64}
// CHECK: "emb.concat"({{.+}}) : (tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x7xf32>
func.func @numeric_column(%ids: tensor<?xi64>, %rows: tensor<?xi64>, %dense: tensor<?x3xf32>) -> tensor<*xf32> {
  %t0 = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %a = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%a, %dense, %axis) {N = 2 : i64} : (tensor<?x?xf32>, tensor<?x3xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

// normalizer_fn (x - 10) / 20, behind the column's [batch, 1] reshape.
// CHECK-LABEL: func.func @normalized_numeric
// CHECK: "emb.numeric_input"(%arg0) {column = 0 : i64, scale = 2.000000e+01 : f64, shift = 1.000000e+01 : f64}
func.func @normalized_numeric(%x: tensor<?x1xf32>, %ids: tensor<?xi64>, %rows: tensor<?xi64>) -> tensor<*xf32> {
  %ten = "tf.Const"() {dtype = f32, value = dense<10.0> : tensor<f32>} : () -> tensor<*xf32>
  %twenty = "tf.Const"() {dtype = f32, value = dense<20.0> : tensor<f32>} : () -> tensor<*xf32>
  %sub = "tf.Sub"(%x, %ten) : (tensor<?x1xf32>, tensor<*xf32>) -> tensor<*xf32>
  %div = "tf.RealDiv"(%sub, %twenty) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %shape = "tf.Shape"(%div) : (tensor<*xf32>) -> tensor<*xi32>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %b = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %target = "tf.Pack"(%b, %one) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %r = "tf.Reshape"(%div, %target) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %t0 = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %a = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%r, %a, %axis) {N = 2 : i64} : (tensor<*xf32>, tensor<?x?xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

// An indicator column (multi-hot counts of 5 ids): a sum lookup in the 5 x 5
// identity table, ids outside [0, 5) dropped.
// CHECK-LABEL: func.func @indicator
// CHECK: %[[R:.+]] = "emb.coo_rows"(%arg0, %arg1)
// CHECK: %[[T:.+]] = "emb.table"() {name = "recom.identity.5"} : () -> tensor<5x5xf32>
// CHECK: "emb.lookup"(%[[T]], %arg2, %[[R]]) {combiner = "sum", on_out_of_range = "drop"}
func.func @indicator(%ind: tensor<?x2xi64>, %shape: tensor<2xi64>, %ids: tensor<?xi64>, %rows: tensor<?xi64>) -> tensor<*xf32> {
  %minus1 = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %dense = "tf.SparseToDense"(%ind, %shape, %ids, %minus1) : (tensor<?x2xi64>, tensor<2xi64>, tensor<?xi64>, tensor<*xi64>) -> tensor<*xi64>
  %depth = "tf.Const"() {dtype = i32, value = dense<5> : tensor<i32>} : () -> tensor<*xi32>
  %on = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<*xf32>
  %off = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<*xf32>
  %hot = "tf.OneHot"(%dense, %depth, %on, %off) {axis = -1 : i64} : (tensor<*xi64>, tensor<*xi32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %axis2 = "tf.Const"() {dtype = i32, value = dense<-2> : tensor<i32>} : () -> tensor<*xi32>
  %sum = "tf.Sum"(%hot, %axis2) {keep_dims = false} : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %t0 = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %a = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%a, %sum, %axis) {N = 2 : i64} : (tensor<?x?xf32>, tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

/// negative_: a normalizer that is not (x - a) / b (here log) is not raised.
// CHECK-LABEL: func.func @negative_log_normalizer
// CHECK: tf.ConcatV2
// CHECK-NOT: emb.concat
func.func @negative_log_normalizer(%x: tensor<?x1xf32>, %ids: tensor<?xi64>, %rows: tensor<?xi64>) -> tensor<*xf32> {
  %log = "tf.Log"(%x) : (tensor<?x1xf32>) -> tensor<*xf32>
  %t0 = "emb.table"() {name = "a"} : () -> tensor<10x4xf32>
  %a = "emb.lookup"(%t0, %ids, %rows) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x4xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%a, %log, %axis) {N = 2 : i64} : (tensor<?x?xf32>, tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
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

// -----

// A numeric column of an int64 input (numeric_column casts it to f32), and a
// per-feature normalizer (x - mean) / std with one constant per column
// (Keras' Normalization): one emb.numeric_input per column, each with its
// own shift and scale; the integer input is cast on the host.
// CHECK-LABEL: func.func @numeric_kinds
// CHECK: "emb.numeric_input"(%arg0) {column = 0 : i64}
// CHECK: "emb.numeric_input"(%arg1) {column = 0 : i64, scale = 2.000000e+00 : f64, shift = 1.000000e+00 : f64}
// CHECK: "emb.numeric_input"(%arg1) {column = 1 : i64, scale = 4.000000e+00 : f64, shift = 3.000000e+00 : f64}
// CHECK: "emb.concat"
func.func @numeric_kinds(%n: tensor<?x1xi64>, %x: tensor<?x2xf32>) -> tensor<*xf32> {
  %c = "tf.Cast"(%n) {DstT = f32, SrcT = i64} : (tensor<?x1xi64>) -> tensor<?x1xf32>
  %mean = "tf.Const"() {dtype = f32, value = dense<[1.0, 3.0]> : tensor<2xf32>} : () -> tensor<*xf32>
  %std = "tf.Const"() {dtype = f32, value = dense<[2.0, 4.0]> : tensor<2xf32>} : () -> tensor<*xf32>
  %sub = "tf.Sub"(%x, %mean) : (tensor<?x2xf32>, tensor<*xf32>) -> tensor<*xf32>
  %norm = "tf.RealDiv"(%sub, %std) : (tensor<*xf32>, tensor<*xf32>) -> tensor<?x2xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %cat = "tf.ConcatV2"(%c, %norm, %axis) {N = 2 : i64} : (tensor<?x1xf32>, tensor<?x2xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %cat : tensor<*xf32>
}

// -----

/// negative_: a per-column normalizer with the wrong number of constants.
// CHECK-LABEL: func.func @negative_normalizer_width
// CHECK: tf.ConcatV2
// CHECK-NOT: emb.concat
func.func @negative_normalizer_width(%x: tensor<?x2xf32>) -> tensor<*xf32> {
  %mean = "tf.Const"() {dtype = f32, value = dense<[1.0, 3.0, 5.0]> : tensor<3xf32>} : () -> tensor<*xf32>
  %std = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<*xf32>
  %sub = "tf.Sub"(%x, %mean) : (tensor<?x2xf32>, tensor<*xf32>) -> tensor<*xf32>
  %norm = "tf.RealDiv"(%sub, %std) : (tensor<*xf32>, tensor<*xf32>) -> tensor<?x2xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %cat = "tf.ConcatV2"(%norm, %norm, %axis) {N = 2 : i64} : (tensor<?x2xf32>, tensor<?x2xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %cat : tensor<*xf32>
}

// -----

// A weighted indicator column (sparse_merge of (row, id) entries and their
// weights, sliced to [B, 3], summed by ScatterNd): a weighted sum lookup in
// the 3 x 3 identity table, ids outside [0, 3) dropped.
// CHECK-LABEL: func.func @weighted_indicator
// CHECK: %[[R:.+]] = "emb.coo_rows"(%arg0, %arg1)
// CHECK: %[[T:.+]] = "emb.table"() {name = "recom.identity.3"} : () -> tensor<3x3xf32>
// CHECK: "emb.lookup"(%[[T]], %arg2, %[[R]], %arg3) {combiner = "sum", on_out_of_range = "drop"}
// CHECK-NOT: tf.ScatterNd
func.func @weighted_indicator(%ind: tensor<?x2xi64>, %shape: tensor<2xi64>, %ids: tensor<?xi64>, %w: tensor<?xf32>) -> tensor<*xf32> {
  %b0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e0 = "tf.Const"() {dtype = i32, value = dense<[0, -1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %rows = "tf.StridedSlice"(%ind, %b0, %e0, %s1) {Index = i32, T = i64, begin_mask = 3 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 0 : i64} : (tensor<?x2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %col = "tf.ExpandDims"(%ids, %one) : (tensor<?xi64>, tensor<*xi32>) -> tensor<*xi64>
  %merged = "tf.ConcatV2"(%rows, %col, %one) {N = 2 : i64} : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %b1 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %e1 = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<*xi32>
  %t1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %batch = "tf.StridedSlice"(%shape, %b1, %e1, %t1) {Index = i32, T = i64, begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 0 : i64} : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %wconst = "tf.Const"() {dtype = i64, value = dense<3> : tensor<1xi64>} : () -> tensor<*xi64>
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %s2 = "tf.ConcatV2"(%batch, %wconst, %zero) {N = 2 : i64} : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %ro:2 = "tf.SparseReorder"(%merged, %w, %s2) : (tensor<*xi64>, tensor<?xf32>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xf32>)
  %start = "tf.Const"() {dtype = i64, value = dense<0> : tensor<2xi64>} : () -> tensor<*xi64>
  %sl:3 = "tf.SparseSlice"(%ro#0, %ro#1, %s2, %start, %s2) : (tensor<*xi64>, tensor<*xf32>, tensor<*xi64>, tensor<*xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xf32>, tensor<*xi64>)
  %dense = "tf.ScatterNd"(%sl#0, %sl#1, %sl#2) : (tensor<*xi64>, tensor<*xf32>, tensor<*xi64>) -> tensor<?x3xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %cat = "tf.ConcatV2"(%dense, %dense, %axis) {N = 2 : i64} : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %cat : tensor<*xf32>
}

// -----

/// negative_: a slice that does not start at [0, 0] (it drops entries the
/// lookup would keep) is not a weighted indicator.
// CHECK-LABEL: func.func @negative_weighted_indicator_slice
// CHECK: tf.ScatterNd
// CHECK-NOT: emb.concat
func.func @negative_weighted_indicator_slice(%ind: tensor<?x2xi64>, %shape: tensor<2xi64>, %ids: tensor<?xi64>, %w: tensor<?xf32>) -> tensor<*xf32> {
  %b0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e0 = "tf.Const"() {dtype = i32, value = dense<[0, -1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %rows = "tf.StridedSlice"(%ind, %b0, %e0, %s1) {Index = i32, T = i64, begin_mask = 3 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 0 : i64} : (tensor<?x2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %col = "tf.ExpandDims"(%ids, %one) : (tensor<?xi64>, tensor<*xi32>) -> tensor<*xi64>
  %merged = "tf.ConcatV2"(%rows, %col, %one) {N = 2 : i64} : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %b1 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %e1 = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<*xi32>
  %t1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %batch = "tf.StridedSlice"(%shape, %b1, %e1, %t1) {Index = i32, T = i64, begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 0 : i64} : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %wconst = "tf.Const"() {dtype = i64, value = dense<3> : tensor<1xi64>} : () -> tensor<*xi64>
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %s2 = "tf.ConcatV2"(%batch, %wconst, %zero) {N = 2 : i64} : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %ro:2 = "tf.SparseReorder"(%merged, %w, %s2) : (tensor<*xi64>, tensor<?xf32>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xf32>)
  %start = "tf.Const"() {dtype = i64, value = dense<[0, 1]> : tensor<2xi64>} : () -> tensor<*xi64>
  %sl:3 = "tf.SparseSlice"(%ro#0, %ro#1, %s2, %start, %s2) : (tensor<*xi64>, tensor<*xf32>, tensor<*xi64>, tensor<*xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xf32>, tensor<*xi64>)
  %dense = "tf.ScatterNd"(%sl#0, %sl#1, %sl#2) : (tensor<*xi64>, tensor<*xf32>, tensor<*xi64>) -> tensor<?x3xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %cat = "tf.ConcatV2"(%dense, %dense, %axis) {N = 2 : i64} : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %cat : tensor<*xf32>
}
