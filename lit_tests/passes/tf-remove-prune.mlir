// tf-remove-prune: the ids >= 0 check goes where the ids are provably
// non-negative (hash buckets, filters with a default) and stays for user ids
// and vocabularies whose default is -1.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-remove-prune)' | FileCheck %s

// CHECK-LABEL: func.func @hashed
// CHECK-NOT: tf.GatherV2
// CHECK: return %arg1, %[[H:.+]] :
func.func @hashed(%s: tensor<?x!tf.string>, %ind: tensor<?x2xi64>) -> (tensor<*xi64>, tensor<*xi64>) {
  %ids = "emb.hash_bucket"(%s) {num_buckets = 100 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %ge = "tf.GreaterEqual"(%ids, %zero) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %w = "tf.Where"(%ge) : (tensor<*xi1>) -> tensor<*xi64>
  %flat = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<*xi32>
  %keep = "tf.Reshape"(%w, %flat) : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %i2 = "tf.GatherV2"(%ind, %keep, %axis) : (tensor<?x2xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %v2 = "tf.GatherV2"(%ids, %keep, %axis) : (tensor<?xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  return %i2, %v2 : tensor<*xi64>, tensor<*xi64>
}

// -----

/// negative_: user ids (a function argument) keep their check.
// CHECK-LABEL: func.func @negative_user_ids
// CHECK-COUNT-2: tf.GatherV2
func.func @negative_user_ids(%ids: tensor<?xi64>, %ind: tensor<?x2xi64>) -> (tensor<*xi64>, tensor<*xi64>) {
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %ge = "tf.GreaterEqual"(%ids, %zero) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %w = "tf.Where"(%ge) : (tensor<*xi1>) -> tensor<*xi64>
  %flat = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<*xi32>
  %keep = "tf.Reshape"(%w, %flat) : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %i2 = "tf.GatherV2"(%ind, %keep, %axis) : (tensor<?x2xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %v2 = "tf.GatherV2"(%ids, %keep, %axis) : (tensor<?xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  return %i2, %v2 : tensor<*xi64>, tensor<*xi64>
}

// -----

/// negative_: a vocabulary whose out-of-vocabulary id is -1 keeps its check.
// CHECK-LABEL: func.func @negative_vocabulary_default_minus_one
// CHECK: tf.GatherV2
func.func @negative_vocabulary_default_minus_one(%s: tensor<?x!tf.string>) -> tensor<*xi64> {
  %ids = "emb.vocabulary"(%s) {keys = ["a"], default_id = -1 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %ge = "tf.GreaterEqual"(%ids, %zero) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %w = "tf.Where"(%ge) : (tensor<*xi1>) -> tensor<*xi64>
  %flat = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<*xi32>
  %keep = "tf.Reshape"(%w, %flat) : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %v2 = "tf.GatherV2"(%ids, %keep, %axis) : (tensor<?xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  return %v2 : tensor<*xi64>
}

// -----

/// negative_: a check against 1 (not the >= 0 prune) stays even for hashed ids.
// CHECK-LABEL: func.func @negative_threshold_one
// CHECK: tf.GatherV2
func.func @negative_threshold_one(%s: tensor<?x!tf.string>) -> tensor<*xi64> {
  %ids = "emb.hash_bucket"(%s) {num_buckets = 100 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  %one = "tf.Const"() {dtype = i64, value = dense<1> : tensor<i64>} : () -> tensor<*xi64>
  %ge = "tf.GreaterEqual"(%ids, %one) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %w = "tf.Where"(%ge) : (tensor<*xi1>) -> tensor<*xi64>
  %flat = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<1xi32>} : () -> tensor<*xi32>
  %keep = "tf.Reshape"(%w, %flat) : (tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %v2 = "tf.GatherV2"(%ids, %keep, %axis) : (tensor<?xi64>, tensor<*xi64>, tensor<*xi32>) -> tensor<*xi64>
  return %v2 : tensor<*xi64>
}
