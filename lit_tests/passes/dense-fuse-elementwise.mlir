// dense-fuse-elementwise: chains of dense.map become one map.
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(dense-fuse-elementwise)' | FileCheck %s

// CHECK-LABEL: func.func @chain
// CHECK: %[[M:.+]] = "dense.map"(%arg1, %arg0) {expr = "sigmoid(add(mul(x1, 2.0), x0))"}
// CHECK-NEXT: return %[[M]]
func.func @chain(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %a = "dense.map"(%x) {expr = "mul(x0, 2.0)"} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %b = "dense.map"(%a, %y) {expr = "add(x0, x1)"} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %c = "dense.map"(%b) {expr = "sigmoid(x0)"} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %c : tensor<?x4xf32>
}

// -----

// An input both maps read is read once.
// CHECK-LABEL: func.func @shared_input
// CHECK: "dense.map"(%arg0) {expr = "mul(x0, neg(x0))"}
func.func @shared_input(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %a = "dense.map"(%x) {expr = "neg(x0)"} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  %b = "dense.map"(%x, %a) {expr = "mul(x0, x1)"} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %b : tensor<?x4xf32>
}

// -----

// negative_: a map with a second user (logits and prediction) and a
// producer that is not a map stay apart.
// CHECK-LABEL: func.func @negative_shared_or_not_map
// CHECK: %[[L:.+]] = "dense.map"(%arg0) {expr = "add(x0, 0.5)"}
// CHECK: %[[P:.+]] = "dense.map"(%[[L]]) {expr = "sigmoid(x0)"}
// CHECK: %[[R:.+]] = "dense.reduce"
// CHECK: "dense.map"(%[[R]]) {expr = "neg(x0)"}
func.func @negative_shared_or_not_map(%x: tensor<?x1xf32>) -> (tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>) {
  %l = "dense.map"(%x) {expr = "add(x0, 0.5)"} : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %p = "dense.map"(%l) {expr = "sigmoid(x0)"} : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %r = "dense.reduce"(%x) {reduction = "sum"} : (tensor<?x1xf32>) -> tensor<?x1xf32>
  %n = "dense.map"(%r) {expr = "neg(x0)"} : (tensor<?x1xf32>) -> tensor<?x1xf32>
  return %l, %p, %n : tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x1xf32>
}
