// tf-raise-id-transforms: hash buckets, the identity column's range check
// and vocabularies become emb ops.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-raise-id-transforms)' | FileCheck %s

// CHECK-LABEL: func.func @hash
// CHECK: "emb.hash_bucket"(%arg0) {num_buckets = 100 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
// CHECK: "emb.hash_bucket"(%arg1) {num_buckets = 7 : i64} : (tensor<?xi64>) -> tensor<?xi64>
// CHECK-NOT: tf.StringToHashBucketFast
func.func @hash(%s: tensor<?x!tf.string>, %x: tensor<?xi64>) -> (tensor<*xi64>, tensor<*xi64>) {
  %h = "tf.StringToHashBucketFast"(%s) {num_buckets = 100 : i64} : (tensor<?x!tf.string>) -> tensor<*xi64>
  %a = "tf.AsString"(%x) {T = i64, fill = "", precision = -1 : i64, scientific = false, shortest = false, width = -1 : i64} : (tensor<?xi64>) -> tensor<*x!tf.string>
  %g = "tf.StringToHashBucketFast"(%a) {num_buckets = 7 : i64} : (tensor<*x!tf.string>) -> tensor<*xi64>
  return %h, %g : tensor<*xi64>, tensor<*xi64>
}

// -----

// CHECK-LABEL: func.func @identity_default
// CHECK: "emb.range_filter"(%arg0) {default_id = 3 : i64, hi = 50 : i64, lo = 0 : i64, on_out_of_range = "default"}
func.func @identity_default(%x: tensor<?xi64>) -> tensor<*xi64> {
  %lo = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %hi32 = "tf.Const"() {dtype = i32, value = dense<50> : tensor<i32>} : () -> tensor<*xi32>
  %hi = "tf.Cast"(%hi32) {DstT = i64, SrcT = i32} : (tensor<*xi32>) -> tensor<*xi64>
  %d = "tf.Const"() {dtype = i64, value = dense<3> : tensor<i64>} : () -> tensor<*xi64>
  %shape = "tf.Shape"(%x) {out_type = i32} : (tensor<?xi64>) -> tensor<*xi32>
  %below = "tf.Less"(%x, %lo) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %above = "tf.GreaterEqual"(%x, %hi) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %out = "tf.LogicalOr"(%below, %above) : (tensor<*xi1>, tensor<*xi1>) -> tensor<*xi1>
  %fill = "tf.Fill"(%shape, %d) : (tensor<*xi32>, tensor<*xi64>) -> tensor<*xi64>
  %y = "tf.SelectV2"(%out, %fill, %x) : (tensor<*xi1>, tensor<*xi64>, tensor<?xi64>) -> tensor<*xi64>
  return %y : tensor<*xi64>
}

// -----

// CHECK-LABEL: func.func @vocabulary
// CHECK: "emb.vocabulary"(%arg0) {default_id = -1 : i64, keys = ["x", "y", "z"]} : (tensor<?x!tf.string>) -> tensor<?xi64>
func.func @vocabulary(%s: tensor<?x!tf.string>) -> tensor<*xi64> {
  %t = "tf.HashTableV2"() {key_dtype = !tf.string, value_dtype = i64} : () -> tensor<*x!tf.resource>
  %keys = "tf.Const"() {dtype = !tf.string, value = ["x", "y", "z"]} : () -> tensor<*x!tf.string>
  %start = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %limit = "tf.Const"() {dtype = i32, value = dense<3> : tensor<i32>} : () -> tensor<*xi32>
  %delta = "tf.Const"() {dtype = i32, value = dense<1> : tensor<i32>} : () -> tensor<*xi32>
  %r = "tf.Range"(%start, %limit, %delta) : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %v = "tf.Cast"(%r) {DstT = i64, SrcT = i32} : (tensor<*xi32>) -> tensor<*xi64>
  "tf.LookupTableImportV2"(%t, %keys, %v) : (tensor<*x!tf.resource>, tensor<*x!tf.string>, tensor<*xi64>) -> ()
  %d = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %y = "tf.LookupTableFindV2"(%t, %s, %d) : (tensor<*x!tf.resource>, tensor<?x!tf.string>, tensor<*xi64>) -> tensor<*xi64>
  return %y : tensor<*xi64>
}

// -----

