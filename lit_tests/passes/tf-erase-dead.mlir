// tf-erase-dead: unused tf ops go, table initializations with their last reader.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(func.func(tf-erase-dead))' | FileCheck %s

// CHECK-LABEL: func.func @dead
// CHECK-NOT: tf.
// CHECK: return %arg0
func.func @dead(%x: tensor<?xi64>) -> tensor<?xi64> {
  %s = "tf.Shape"(%x) {out_type = i32} : (tensor<?xi64>) -> tensor<*xi32>
  %c = "tf.Cast"(%s) {DstT = i64, SrcT = i32} : (tensor<*xi32>) -> tensor<*xi64>
  %t = "tf.HashTableV2"() {key_dtype = i64, value_dtype = i64} : () -> tensor<*x!tf.resource>
  %k = "tf.Const"() {dtype = i64, value = dense<[5]> : tensor<1xi64>} : () -> tensor<*xi64>
  "tf.LookupTableImportV2"(%t, %k, %k) : (tensor<*x!tf.resource>, tensor<*xi64>, tensor<*xi64>) -> ()
  "tf.NoOp"() {control_inputs = ["init"]} : () -> ()
  return %x : tensor<?xi64>
}

// -----

/// negative_: a table that is still read keeps its initialization.
// CHECK-LABEL: func.func @negative_table_still_read
// CHECK: tf.HashTableV2
// CHECK: tf.LookupTableImportV2
// CHECK: tf.LookupTableFindV2
func.func @negative_table_still_read(%x: tensor<?xi64>) -> tensor<*xi64> {
  %t = "tf.HashTableV2"() {key_dtype = i64, value_dtype = i64} : () -> tensor<*x!tf.resource>
  %k = "tf.Const"() {dtype = i64, value = dense<[5]> : tensor<1xi64>} : () -> tensor<*xi64>
  "tf.LookupTableImportV2"(%t, %k, %k) : (tensor<*x!tf.resource>, tensor<*xi64>, tensor<*xi64>) -> ()
  %d = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %y = "tf.LookupTableFindV2"(%t, %x, %d) : (tensor<*x!tf.resource>, tensor<?xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %y : tensor<*xi64>
}
