// tf-raise-dense-inputs: to_sparse_input on a dense categorical input
// becomes emb.sparse_from_dense (run on the host).
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-raise-dense-inputs)' | FileCheck %s

// CHECK-LABEL: func.func @dense_strings
// CHECK-SAME: (%[[X:.+]]: tensor<?x2x!tf.string>)
// CHECK: %[[S:.+]]:3 = "emb.sparse_from_dense"(%[[X]]) {ignore_value = ""} : (tensor<?x2x!tf.string>) -> (tensor<?x2xi64>, tensor<?x!tf.string>, tensor<2xi64>)
// CHECK: return %[[S]]#0, %[[S]]#1, %[[S]]#2
func.func @dense_strings(%x: tensor<?x2x!tf.string>) -> (tensor<*xi64>, tensor<*x!tf.string>, tensor<*xi64>) {
  %ignore = "tf.Const"() {dtype = !tf.string, value = [""]} : () -> tensor<*x!tf.string>
  %ne = "tf.NotEqual"(%x, %ignore) : (tensor<?x2x!tf.string>, tensor<*x!tf.string>) -> tensor<*xi1>
  %i = "tf.Where"(%ne) : (tensor<*xi1>) -> tensor<*xi64>
  %v = "tf.GatherNd"(%x, %i) : (tensor<?x2x!tf.string>, tensor<*xi64>) -> tensor<*x!tf.string>
  %s = "tf.Shape"(%x) {out_type = i64} : (tensor<?x2x!tf.string>) -> tensor<*xi64>
  return %i, %v, %s : tensor<*xi64>, tensor<*x!tf.string>, tensor<*xi64>
}

// -----

// CHECK-LABEL: func.func @dense_ints
// CHECK: "emb.sparse_from_dense"(%{{.+}}) {ignore_value = -1 : i64} : (tensor<?x1xi64>)
func.func @dense_ints(%x: tensor<?x1xi64>) -> tensor<*xi64> {
  %ignore32 = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<i32>} : () -> tensor<*xi32>
  %ignore = "tf.Cast"(%ignore32) {DstT = i64, SrcT = i32} : (tensor<*xi32>) -> tensor<*xi64>
  %ne = "tf.NotEqual"(%x, %ignore) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi1>
  %i = "tf.Where"(%ne) : (tensor<*xi1>) -> tensor<*xi64>
  %v = "tf.GatherNd"(%x, %i) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %v : tensor<*xi64>
}

// -----

/// negative_: kept where x > 0, not where x != ignore: a real filter.
// CHECK-LABEL: func.func @negative_greater
// CHECK: tf.GatherNd
// CHECK-NOT: emb.sparse_from_dense
func.func @negative_greater(%x: tensor<?x1xi64>) -> tensor<*xi64> {
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %gt = "tf.Greater"(%x, %zero) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi1>
  %i = "tf.Where"(%gt) : (tensor<*xi1>) -> tensor<*xi64>
  %v = "tf.GatherNd"(%x, %i) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %v : tensor<*xi64>
}

// -----

/// negative_: the gather reads another tensor than the one compared.
// CHECK-LABEL: func.func @negative_other_tensor
// CHECK: tf.GatherNd
// CHECK-NOT: emb.sparse_from_dense
func.func @negative_other_tensor(%x: tensor<?x1xi64>, %y: tensor<?x1xi64>) -> tensor<*xi64> {
  %ignore = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %ne = "tf.NotEqual"(%x, %ignore) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi1>
  %i = "tf.Where"(%ne) : (tensor<*xi1>) -> tensor<*xi64>
  %v = "tf.GatherNd"(%y, %i) : (tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %v : tensor<*xi64>
}