/// negative_: AsString with a width is not the default decimal format.
// CHECK-LABEL: func.func @negative_formatted_as_string
// CHECK: tf.StringToHashBucketFast
// CHECK-NOT: emb.hash_bucket
func.func @negative_formatted_as_string(%x: tensor<?xi64>) -> tensor<*xi64> {
  %a = "tf.AsString"(%x) {T = i64, fill = "0", precision = -1 : i64, scientific = false, shortest = false, width = 5 : i64} : (tensor<?xi64>) -> tensor<*x!tf.string>
  %g = "tf.StringToHashBucketFast"(%a) {num_buckets = 7 : i64} : (tensor<*x!tf.string>) -> tensor<*xi64>
  return %g : tensor<*xi64>
}

// -----

/// negative_: the default lies outside [lo, hi): not an identity column's check.
// CHECK-LABEL: func.func @negative_default_out_of_range
// CHECK: tf.SelectV2
// CHECK-NOT: emb.range_filter
func.func @negative_default_out_of_range(%x: tensor<?xi64>) -> tensor<*xi64> {
  %lo = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %hi = "tf.Const"() {dtype = i64, value = dense<50> : tensor<i64>} : () -> tensor<*xi64>
  %d = "tf.Const"() {dtype = i64, value = dense<50> : tensor<i64>} : () -> tensor<*xi64>
  %shape = "tf.Shape"(%x) {out_type = i32} : (tensor<?xi64>) -> tensor<*xi32>
  %below = "tf.Less"(%x, %lo) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %above = "tf.GreaterEqual"(%x, %hi) : (tensor<?xi64>, tensor<*xi64>) -> tensor<*xi1>
  %out = "tf.LogicalOr"(%below, %above) : (tensor<*xi1>, tensor<*xi1>) -> tensor<*xi1>
  %fill = "tf.Fill"(%shape, %d) : (tensor<*xi32>, tensor<*xi64>) -> tensor<*xi64>
  %y = "tf.SelectV2"(%out, %fill, %x) : (tensor<*xi1>, tensor<*xi64>, tensor<?xi64>) -> tensor<*xi64>
  return %y : tensor<*xi64>
}

// -----

/// negative_: a table filled twice is not a plain vocabulary.
// CHECK-LABEL: func.func @negative_two_imports
// CHECK: tf.LookupTableFindV2
// CHECK-NOT: emb.vocabulary
func.func @negative_two_imports(%s: tensor<?x!tf.string>) -> tensor<*xi64> {
  %t = "tf.HashTableV2"() {key_dtype = !tf.string, value_dtype = i64} : () -> tensor<*x!tf.resource>
  %keys = "tf.Const"() {dtype = !tf.string, value = ["x"]} : () -> tensor<*x!tf.string>
  %v = "tf.Const"() {dtype = i64, value = dense<0> : tensor<1xi64>} : () -> tensor<*xi64>
  "tf.LookupTableImportV2"(%t, %keys, %v) : (tensor<*x!tf.resource>, tensor<*x!tf.string>, tensor<*xi64>) -> ()
  "tf.LookupTableImportV2"(%t, %keys, %v) : (tensor<*x!tf.resource>, tensor<*x!tf.string>, tensor<*xi64>) -> ()
  %d = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %y = "tf.LookupTableFindV2"(%t, %s, %d) : (tensor<*x!tf.resource>, tensor<?x!tf.string>, tensor<*xi64>) -> tensor<*xi64>
  return %y : tensor<*xi64>
}

// -----

