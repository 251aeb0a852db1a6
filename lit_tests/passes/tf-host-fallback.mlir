// tf-host-fallback: input-layer columns still computed by tf ops run on the host.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-host-fallback)' | FileCheck %s

// A column of unraised tf ops (width 4 from its type) beside a raised one:
// it becomes the graph output its node names; the raised one stays.
// It says why (here: no matcher refused anything; the tf ops left).
// CHECK-LABEL: func.func @fallback_column
// CHECK: %[[H:.+]] = "emb.tf_output"() {node = "col_b/Reshape", why = "tf ops left: tf.Sqrt"} : () -> tensor<?x4xf32>
// CHECK: "tf.ConcatV2"(%[[L:.+]], %[[H]], %{{.+}})
func.func @fallback_column(%ids: tensor<?xi64>, %offs: tensor<?xi64>, %x: tensor<?x4xf32>) -> tensor<*xf32> {
  %t = "emb.table"() {name = "a"} : () -> tensor<10x2xf32>
  %l = "emb.lookup"(%t, %ids, %offs) {combiner = "sum", on_out_of_range = "error"} : (tensor<10x2xf32>, tensor<?xi64>, tensor<?xi64>) -> tensor<?x?xf32>
  %s = "tf.Sqrt"(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("col_b/Reshape")
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%l, %s, %axis) : (tensor<?x?xf32>, tensor<?x4xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

// A second result of a node is named node:k.
// CHECK-LABEL: func.func @second_result
// CHECK: "emb.tf_output"() {node = "multi:1", why = "tf ops left: tf.Multi"} : () -> tensor<?x3xf32>
func.func @second_result(%x: tensor<?x3xf32>) -> tensor<*xf32> {
  %m:2 = "tf.Multi"(%x) : (tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) loc("multi")
  %axis = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%x, %m#1, %axis) : (tensor<?x3xf32>, tensor<?x3xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}

// -----

// negative_: an operand of unknown width, one that is not f32, an inner
// concatenation (an interaction layer's input), and a concat along axis 0
// are left alone.
// CHECK-LABEL: func.func @negative_left_alone
// CHECK-NOT: emb.tf_output
func.func @negative_left_alone(%x: tensor<*xf32>, %i: tensor<?x2xi64>, %y: tensor<?x4xf32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %u = "tf.Sqrt"(%x) : (tensor<*xf32>) -> tensor<*xf32> loc("unknown_width")
  %n = "tf.Cast"(%i) : (tensor<?x2xi64>) -> tensor<?x2xi64> loc("ints")
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %inner = "tf.ConcatV2"(%y, %y, %axis) : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<*xi32>) -> tensor<?x8xf32> loc("inner")
  %c = "tf.ConcatV2"(%u, %n, %inner, %axis) : (tensor<*xf32>, tensor<?x2xi64>, tensor<?x8xf32>, tensor<*xi32>) -> tensor<*xf32>
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %s = "tf.Sqrt"(%y) : (tensor<?x4xf32>) -> tensor<?x4xf32> loc("rows")
  %d = "tf.ConcatV2"(%s, %s, %zero) : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c, %d : tensor<*xf32>, tensor<*xf32>
}

// -----

// negative_: columns tf-raise-input-layer raises as they are stay tf ops
// beside the one that falls back: an indicator column (multi-hot counts)
// and a numeric column's normalizer (x - a) / b.
// CHECK-LABEL: func.func @negative_input_layer_columns
// CHECK: %[[SUM:.+]] = "tf.Sum"
// CHECK: %[[NORM:.+]] = "tf.RealDiv"
// CHECK: %[[H:.+]] = "emb.tf_output"() {node = "other"
// CHECK-NOT: emb.tf_output
// CHECK: "tf.ConcatV2"(%[[SUM]], %[[NORM]], %[[H]],
func.func @negative_input_layer_columns(%ind: tensor<?x2xi64>, %shape: tensor<2xi64>, %ids: tensor<?xi64>, %x: tensor<?x1xf32>, %y: tensor<?x2xf32>) -> tensor<*xf32> {
  %minus1 = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %dense = "tf.SparseToDense"(%ind, %shape, %ids, %minus1) : (tensor<?x2xi64>, tensor<2xi64>, tensor<?xi64>, tensor<*xi64>) -> tensor<*xi64>
  %depth = "tf.Const"() {dtype = i32, value = dense<5> : tensor<i32>} : () -> tensor<*xi32>
  %on = "tf.Const"() {dtype = f32, value = dense<1.0> : tensor<f32>} : () -> tensor<*xf32>
  %off = "tf.Const"() {dtype = f32, value = dense<0.0> : tensor<f32>} : () -> tensor<*xf32>
  %hot = "tf.OneHot"(%dense, %depth, %on, %off) {axis = -1 : i64} : (tensor<*xi64>, tensor<*xi32>, tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %axis2 = "tf.Const"() {dtype = i32, value = dense<-2> : tensor<i32>} : () -> tensor<*xi32>
  %sum = "tf.Sum"(%hot, %axis2) {keep_dims = false} : (tensor<*xf32>, tensor<*xi32>) -> tensor<?x5xf32> loc("indicator")
  %a = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<*xf32>
  %b = "tf.Const"() {dtype = f32, value = dense<4.0> : tensor<f32>} : () -> tensor<*xf32>
  %sub = "tf.Sub"(%x, %a) : (tensor<?x1xf32>, tensor<*xf32>) -> tensor<*xf32>
  %norm = "tf.RealDiv"(%sub, %b) : (tensor<*xf32>, tensor<*xf32>) -> tensor<?x1xf32> loc("normalized")
  %o = "tf.Sqrt"(%y) : (tensor<?x2xf32>) -> tensor<?x2xf32> loc("other")
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%sum, %norm, %o, %axis) {N = 3 : i64} : (tensor<?x5xf32>, tensor<?x1xf32>, tensor<?x2xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}
