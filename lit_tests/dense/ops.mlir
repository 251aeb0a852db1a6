// Every op of the dense dialect parses, verifies and prints back.
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-verify)' | %recom_opt | FileCheck %s

// CHECK-LABEL: func.func @all_ops
// CHECK: "dense.weight"
// CHECK: "dense.linear"
// CHECK: "dense.broadcast"
// CHECK: "dense.map"
// CHECK: "dense.concat"
// CHECK: "dense.reduce"
// CHECK: "dense.reshape"
func.func @all_ops(%x: tensor<?x4xf32>, %f: tensor<?x2xf32>) -> tensor<?xf32> {
  %w = "dense.weight"() {name = "w"} : () -> tensor<4x2xf32>
  %b = "dense.weight"() {name = "b"} : () -> tensor<2xf32>
  %l = "dense.linear"(%x, %w, %b) {activation = "relu"} : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  %bb = "dense.broadcast"(%b) : (tensor<2xf32>) -> tensor<?x2xf32>
  %m = "dense.map"(%l, %bb, %f) {expr = "tanh(max(mul(x0, x1), x2))"} : (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<?x2xf32>
  %c = "dense.concat"(%m, %x) : (tensor<?x2xf32>, tensor<?x4xf32>) -> tensor<?x6xf32>
  %r = "dense.reduce"(%c) {reduction = "mean"} : (tensor<?x6xf32>) -> tensor<?x1xf32>
  %s = "dense.reshape"(%r) : (tensor<?x1xf32>) -> tensor<?xf32>
  return %s : tensor<?xf32>
}