// OOV buckets: absent keys (-1) become size + hash(key) mod k.
// CHECK-LABEL: func.func @oov_buckets
// CHECK: "emb.vocabulary"(%arg0) {default_id = -1 : i64, keys = ["x", "y"], num_oov_buckets = 3 : i64}
func.func @oov_buckets(%s: tensor<?x!tf.string>) -> tensor<*xi64> {
  %t = "tf.HashTableV2"() {key_dtype = !tf.string, value_dtype = i64} : () -> tensor<*x!tf.resource>
  %keys = "tf.Const"() {dtype = !tf.string, value = ["x", "y"]} : () -> tensor<*x!tf.string>
  %v = "tf.Const"() {dtype = i64, value = dense<[0, 1]> : tensor<2xi64>} : () -> tensor<*xi64>
  "tf.LookupTableImportV2"(%t, %keys, %v) : (tensor<*x!tf.resource>, tensor<*x!tf.string>, tensor<*xi64>) -> ()
  %d = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %found = "tf.LookupTableFindV2"(%t, %s, %d) : (tensor<*x!tf.resource>, tensor<?x!tf.string>, tensor<*xi64>) -> tensor<*xi64>
  %h = "tf.StringToHashBucketFast"(%s) {num_buckets = 3 : i64} : (tensor<?x!tf.string>) -> tensor<*xi64>
  %size = "tf.LookupTableSizeV2"(%t) : (tensor<*x!tf.resource>) -> tensor<*xi64>
  %oov = "tf.AddV2"(%h, %size) : (tensor<*xi64>, tensor<*xi64>) -> tensor<*xi64>
  %in = "tf.NotEqual"(%found, %d) : (tensor<*xi64>, tensor<*xi64>) -> tensor<*xi1>
  %y = "tf.SelectV2"(%in, %found, %oov) : (tensor<*xi1>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %y : tensor<*xi64>
}

// -----

/// negative_: the OOV ids are offset by a value the request computes.
// CHECK-LABEL: func.func @negative_oov_offset_not_constant
// CHECK: tf.SelectV2
func.func @negative_oov_offset_not_constant(%s: tensor<?x!tf.string>, %n: tensor<i64>) -> tensor<*xi64> {
  %t = "tf.HashTableV2"() {key_dtype = !tf.string, value_dtype = i64} : () -> tensor<*x!tf.resource>
  %keys = "tf.Const"() {dtype = !tf.string, value = ["x", "y"]} : () -> tensor<*x!tf.string>
  %v = "tf.Const"() {dtype = i64, value = dense<[0, 1]> : tensor<2xi64>} : () -> tensor<*xi64>
  "tf.LookupTableImportV2"(%t, %keys, %v) : (tensor<*x!tf.resource>, tensor<*x!tf.string>, tensor<*xi64>) -> ()
  %d = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %found = "tf.LookupTableFindV2"(%t, %s, %d) : (tensor<*x!tf.resource>, tensor<?x!tf.string>, tensor<*xi64>) -> tensor<*xi64>
  %h = "tf.StringToHashBucketFast"(%s) {num_buckets = 3 : i64} : (tensor<?x!tf.string>) -> tensor<*xi64>
  %oov = "tf.AddV2"(%h, %n) : (tensor<*xi64>, tensor<i64>) -> tensor<*xi64>
  %in = "tf.NotEqual"(%found, %d) : (tensor<*xi64>, tensor<*xi64>) -> tensor<*xi1>
  %y = "tf.SelectV2"(%in, %found, %oov) : (tensor<*xi1>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %y : tensor<*xi64>
}

// -----

// Keras' StringLookup with 2 OOV indices: keys numbered from 2 (first_id),
// an absent key hashed into [0, 2) (oov_base 0), the select the other way
// round (Equal).
// CHECK-LABEL: func.func @keras_oov_indices
// CHECK: "emb.vocabulary"(%arg0) {default_id = -1 : i64, first_id = 2 : i64, keys = ["x", "y"], num_oov_buckets = 2 : i64, oov_base = 0 : i64}
// CHECK-NOT: tf.SelectV2
func.func @keras_oov_indices(%s: tensor<?x!tf.string>) -> tensor<*xi64> {
  %t = "tf.HashTableV2"() {key_dtype = !tf.string, value_dtype = i64} : () -> tensor<*x!tf.resource>
  %keys = "tf.Const"() {dtype = !tf.string, value = ["x", "y"]} : () -> tensor<*x!tf.string>
  %v = "tf.Const"() {dtype = i64, value = dense<[2, 3]> : tensor<2xi64>} : () -> tensor<*xi64>
  "tf.LookupTableImportV2"(%t, %keys, %v) : (tensor<*x!tf.resource>, tensor<*x!tf.string>, tensor<*xi64>) -> ()
  %d = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %found = "tf.LookupTableFindV2"(%t, %s, %d) : (tensor<*x!tf.resource>, tensor<?x!tf.string>, tensor<*xi64>) -> tensor<*xi64>
  %h = "tf.StringToHashBucketFast"(%s) {num_buckets = 2 : i64} : (tensor<?x!tf.string>) -> tensor<*xi64>
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %oov = "tf.AddV2"(%h, %zero) : (tensor<*xi64>, tensor<*xi64>) -> tensor<*xi64>
  %absent = "tf.Equal"(%found, %d) : (tensor<*xi64>, tensor<*xi64>) -> tensor<*xi1>
  %y = "tf.SelectV2"(%absent, %oov, %found) : (tensor<*xi1>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xi64>
  return %y : tensor<*xi64>
}
