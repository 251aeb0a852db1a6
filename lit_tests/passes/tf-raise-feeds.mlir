// tf-raise-feeds: placeholders become function arguments with their static
// shape and their TF node name in recom.feed.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(func.func(tf-raise-feeds))' | FileCheck %s

// CHECK-LABEL: func.func @feeds
// CHECK-SAME: (%[[V:.+]]: tensor<?x!tf.string> {recom.feed = "a/values"}, %[[I:.+]]: tensor<?x2xi64> {recom.feed = "a/indices"}, %[[S:.+]]: tensor<2xi64> {recom.feed = "a/shape"})
// CHECK-NOT: tf.Placeholder
// CHECK: "tf.StringToHashBucketFast"(%[[V]])
// CHECK: "tf.Use"(%[[I]], %[[S]])
func.func @feeds() -> tensor<*xi64> {
  %v = "tf.Placeholder"() {dtype = !tf.string, shape = array<i64: -1>} : () -> tensor<*x!tf.string> loc("a/values")
  %i = "tf.Placeholder"() {dtype = i64, shape = array<i64: -1, 2>} : () -> tensor<*xi64> loc("a/indices")
  %d = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<2xi64>} : () -> tensor<*xi64>
  %s = "tf.PlaceholderWithDefault"(%d) {dtype = i64, shape = array<i64: 2>} : (tensor<*xi64>) -> tensor<*xi64> loc("a/shape")
  %h = "tf.StringToHashBucketFast"(%v) {num_buckets = 10 : i64} : (tensor<*x!tf.string>) -> tensor<*xi64>
  "tf.Use"(%i, %s) : (tensor<*xi64>, tensor<*xi64>) -> ()
  return %h : tensor<*xi64>
}

// -----

/// negative_: existing arguments stay first; new ones are appended.
// CHECK-LABEL: func.func @negative_existing_arguments
// CHECK-SAME: (%{{.+}}: tensor<4xf32>, %{{.+}}: tensor<?xi64> {recom.feed = "ids"})
func.func @negative_existing_arguments(%x: tensor<4xf32>) -> tensor<*xi64> {
  %v = "tf.Placeholder"() {dtype = i64, shape = array<i64: -1>} : () -> tensor<*xi64> loc("ids")
  return %v : tensor<*xi64>
}
