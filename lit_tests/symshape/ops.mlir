// Round trip of every symshape op.
// RUN: %recom_opt %s --pass-pipeline='builtin.module(recom-verify)' | %recom_opt | FileCheck %s

// CHECK-LABEL: func.func @shapes
func.func @shapes(%ids: tensor<?xi64>, %dense: tensor<?x3xf32>) -> (index, index, index) {
  // CHECK: %[[B:.+]] = "symshape.symbol"(%{{.+}}) {dim = 0 : i64, facts = ["non_negative", "non_zero"], name = "B"} : (tensor<?x3xf32>) -> index
  %b = "symshape.symbol"(%dense) {name = "B", dim = 0 : i64, facts = ["non_negative", "non_zero"]} : (tensor<?x3xf32>) -> index
  // CHECK: %[[N:.+]] = "symshape.symbol"(%{{.+}}) {dim = 0 : i64, facts = ["non_negative"], name = "nnz"}
  %n = "symshape.symbol"(%ids) {name = "nnz", dim = 0 : i64, facts = ["non_negative"]} : (tensor<?xi64>) -> index
  // A symbol without a generator (bound by the caller).
  // CHECK: "symshape.symbol"() {dim = 0 : i64, facts = [], name = "free"} : () -> index
  %free = "symshape.symbol"() {name = "free", dim = 0 : i64, facts = []} : () -> index
  // CHECK: %[[M:.+]] = "symshape.expr"(%[[B]], %[[N]]) {kind = "mul"} : (index, index) -> index
  %m = "symshape.expr"(%b, %n) {kind = "mul"} : (index, index) -> index
  // CHECK: "symshape.expr"(%[[M]], %[[B]], %[[N]]) {kind = "select"} : (index, index, index) -> index
  %s = "symshape.expr"(%m, %b, %n) {kind = "select"} : (index, index, index) -> index
  // CHECK: %{{.+}}:2 = "symshape.shape_construct"(%[[B]], %[[N]]) {exprs = ["s0 * 8 + 1", "max(s0, s1) ceildiv 4"]} : (index, index) -> (index, index)
  %c:2 = "symshape.shape_construct"(%b, %n) {exprs = ["s0 * 8 + 1", "max(s0, s1) ceildiv 4"]} : (index, index) -> (index, index)
  return %s, %c#0, %c#1 : index, index, index
}
