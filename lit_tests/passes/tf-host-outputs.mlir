// tf-host-outputs: outputs still computed by tf ops run on the host.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-host-outputs)' | FileCheck %s

// CHECK-LABEL: func.func @host_output
// CHECK: %[[H:.+]] = "emb.tf_output"() {node = "fm/sum"} : () -> tensor<?x1xf32>
// CHECK: return %[[H]], %arg1
func.func @host_output(%x: tensor<?x4x8xf32>, %y: tensor<?x2xf32>) -> (tensor<*xf32>, tensor<?x2xf32>) {
  %axes = "tf.Const"() {dtype = i32, value = dense<[1, 2]> : tensor<2xi32>} : () -> tensor<*xi32>
  %s = "tf.Sum"(%x, %axes) {keep_dims = false, symshape.shapes = ["[s0, 1]"]} : (tensor<?x4x8xf32>, tensor<*xi32>) -> tensor<*xf32> loc("fm/sum")
  return %s, %y : tensor<*xf32>, tensor<?x2xf32>
}

// -----

/// negative_: an output of unknown width, an int64 output and a raised one stay.
// CHECK-LABEL: func.func @negative_outputs
// CHECK-NOT: emb.tf_output
func.func @negative_outputs(%x: tensor<*xf32>, %i: tensor<?x1xi64>, %d: tensor<?x3xf32>) -> (tensor<*xf32>, tensor<*xi64>, tensor<?x3xf32>) {
  %a = "tf.Sqrt"(%x) : (tensor<*xf32>) -> tensor<*xf32> loc("unknown")
  %b = "tf.Abs"(%i) {symshape.shapes = ["[s0, 1]"]} : (tensor<?x1xi64>) -> tensor<*xi64> loc("ints")
  %c = "dense.map"(%d) {expr = "neg(x0)"} : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %a, %b, %c : tensor<*xf32>, tensor<*xi64>, tensor<?x3xf32>
}
