// tf-infer-shapes: symbolic shapes and small integer contents, one split per
// op family. Symbols: `s<k>` is the k-th symshape.symbol of the function.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(func.func(tf-infer-shapes))' | FileCheck %s

// Inputs: dynamic dims and the content of a dense_shape become symbols.
// CHECK-LABEL: func.func @inputs
// CHECK: "symshape.symbol"(%arg0) {dim = 0 : i64, facts = ["non_negative"], name = "ids#0"}
// CHECK: "symshape.symbol"() {dim = 0 : i64, facts = ["non_negative"], name = "shape[0]"}
// CHECK: "symshape.symbol"() {dim = 0 : i64, facts = ["non_negative"], name = "shape[1]"}
// CHECK: "tf.Shape"(%arg0) {{{.*}}symshape.shapes = ["[1]"], symshape.values = ["[s0]"]}
// CHECK: "tf.Identity"(%arg1) {{{.*}}symshape.shapes = ["[2]"], symshape.values = ["[s1, s2]"]}
func.func @inputs(%ids: tensor<?xi64> {recom.feed = "ids"}, %shape: tensor<2xi64> {recom.feed = "shape"}) -> (tensor<*xi32>, tensor<*xi64>) {
  %s = "tf.Shape"(%ids) : (tensor<?xi64>) -> tensor<*xi32>
  %i = "tf.Identity"(%shape) : (tensor<2xi64>) -> tensor<*xi64>
  return %s, %i : tensor<*xi32>, tensor<*xi64>
}

// -----

// Shape-vector arithmetic: Slice, Prod, GatherV2, Pack, Cast, StridedSlice, ConcatV2.
// CHECK-LABEL: func.func @shape_vectors
// CHECK: "tf.Slice"{{.*}}symshape.values = ["[s0]"]
// CHECK: "tf.Prod"{{.*}}symshape.values = ["[s0]"]
// CHECK: "tf.GatherV2"{{.*}}symshape.values = ["[s1]"]
// CHECK: "tf.Pack"{{.*}}symshape.shapes = ["[2]"], symshape.values = ["[s0, s1]"]
// CHECK: "tf.Cast"{{.*}}symshape.values = ["[s0, s1]"]
// CHECK: "tf.StridedSlice"{{.*}}symshape.shapes = ["[]"], symshape.values = ["[s1]"]
// CHECK: "tf.ConcatV2"{{.*}}symshape.shapes = ["[3]"], symshape.values = ["[s0, s1, 8]"]
func.func @shape_vectors(%shape: tensor<2xi64> {recom.feed = "shape"}) -> tensor<*xi64> {
  %b = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %n = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %head = "tf.Slice"(%shape, %b, %n) : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %prod = "tf.Prod"(%head, %b) {keep_dims = false} : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %last = "tf.GatherV2"(%shape, %one, %zero) : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %new = "tf.Pack"(%prod, %last) {axis = 0 : i64} : (tensor<*xi64>, tensor<*xi64>) -> tensor<*xi64>
  %c = "tf.Cast"(%new) : (tensor<*xi64>) -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<2> : tensor<1xi32>} : () -> tensor<*xi32>
  %second = "tf.StridedSlice"(%c, %n, %e, %n) {begin_mask = 0 : i64, end_mask = 0 : i64, shrink_axis_mask = 1 : i64, ellipsis_mask = 0 : i64, new_axis_mask = 0 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %eight = "tf.Const"() {dtype = i64, value = dense<8> : tensor<1xi64>} : () -> tensor<*xi64>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %cat = "tf.ConcatV2"(%new, %eight, %axis) : (tensor<*xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  return %cat : tensor<*xi64>
}

// -----

// Reshape with -1, Fill, Range, Tile, ExpandDims, elementwise broadcasting.
// CHECK-LABEL: func.func @data_shapes
// CHECK: "tf.Reshape"{{.*}}symshape.shapes = ["[s0 * 4 floordiv 2, 2]"]
// CHECK: "tf.Fill"{{.*}}symshape.shapes = ["[s0, 3]"]
// CHECK: "tf.Range"{{.*}}symshape.shapes = ["[3]"], symshape.values = ["[0, 1, 2]"]
// CHECK: "tf.ExpandDims"{{.*}}symshape.shapes = ["[s0, 1, 4]"]
// CHECK: "tf.Tile"{{.*}}symshape.shapes = ["[s0, 2, 4]"]
// CHECK: "tf.AddV2"{{.*}}symshape.shapes = ["[s0, 2, 4]"]
func.func @data_shapes(%x: tensor<?x4xf32> {recom.feed = "x"}) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xi32>, tensor<*xf32>) {
  %t = "tf.Const"() {dtype = i32, value = dense<[-1, 2]> : tensor<2xi32>} : () -> tensor<*xi32>
  %r = "tf.Reshape"(%x, %t) : (tensor<?x4xf32>, tensor<*xi32>) -> tensor<*xf32>
  %shape = "tf.Shape"(%x) : (tensor<?x4xf32>) -> tensor<*xi32>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %b = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, end_mask = 0 : i64, shrink_axis_mask = 1 : i64, ellipsis_mask = 0 : i64, new_axis_mask = 0 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %three = "tf.Const"() {dtype = i32, value = dense<3> : tensor<i32>} : () -> tensor<*xi32>
  %dims = "tf.Pack"(%b, %three) {axis = 0 : i64} : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %zero = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<*xf32>
  %f = "tf.Fill"(%dims, %zero) : (tensor<*xi32>, tensor<*xf32>) -> tensor<*xf32>
  %z = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %range = "tf.Range"(%z, %three, %one) : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %e = "tf.ExpandDims"(%x, %one) : (tensor<?x4xf32>, tensor<*xi32>) -> tensor<*xf32>
  %m = "tf.Const"() {dtype = i32, value = dense<[1, 2, 1]> : tensor<3xi32>} : () -> tensor<*xi32>
  %tile = "tf.Tile"(%e, %m) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %sum = "tf.AddV2"(%tile, %e) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %r, %f, %range, %sum : tensor<*xf32>, tensor<*xf32>, tensor<*xi32>, tensor<*xf32>
}

