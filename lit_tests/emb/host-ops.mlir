// Round trip of the host-side emb ops (string ids use TensorFlow's
// !tf.string, an opaque type: the tf dialect is not registered).
// RUN: %recom_opt %s --allow-unregistered-dialect --pass-pipeline='builtin.module(recom-verify)' | %recom_opt --allow-unregistered-dialect | FileCheck %s

// Host-side ops of raised TensorFlow columns: string hashing, vocabularies,
// COO -> CSR.
// CHECK-LABEL: func.func @host_side
func.func @host_side(%s: tensor<?x!tf.string>, %k: tensor<?xi64>, %ind: tensor<?x2xi64>, %shape: tensor<2xi64>)
    -> (tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>) {
  // CHECK: "emb.hash_bucket"(%{{.+}}) {num_buckets = 100 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  %h = "emb.hash_bucket"(%s) {num_buckets = 100 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  // CHECK: "emb.vocabulary"(%{{.+}}) {default_id = -1 : i64, keys = ["a", "b"]} : (tensor<?x!tf.string>) -> tensor<?xi64>
  %v = "emb.vocabulary"(%s) {keys = ["a", "b"], default_id = -1 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  // CHECK: "emb.vocabulary"(%{{.+}}) {default_id = 2 : i64, keys = [7, 9]} : (tensor<?xi64>) -> tensor<?xi64>
  %w = "emb.vocabulary"(%k) {keys = [7, 9], default_id = 2 : i64} : (tensor<?xi64>) -> tensor<?xi64>
  // CHECK: "emb.coo_rows"(%{{.+}}, %{{.+}}) : (tensor<?x2xi64>, tensor<2xi64>) -> tensor<?xi64>
  %r = "emb.coo_rows"(%ind, %shape) : (tensor<?x2xi64>, tensor<2xi64>) -> tensor<?xi64>
  return %h, %v, %w, %r : tensor<?xi64>, tensor<?xi64>, tensor<?xi64>, tensor<?xi64>
}

// CHECK-LABEL: func.func @dense
// CHECK: "emb.sparse_from_dense"(%{{.+}}) {ignore_value = -1 : i64} : (tensor<?x3xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
func.func @dense(%x: tensor<?x3xi64>) -> tensor<?xi64> {
  %s:3 = "emb.sparse_from_dense"(%x) {ignore_value = -1 : i64} : (tensor<?x3xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return %s#1 : tensor<?xi64>
}

// One column of a dense input (a flattened Keras lookup of several ids).
// CHECK-LABEL: func.func @dense_column
// CHECK: "emb.sparse_from_dense"(%{{.+}}) {column = 2 : i64, ignore_value} : (tensor<?x3xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
func.func @dense_column(%x: tensor<?x3xi64>) -> tensor<?xi64> {
  %s:3 = "emb.sparse_from_dense"(%x) {column = 2 : i64, ignore_value} : (tensor<?x3xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return %s#1 : tensor<?xi64>
}

// CHECK-LABEL: func.func @float_entries
// CHECK: "emb.float_entries"(%{{.+}}) : (tensor<?x3xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
func.func @float_entries(%x: tensor<?x3xi64>) -> tensor<?xi64> {
  %s:3 = "emb.float_entries"(%x) : (tensor<?x3xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return %s#1 : tensor<?xi64>
}

// CHECK-LABEL: func.func @bucketized
// CHECK: "emb.bucketized_sparse"(%{{.+}}) {boundaries = array<f64: 1.000000e+00, 2.000000e+00>} : (tensor<?x2xf32>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
func.func @bucketized(%x: tensor<?x2xf32>) -> tensor<?xi64> {
  %s:3 = "emb.bucketized_sparse"(%x) {boundaries = array<f64: 1.0, 2.0>} : (tensor<?x2xf32>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return %s#1 : tensor<?xi64>
}

// CHECK-LABEL: func.func @cross
// CHECK: "emb.fingerprint"
// CHECK: "emb.cross_hashed"({{.+}}) {hash_key = 7 : i64, num_buckets = 10 : i64, operandSegmentSizes = array<i32: 2, 2, 2>}
func.func @cross(%i: tensor<?x2xi64>, %s: tensor<?x!tf.string>, %v: tensor<?xi64>, %shape: tensor<2xi64>) -> tensor<?xi64> {
  %f = "emb.fingerprint"(%s) : (tensor<?x!tf.string>) -> tensor<?xi64>
  %x:3 = "emb.cross_hashed"(%i, %i, %f, %v, %shape, %shape) {num_buckets = 10 : i64, hash_key = 7 : i64, operandSegmentSizes = array<i32: 2, 2, 2>} : (tensor<?x2xi64>, tensor<?x2xi64>, tensor<?xi64>, tensor<?xi64>, tensor<2xi64>, tensor<2xi64>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return %x#1 : tensor<?xi64>
}

// CHECK-LABEL: func.func @numeric
// CHECK: "emb.numeric_input"(%{{.+}}) {column = 1 : i64, scale = 2.000000e+00 : f64, shift = 1.000000e+00 : f64} : (tensor<?x2xf32>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
// CHECK: "emb.coo_rows"(%{{.+}}) : (tensor<?x2xi64>) -> tensor<?xi64>
func.func @numeric(%x: tensor<?x2xf32>, %i: tensor<?x2xi64>) -> (tensor<?xf32>, tensor<?xi64>) {
  %n:3 = "emb.numeric_input"(%x) {column = 1 : i64, shift = 1.0 : f64, scale = 2.0 : f64} : (tensor<?x2xf32>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  %r = "emb.coo_rows"(%i) : (tensor<?x2xi64>) -> tensor<?xi64>
  return %n#2, %r : tensor<?xf32>, tensor<?xi64>
}

// CHECK-LABEL: func.func @split
// CHECK: "emb.string_split"(%{{.+}}) {maxsplit = -1 : i64, sep = ";"} : (tensor<?x!tf.string>) -> (tensor<?x2xi64>, tensor<?x!tf.string>, tensor<2xi64>)
func.func @split(%s: tensor<?x!tf.string>) -> tensor<?x!tf.string> {
  %t:3 = "emb.string_split"(%s) {sep = ";", maxsplit = -1 : i64} : (tensor<?x!tf.string>) -> (tensor<?x2xi64>, tensor<?x!tf.string>, tensor<2xi64>)
  return %t#1 : tensor<?x!tf.string>
}

// Keras: a StringLookup numbers its keys after its OOV index (first_id), a
// dense int32 input's entries become i64 ids, a [?, 1] float input is
// bucketized.
// CHECK-LABEL: func.func @keras_inputs
// CHECK: "emb.vocabulary"(%{{.+}}) {default_id = 0 : i64, first_id = 1 : i64, keys = ["a", "b"]}
// CHECK: "emb.sparse_from_dense"(%{{.+}}) {ignore_value} : (tensor<?x10xi32>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
func.func @keras_inputs(%s: tensor<?x!tf.string>, %ids: tensor<?x10xi32>) -> (tensor<?xi64>, tensor<?xi64>) {
  %v = "emb.vocabulary"(%s) {keys = ["a", "b"], default_id = 0 : i64, first_id = 1 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
  %d:3 = "emb.sparse_from_dense"(%ids) {ignore_value} : (tensor<?x10xi32>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
  return %v, %d#1 : tensor<?xi64>, tensor<?xi64>
}

// CHECK-LABEL: func.func @string_refs
func.func @string_refs(%s: tensor<?x!tf.string>, %o: tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>) {
  // CHECK: %[[R:.+]] = "emb.string_refs"(%{{.+}}) : (tensor<?x!tf.string>) -> tensor<?xi64>
  // CHECK: "emb.pack_inputs"(%[[R]], %{{.+}})
  %r = "emb.string_refs"(%s) : (tensor<?x!tf.string>) -> tensor<?xi64>
  %p:3 = "emb.pack_inputs"(%r, %o) {operandSegmentSizes = array<i32: 1, 1, 0>, weighted = array<i1: false>} : (tensor<?xi64>, tensor<?xi64>) -> (tensor<?xi64>, tensor<?xi64>, tensor<?xf32>)
  return %p#0, %p#1, %p#2 : tensor<?xi64>, tensor<?xi64>, tensor<?xf32>
}
