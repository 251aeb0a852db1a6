// tf-raise-dense: the dense part of a model becomes the dense dialect.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-raise-dense)' | FileCheck %s

// An MLP layer and a sigmoid head on the embedding layer's output.
// CHECK-LABEL: func.func @mlp
// CHECK: %[[W:.+]] = "dense.weight"() {name = "w0"} : () -> tensor<6x3xf32>
// CHECK: %[[L:.+]] = "dense.linear"(%arg0, %[[W]]) {activation = "none"} : (tensor<?x6xf32>, tensor<6x3xf32>) -> tensor<?x3xf32>
// CHECK: %[[B:.+]] = "dense.weight"() {name = "b0"} : () -> tensor<3xf32>
// CHECK: %[[BB:.+]] = "dense.broadcast"(%[[B]]) : (tensor<3xf32>) -> tensor<?x3xf32>
// CHECK: %[[A:.+]] = "dense.map"(%[[L]], %[[BB]]) {expr = "add(x0, x1)"}
// CHECK: %[[R:.+]] = "dense.map"(%[[A]]) {expr = "relu(x0)"}
// CHECK: %[[H:.+]] = "dense.map"(%[[R]]) {expr = "mul(x0, 0.5)"}
// CHECK: "dense.map"(%[[H]]) {expr = "sigmoid(x0)"}
// CHECK-NOT: "tf.
func.func @mlp(%x: tensor<?x6xf32>) -> tensor<*xf32> {
  %w = "tf.Const"() {dtype = f32, value_ref = "w0", value_shape = array<i64: 6, 3>} : () -> tensor<*xf32>
  %b = "tf.Const"() {dtype = f32, value = dense<[0.1, 0.2, 0.3]> : tensor<3xf32>} : () -> tensor<*xf32> loc("b0")
  %m = "tf.MatMul"(%x, %w) {transpose_a = false, transpose_b = false} : (tensor<?x6xf32>, tensor<*xf32>) -> tensor<*xf32>
  %a = "tf.BiasAdd"(%m, %b) {data_format = "NHWC"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %r = "tf.Relu"(%a) : (tensor<*xf32>) -> tensor<*xf32>
  %h = "tf.Const"() {dtype = f32, value = dense<0.5> : tensor<f32>} : () -> tensor<*xf32>
  %s = "tf.Mul"(%r, %h) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %p = "tf.Sigmoid"(%s) : (tensor<*xf32>) -> tensor<*xf32>
  return %p : tensor<*xf32>
}

// -----

// A width-1 head (logits): its one-element BiasAdd bias stays a weight (a
// broadcast vector, which dense-fuse-epilogue folds into the GEMM), while a
// one-element Add operand is a literal.
// CHECK-LABEL: func.func @logits
// CHECK: %[[L:.+]] = "dense.linear"(%arg0, %{{.+}}) {activation = "none"} : (tensor<?x4xf32>, tensor<4x1xf32>) -> tensor<?x1xf32>
// CHECK: %[[B:.+]] = "dense.weight"() {name = "logits_bias"} : () -> tensor<1xf32>
// CHECK: %[[BB:.+]] = "dense.broadcast"(%[[B]]) : (tensor<1xf32>) -> tensor<?x1xf32>
// CHECK: %[[A:.+]] = "dense.map"(%[[L]], %[[BB]]) {expr = "add(x0, x1)"}
// CHECK: "dense.map"(%[[A]]) {expr = "add(x0, 2.0)"}
func.func @logits(%x: tensor<?x4xf32>) -> tensor<*xf32> {
  %w = "tf.Const"() {dtype = f32, value_ref = "logits_kernel", value_shape = array<i64: 4, 1>} : () -> tensor<*xf32>
  %b = "tf.Const"() {dtype = f32, value = dense<[-0.25]> : tensor<1xf32>} : () -> tensor<*xf32> loc("logits_bias")
  %m = "tf.MatMul"(%x, %w) {transpose_a = false, transpose_b = false} : (tensor<?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %a = "tf.BiasAdd"(%m, %b) {data_format = "NHWC"} : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %two = "tf.Const"() {dtype = f32, value = dense<[2.0]> : tensor<1xf32>} : () -> tensor<*xf32>
  %s = "tf.AddV2"(%a, %two) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %s : tensor<*xf32>
}

// -----

// A transposed weight, a concat of two dense values, a reshape to [-1] and a mean.
// CHECK-LABEL: func.func @shapes
// CHECK: "dense.linear"(%arg0, %{{.+}}) {activation = "none", transpose_weight = true} : (tensor<?x4xf32>, tensor<2x4xf32>) -> tensor<?x2xf32>
// CHECK: "dense.concat"(%{{.+}}, %arg1) : (tensor<?x2xf32>, tensor<?x3xf32>) -> tensor<?x5xf32>
// CHECK: "dense.reduce"(%{{.+}}) {reduction = "mean"} : (tensor<?x5xf32>) -> tensor<?x1xf32>
// CHECK: "dense.reshape"(%{{.+}}) : (tensor<?x1xf32>) -> tensor<?xf32>
func.func @shapes(%x: tensor<?x4xf32>, %d: tensor<?x3xf32>) -> tensor<*xf32> {
  %w = "tf.Const"() {dtype = f32, value_ref = "wt", value_shape = array<i64: 2, 4>} : () -> tensor<*xf32>
  %m = "tf.MatMul"(%x, %w) {transpose_a = false, transpose_b = true} : (tensor<?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%m, %d, %axis) : (tensor<*xf32>, tensor<?x3xf32>, tensor<*xi32>) -> tensor<*xf32>
  %axes = "tf.Const"() {dtype = i32, value = dense<[-1]> : tensor<1xi32>} : () -> tensor<*xi32>
  %mean = "tf.Mean"(%c, %axes) {keep_dims = true} : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %shape = "tf.Const"() {dtype = i32, value = dense<[-1]> : tensor<1xi32>} : () -> tensor<*xi32>
  %flat = "tf.Reshape"(%mean, %shape) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %flat : tensor<*xf32>
}

// -----

// negative_: a MatMul of two dense values, a transposed input, a reduction
// over the batch, a reshape that moves rows and a concat along the batch stay.
// CHECK-LABEL: func.func @negative_not_dense_layers
// CHECK: "tf.MatMul"(%arg0, %arg1)
// CHECK: "tf.MatMul"(%arg0, %{{.+}}) {transpose_a = true
// CHECK: "tf.Sum"
// CHECK: "tf.Reshape"
// CHECK: "tf.ConcatV2"
// CHECK-NOT: "dense.linear"
func.func @negative_not_dense_layers(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %a = "tf.MatMul"(%x, %y) {transpose_a = false, transpose_b = true} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<*xf32>
  %w = "tf.Const"() {dtype = f32, value_ref = "w", value_shape = array<i64: 4, 4>} : () -> tensor<*xf32>
  %b = "tf.MatMul"(%x, %w) {transpose_a = true, transpose_b = false} : (tensor<?x4xf32>, tensor<*xf32>) -> tensor<*xf32>
  %axes = "tf.Const"() {dtype = i32, value = dense<[0]> : tensor<1xi32>} : () -> tensor<*xi32>
  %s = "tf.Sum"(%x, %axes) {keep_dims = false} : (tensor<?x4xf32>, tensor<*xi32>) -> tensor<*xf32>
  %shape = "tf.Const"() {dtype = i32, value = dense<[-1, 2]> : tensor<2xi32>} : () -> tensor<*xi32>
  %r = "tf.Reshape"(%x, %shape) : (tensor<?x4xf32>, tensor<*xi32>) -> tensor<*xf32>
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%x, %y, %zero) : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %a, %b, %s, %r, %c : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}

// -----

// negative_: an int64 operand and an operand that is still a tf op stay.
// CHECK-LABEL: func.func @negative_operands
// CHECK: "tf.Relu"(%arg0)
// CHECK: "tf.Sigmoid"
// CHECK-NOT: "dense.map"
func.func @negative_operands(%i: tensor<?x4xi64>, %x: tensor<*xf32>) -> (tensor<*xi64>, tensor<*xf32>) {
  %r = "tf.Relu"(%i) : (tensor<?x4xi64>) -> tensor<*xi64>
  %u = "tf.Unknown"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  %s = "tf.Sigmoid"(%u) : (tensor<*xf32>) -> tensor<*xf32>
  return %r, %s : tensor<*xi64>, tensor<*xf32>
}

// -----

/// negative_: a numeric column's normalizer (x - a) / b read by an input
/// layer's concatenation belongs to that column (tf-raise-input-layer
/// raises it into the fused kernel): it is not made a dense.map.
// CHECK-LABEL: func.func @negative_numeric_column
// CHECK: "tf.Sub"
// CHECK: "tf.RealDiv"
// CHECK-NOT: dense.map
func.func @negative_numeric_column(%x: tensor<?x1xf32>, %y: tensor<?x3xf32>) -> tensor<*xf32> {
  %a = "tf.Const"() {dtype = f32, value = dense<2.0> : tensor<f32>} : () -> tensor<*xf32>
  %b = "tf.Const"() {dtype = f32, value = dense<4.0> : tensor<f32>} : () -> tensor<*xf32>
  %sub = "tf.Sub"(%x, %a) : (tensor<?x1xf32>, tensor<*xf32>) -> tensor<*xf32>
  %norm = "tf.RealDiv"(%sub, %b) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %c = "tf.ConcatV2"(%norm, %y, %axis) {N = 2 : i64} : (tensor<*xf32>, tensor<?x3xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %c : tensor<*xf32>
}
