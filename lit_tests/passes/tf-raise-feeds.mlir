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

// -----

// A [B] input used only as ExpandDims(x, -1) (a feature column on a rank-1
// input) is a [B, 1] argument; the ExpandDims go.
// CHECK-LABEL: func.func @rank1_column
// CHECK-SAME: (%[[X:.+]]: tensor<?x1xf32> {recom.feed = "price"})
// CHECK-NOT: tf.ExpandDims
// CHECK: "tf.Bucketize"(%[[X]])
func.func @rank1_column() -> tensor<*xi32> {
  %x = "tf.Placeholder"() {dtype = f32, shape = array<i64: -1>} : () -> tensor<*xf32> loc("price")
  %axis = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<i32>} : () -> tensor<*xi32>
  %e = "tf.ExpandDims"(%x, %axis) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %b = "tf.Bucketize"(%e) {boundaries = [0.0 : f32]} : (tensor<*xf32>) -> tensor<*xi32>
  return %b : tensor<*xi32>
}

// -----

/// negative_: a [B] input also used directly stays [B].
// CHECK-LABEL: func.func @negative_rank1_used_directly
// CHECK-SAME: (%{{.+}}: tensor<?xf32> {recom.feed = "x"})
// CHECK: "tf.ExpandDims"
func.func @negative_rank1_used_directly() -> (tensor<*xf32>, tensor<*xf32>) {
  %x = "tf.Placeholder"() {dtype = f32, shape = array<i64: -1>} : () -> tensor<*xf32> loc("x")
  %axis = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<i32>} : () -> tensor<*xi32>
  %e = "tf.ExpandDims"(%x, %axis) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %e, %x : tensor<*xf32>, tensor<*xf32>
}