// -----

// Data-dependent sizes get fresh symbols named after the node; equal sizes merge.
// CHECK-LABEL: func.func @data_dependent
// CHECK: "symshape.symbol"(%arg0) {dim = 0 : i64, facts = ["non_negative"], name = "indices#0"}
// CHECK: "symshape.symbol"(%arg1) {dim = 0 : i64, equal_to = 0 : i64, facts = ["non_negative"], name = "values#0"}
// CHECK: name = "keep:count"
// CHECK: name = "fill:filled"
// CHECK: "tf.Where"{{.*}}symshape.shapes = ["[s4, 1]"]
// CHECK: "tf.SparseFillEmptyRows"{{.*}}symshape.shapes = ["[s5, 2]", "[s5]", "[s2]", "[s0]"]
func.func @data_dependent(%ind: tensor<?x2xi64> {recom.feed = "indices"}, %values: tensor<?xi64> {recom.feed = "values"}, %shape: tensor<2xi64> {recom.feed = "shape"}) -> (tensor<*xi64>, tensor<*xi64>) {
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %ge = "tf.GreaterEqual"(%values, %zero) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %w = "tf.Where"(%ge) : (tensor<*xi1>) -> tensor<*xi64> loc("keep")
  %f:4 = "tf.SparseFillEmptyRows"(%ind, %values, %shape, %zero) : (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi64>, tensor<*xi1>, tensor<*xi64>) loc("fill")
  return %w, %f#1 : tensor<*xi64>, tensor<*xi64>
}

// -----

// Batched products (DeepCTR's cross layers) and Squeeze: [B, 4, 1] x [B, 1, 4]
// -> [B, 4, 4]; adj_x transposes the left operand's last two dims; Squeeze
// of dim 2 (or of every dim known to be 1).
// CHECK-LABEL: func.func @batched
// CHECK: "tf.BatchMatMulV2"(%arg0, %arg1) {{{.*}}symshape.shapes = ["[s0, 4, 4]"]}
// CHECK: "tf.BatchMatMulV2"(%arg0, %arg0) {{{.*}}symshape.shapes = ["[s0, 1, 1]"]}
// CHECK: "tf.Squeeze"(%arg0) {{{.*}}symshape.shapes = ["[s0, 4]"]}
func.func @batched(%x: tensor<?x4x1xf32> {recom.feed = "x"}, %y: tensor<?x1x4xf32> {recom.feed = "y"}) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %p = "tf.BatchMatMulV2"(%x, %y) {adj_x = false, adj_y = false} : (tensor<?x4x1xf32>, tensor<?x1x4xf32>) -> tensor<*xf32>
  %q = "tf.BatchMatMulV2"(%x, %x) {adj_x = true, adj_y = false} : (tensor<?x4x1xf32>, tensor<?x4x1xf32>) -> tensor<*xf32>
  %s = "tf.Squeeze"(%x) {squeeze_dims = [2]} : (tensor<?x4x1xf32>) -> tensor<*xf32>
  return %p, %q, %s : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

