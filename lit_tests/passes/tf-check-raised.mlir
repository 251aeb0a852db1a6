// tf-check-raised: the coverage report lists EVERY tf op left (op type and
// TF node name) in one error; constants are data and are not listed.
// RUN: not %recom_opt %s --allow-unregistered-dialect --pass-pipeline='builtin.module(tf-check-raised)' 2>&1 | FileCheck %s
// CHECK: error: 2 TensorFlow node(s) were not raised and recom cannot run them: 'col/Bucketize' (Bucketize), 'col/Cross' (SparseCross)
func.func @left(%x: tensor<?xf32>) -> (tensor<*xi32>, tensor<*xi64>) {
  %c = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64> loc("col/zero")
  %b = "tf.Bucketize"(%x) {boundaries = [0.0 : f32]} : (tensor<?xf32>) -> tensor<*xi32> loc("col/Bucketize")
  %y = "tf.SparseCross"(%c) : (tensor<*xi64>) -> tensor<*xi64> loc("col/Cross")
  return %b, %y : tensor<*xi32>, tensor<*xi64>
}
// A fully raised module passes: see lit_tests/pipelines/recom-tf-raise.mlir.
