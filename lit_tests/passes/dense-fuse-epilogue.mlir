// dense-fuse-epilogue: bias and ReLU after a linear layer become its epilogue.
// RUN: %recom_opt %s --split-input-file --pass-pipeline='builtin.module(dense-fuse-epilogue)' | FileCheck %s

// CHECK-LABEL: func.func @bias_relu
// CHECK: %[[W:.+]] = "dense.weight"() {name = "w"}
// CHECK: %[[B:.+]] = "dense.weight"() {name = "b"}
// CHECK-NEXT: %[[L:.+]] = "dense.linear"(%arg0, %[[W]], %[[B]]) {activation = "relu"}
// CHECK-NOT: dense.map
// CHECK-NOT: dense.broadcast
// CHECK: return %[[L]]
func.func @bias_relu(%x: tensor<?x4xf32>) -> tensor<?x3xf32> {
  %w = "dense.weight"() {name = "w"} : () -> tensor<4x3xf32>
  %l = "dense.linear"(%x, %w) {activation = "none"} : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %b = "dense.weight"() {name = "b"} : () -> tensor<3xf32>
  %bb = "dense.broadcast"(%b) : (tensor<3xf32>) -> tensor<?x3xf32>
  %a = "dense.map"(%bb, %l) {expr = "add(x0, x1)"} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %r = "dense.map"(%a) {expr = "relu(x0)"} : (tensor<?x3xf32>) -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

// negative_: the linear's result has another user, the addend is batched,
// and a ReLU comes before the bias.
// CHECK-LABEL: func.func @negative_epilogues
// CHECK: "dense.linear"(%arg0, %{{.+}}) {activation = "none"}
// CHECK: "dense.map"(%{{.+}}, %{{.+}}) {expr = "add(x0, x1)"}
// CHECK: "dense.linear"(%arg0, %{{.+}}) {activation = "none"}
// CHECK: "dense.map"(%{{.+}}, %arg1) {expr = "add(x0, x1)"}
// CHECK: "dense.linear"(%arg0, %{{.+}}) {activation = "none"}
// CHECK: "dense.map"(%{{.+}}, %{{.+}}) {expr = "add(relu(x0), x1)"}
func.func @negative_epilogues(%x: tensor<?x4xf32>, %y: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>) {
  %w = "dense.weight"() {name = "w"} : () -> tensor<4x3xf32>
  %b = "dense.weight"() {name = "b"} : () -> tensor<3xf32>
  %bb = "dense.broadcast"(%b) : (tensor<3xf32>) -> tensor<?x3xf32>
  %l1 = "dense.linear"(%x, %w) {activation = "none"} : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %a1 = "dense.map"(%l1, %bb) {expr = "add(x0, x1)"} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %l2 = "dense.linear"(%x, %w) {activation = "none"} : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %a2 = "dense.map"(%l2, %y) {expr = "add(x0, x1)"} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %l3 = "dense.linear"(%x, %w) {activation = "none"} : (tensor<?x4xf32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  %a3 = "dense.map"(%l3, %bb) {expr = "add(relu(x0), x1)"} : (tensor<?x3xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  return %a1, %l1, %a2, %a3 : tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>, tensor<?x3xf32>
}