/// negative_: a Squeeze of a dim not known to be 1 (or of every dim, some
/// symbolic) stays unknown.
// CHECK-LABEL: func.func @negative_squeeze
// CHECK: "tf.Squeeze"(%arg0) {{{.*}}symshape.shapes = ["?"]}
// CHECK: "tf.Squeeze"(%arg0) {{{.*}}symshape.shapes = ["?"]}
func.func @negative_squeeze(%x: tensor<?x4x1xf32> {recom.feed = "x"}) -> (tensor<*xf32>, tensor<*xf32>) {
  %a = "tf.Squeeze"(%x) {squeeze_dims = [1]} : (tensor<?x4x1xf32>) -> tensor<*xf32>
  %b = "tf.Squeeze"(%x) {squeeze_dims = []} : (tensor<?x4x1xf32>) -> tensor<*xf32>
  return %a, %b : tensor<*xf32>, tensor<*xf32>
}

// -----

/// negative_: an op without a rule gets an unknown shape, not a guess.
// CHECK-LABEL: func.func @negative_unknown_op
// CHECK: "tf.FancyOp"(%arg0) {symshape.shapes = ["?"]}
// CHECK: "tf.Shape"{{.*}}symshape.shapes = ["?"]
func.func @negative_unknown_op(%x: tensor<?x4xf32> {recom.feed = "x"}) -> tensor<*xi32> {
  %y = "tf.FancyOp"(%x) : (tensor<?x4xf32>) -> tensor<*xf32>
  %s = "tf.Shape"(%y) : (tensor<*xf32>) -> tensor<*xi32>
  return %s : tensor<*xi32>
}

// -----

// Sparse ops: SparseReshape (-1 resolved from the old shape), Unique,
// SparseSegment* (rows data-dependent, or given), GatherNd, SparseToDense.
// CHECK-LABEL: func.func @sparse_ops
// CHECK: "tf.SparseReshape"{{.*}}symshape.shapes = ["[s0, 2]", "[2]"], symshape.values = ["?", "[s2 * s3 floordiv 5, 5]"]
// CHECK: "tf.Unique"{{.*}}symshape.shapes = ["[s4]", "[s1]"]
// CHECK: "tf.SparseSegmentSum"{{.*}}symshape.shapes = ["[s5, 8]"]
// CHECK: "tf.SparseSegmentMeanWithNumSegments"{{.*}}symshape.shapes = ["[s2, 8]"]
// CHECK: "tf.GatherNd"{{.*}}symshape.shapes = ["[s0]"]
// CHECK: "tf.SparseToDense"{{.*}}symshape.shapes = ["[s2, s3]"]
func.func @sparse_ops(%ind: tensor<?x2xi64> {recom.feed = "i"}, %ids: tensor<?xi64> {recom.feed = "v"}, %shape: tensor<2xi64> {recom.feed = "s"}, %table: tensor<10x8xf32> {recom.feed = "t"}) -> (tensor<*xi64>, tensor<*xf32>, tensor<*xf32>, tensor<*xi64>, tensor<*xi64>) {
  %new = "tf.Const"() {dtype = i64, value = dense<[-1, 5]> : tensor<2xi64>} : () -> tensor<*xi64>
  %r:2 = "tf.SparseReshape"(%ind, %shape, %new) : (tensor<?x2xi64>, tensor<2xi64>, tensor<*xi64>) -> (tensor<*xi64>, tensor<*xi64>)
  %u:2 = "tf.Unique"(%ids) : (tensor<?xi64>) -> (tensor<*xi64>, tensor<*xi32>)
  %z = "tf.Const"() {dtype = i32, value = dense<0> : tensor<2xi32>} : () -> tensor<*xi32>
  %e = "tf.Const"() {dtype = i32, value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<*xi32>
  %o = "tf.Const"() {dtype = i32, value = dense<1> : tensor<2xi32>} : () -> tensor<*xi32>
  %seg = "tf.StridedSlice"(%ind, %z, %e, %o) {begin_mask = 1 : i64, end_mask = 1 : i64, shrink_axis_mask = 2 : i64, ellipsis_mask = 0 : i64, new_axis_mask = 0 : i64} : (tensor<?x2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %p = "tf.SparseSegmentSum"(%table, %ids, %seg) : (tensor<10x8xf32>, tensor<?xi64>, tensor<*xi64>) -> tensor<*xf32>
  %c0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %c1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %rows = "tf.StridedSlice"(%shape, %c0, %c1, %c1) {begin_mask = 0 : i64, end_mask = 0 : i64, shrink_axis_mask = 1 : i64, ellipsis_mask = 0 : i64, new_axis_mask = 0 : i64} : (tensor<2xi64>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi64>
  %q = "tf.SparseSegmentMeanWithNumSegments"(%table, %ids, %seg, %rows) : (tensor<10x8xf32>, tensor<?xi64>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xf32>
  %g = "tf.GatherNd"(%shape, %ind) : (tensor<2xi64>, tensor<?x2xi64>) -> tensor<*xi64>
  %minus1 = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %d = "tf.SparseToDense"(%ind, %shape, %ids, %minus1) : (tensor<?x2xi64>, tensor<2xi64>, tensor<?xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %r#0, %p, %q, %g, %d : tensor<*xi64>, tensor<*xf32>, tensor<*xf32>, tensor<*xi64>, tensor<*xi64>
}

// -----

// Dense layers: MatMul (inner dims merged), Transpose, OneHot, Sum.
// CHECK-LABEL: func.func @dense_ops
// CHECK: "tf.MatMul"{{.*}}symshape.shapes = ["[s0, 16]"]
// CHECK: "tf.Transpose"{{.*}}symshape.shapes = ["[16, s0]"]
// CHECK: "tf.OneHot"{{.*}}symshape.shapes = ["[s1, 3, 5]"]
// CHECK: "tf.Sum"{{.*}}symshape.shapes = ["[s1, 5]"]
func.func @dense_ops(%x: tensor<?x8xf32> {recom.feed = "x"}, %w: tensor<8x16xf32> {recom.feed = "w"}, %ids: tensor<?x3xi64> {recom.feed = "ids"}) -> (tensor<*xf32>, tensor<*xf32>) {
  %m = "tf.MatMul"(%x, %w) {transpose_a = false, transpose_b = false} : (tensor<?x8xf32>, tensor<8x16xf32>) -> tensor<*xf32>
  %perm = "tf.Const"() {dtype = i32, value = dense<[1, 0]> : tensor<2xi32>} : () -> tensor<*xi32>
  %t = "tf.Transpose"(%m, %perm) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %depth = "tf.Const"() {dtype = i32, value = dense<5> : tensor<i32>} : () -> tensor<*xi32>
  %on = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<*xf32>
  %off = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<*xf32>
  %h = "tf.OneHot"(%ids, %depth, %on, %off) {axis = -1 : i64} : (tensor<?x3xi64>, tensor<*xi32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<-2> : tensor<i32>} : () -> tensor<*xi32>
  %s = "tf.Sum"(%h, %axis) {keep_dims = false} : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %t, %s : tensor<*xf32>, tensor<*xf32>
}

// -----

// StringSplitV2: a SparseTensor of n tokens whose dense shape is [rows of
// the input, most tokens in a row].
// CHECK-LABEL: func.func @string_split
// CHECK: "tf.StringSplitV2"{{.*}}symshape.shapes = ["[s1, 2]", "[s1]", "[2]"], symshape.values = ["?", "?", "[s0, s2]"]
func.func @string_split(%x: tensor<?x!tf.string> {recom.feed = "x"}) -> tensor<*xi64> {
  %sep = "tf.Const"() {dtype = !tf.string, value = [";"], value_shape = array<i64>} : () -> tensor<*x!tf.string>
  %s:3 = "tf.StringSplitV2"(%x, %sep) {maxsplit = -1 : i64} : (tensor<?x!tf.string>, tensor<*x!tf.string>) -> (tensor<*xi64>, tensor<*x!tf.string>, tensor<*xi64>)
  return %s#2 : tensor<*xi64>
}
