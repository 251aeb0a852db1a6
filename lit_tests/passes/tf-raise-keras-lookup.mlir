// tf-raise-keras-lookup: Keras Embedding lookups (GatherV2 of a constant
// table by a dense id input) become emb.lookup.
// RUN: %recom_opt %s --allow-unregistered-dialect --split-input-file --pass-pipeline='builtin.module(tf-raise-keras-lookup)' | FileCheck %s

// Embedding + Flatten of one id per row: a sum lookup of the input's entries.
// CHECK-LABEL: func.func @flattened
// CHECK: %[[S:.+]]:3 = "emb.sparse_from_dense"(%arg0) {ignore_value} : (tensor<?x1xi64>)
// CHECK: %[[T:.+]] = "emb.table"() {name = "user/embeddings"} : () -> tensor<50x4xf32>
// CHECK: %[[R:.+]] = "emb.coo_rows"(%[[S]]#0, %[[S]]#2)
// CHECK: "emb.lookup"(%[[T]], %[[S]]#1, %[[R]]) {combiner = "sum", on_out_of_range = "error"}
func.func @flattened(%ids: tensor<?x1xi64>) -> tensor<*xf32> {
  %t = "tf.Const"() {dtype = f32, value_ref = "user/embeddings", value_shape = array<i64: 50, 4>} : () -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %g = "tf.GatherV2"(%t, %ids, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xf32>
  %shape = "tf.Const"() {dtype = i32, value = dense<[-1, 4]> : tensor<2xi32>} : () -> tensor<*xi32>
  %f = "tf.Reshape"(%g, %shape) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %f : tensor<*xf32>
}

// -----

// A masked mean over padded int32 ids (mask = ids != 0, count kept >= eps):
// a mean lookup of the ids != 0.
// CHECK-LABEL: func.func @masked_mean
// CHECK: %[[S:.+]]:3 = "emb.sparse_from_dense"(%arg0) {ignore_value = 0 : i64} : (tensor<?x20xi32>) -> (tensor<?x2xi64>, tensor<?xi64>, tensor<2xi64>)
// CHECK: "emb.lookup"(%{{.+}}, %[[S]]#1, %{{.+}}) {combiner = "mean", on_out_of_range = "error"}
// CHECK-NOT: tf.RealDiv
func.func @masked_mean(%ids: tensor<?x20xi32>) -> tensor<*xf32> {
  %t = "tf.Const"() {dtype = f32, value_ref = "items", value_shape = array<i64: 100, 8>} : () -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %g = "tf.GatherV2"(%t, %ids, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<?x20xi32>, tensor<*xi32>) -> tensor<*xf32>
  %zero = "tf.Const"() {dtype = i32, value = dense<0> : tensor<i32>} : () -> tensor<*xi32>
  %ne = "tf.NotEqual"(%ids, %zero) : (tensor<?x20xi32>, tensor<*xi32>) -> tensor<*xi1>
  %m = "tf.Cast"(%ne) {DstT = f32, SrcT = i1} : (tensor<*xi1>) -> tensor<*xf32>
  %last = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<i32>} : () -> tensor<*xi32>
  %m3 = "tf.ExpandDims"(%m, %last) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %prod = "tf.Mul"(%g, %m3) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %s = "tf.Sum"(%prod, %one) {keep_dims = false} : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %n = "tf.Sum"(%m, %one) {keep_dims = true} : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %eps = "tf.Const"() {dtype = f32, value = dense<1.0e-7> : tensor<f32>} : () -> tensor<*xf32>
  %nn = "tf.Maximum"(%n, %eps) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %mean = "tf.RealDiv"(%s, %nn) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  return %mean : tensor<*xf32>
}

// -----

// A Hashing layer in front: the hash is repeated on the flattened strings.
// CHECK-LABEL: func.func @hashed
// CHECK: %[[S:.+]]:3 = "emb.sparse_from_dense"(%arg0) {ignore_value} : (tensor<?x1x!tf.string>)
// CHECK: %[[H:.+]] = "tf.StringToHashBucketFast"(%[[S]]#1) {num_buckets = 30 : i64} : (tensor<?x!tf.string>) -> tensor<?xi64>
// CHECK: "emb.lookup"(%{{.+}}, %[[H]], %{{.+}}) {combiner = "sum"
func.func @hashed(%s: tensor<?x1x!tf.string>) -> tensor<*xf32> {
  %h = "tf.StringToHashBucketFast"(%s) {num_buckets = 30 : i64} : (tensor<?x1x!tf.string>) -> tensor<*xi64>
  %t = "tf.Const"() {dtype = f32, value_ref = "city", value_shape = array<i64: 30, 2>} : () -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %g = "tf.GatherV2"(%t, %h, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<*xi64>, tensor<*xi64>) -> tensor<*xf32>
  %shape = "tf.Const"() {dtype = i32, value = dense<[-1, 2]> : tensor<2xi32>} : () -> tensor<*xi32>
  %f = "tf.Reshape"(%g, %shape) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %f : tensor<*xf32>
}

// -----

// Keras' Reshape / Flatten layers build the target from the batch:
// Pack(Shape(g)[0], D), or, once tf-shape-construct moved that, a value whose
// symbolic content is [the gather's batch, D].
// CHECK-LABEL: func.func @reshape_of_the_batch
// CHECK-COUNT-2: "emb.lookup"
// CHECK-NOT: tf.Reshape
func.func @reshape_of_the_batch(%ids: tensor<?x1xi64>, %target: tensor<2xi32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %t = "tf.Const"() {dtype = f32, value_ref = "user/embeddings", value_shape = array<i64: 50, 4>} : () -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %g = "tf.GatherV2"(%t, %ids, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xf32>
  %shape = "tf.Shape"(%g) {out_type = i32} : (tensor<*xf32>) -> tensor<*xi32>
  %b0 = "tf.Const"() {dtype = i32, value = dense<0> : tensor<1xi32>} : () -> tensor<*xi32>
  %b1 = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %batch = "tf.StridedSlice"(%shape, %b0, %b1, %b1) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 0 : i64, new_axis_mask = 0 : i64, shrink_axis_mask = 1 : i64} : (tensor<*xi32>, tensor<*xi32>, tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %four = "tf.Const"() {dtype = i32, value = dense<4> : tensor<i32>} : () -> tensor<*xi32>
  %packed = "tf.Pack"(%batch, %four) {axis = 0 : i64} : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  %r0 = "tf.Reshape"(%g, %packed) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %h = "tf.GatherV2"(%t, %ids, %axis) {batch_dims = 0 : i64, symshape.shapes = ["[s0, 1, 4]"]} : (tensor<*xf32>, tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xf32>
  %sym = "tf.Identity"(%target) {symshape.values = ["[s0, 4]"]} : (tensor<2xi32>) -> tensor<*xi32>
  %r1 = "tf.Reshape"(%h, %sym) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %r0, %r1 : tensor<*xf32>, tensor<*xf32>
}

// -----

/// negative_: a reshape to another batch, or to another width, is left
/// alone.
// CHECK-LABEL: func.func @negative_flattened
// CHECK-NOT: emb.lookup
func.func @negative_flattened(%ids: tensor<?x3xi64>, %one: tensor<?x1xi64>, %target: tensor<2xi32>) -> (tensor<*xf32>, tensor<*xf32>) {
  %t = "tf.Const"() {dtype = f32, value_ref = "user/embeddings", value_shape = array<i64: 50, 4>} : () -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %g = "tf.GatherV2"(%t, %ids, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<?x3xi64>, tensor<*xi64>) -> tensor<*xf32>
  %shape = "tf.Const"() {dtype = i32, value = dense<[-1, 6]> : tensor<2xi32>} : () -> tensor<*xi32>
  %f = "tf.Reshape"(%g, %shape) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %h = "tf.GatherV2"(%t, %one, %axis) {batch_dims = 0 : i64, symshape.shapes = ["[s0, 1, 4]"]} : (tensor<*xf32>, tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xf32>
  %sym = "tf.Identity"(%target) {symshape.values = ["[s1, 4]"]} : (tensor<2xi32>) -> tensor<*xi32>
  %r = "tf.Reshape"(%h, %sym) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %f, %r : tensor<*xf32>, tensor<*xf32>
}

// -----

// Several ids per row, flattened (Embedding of [B, 3] ids + Flatten): one
// lookup per column of the ids, concatenated.
// CHECK-LABEL: func.func @flattened_ids
// CHECK: "emb.sparse_from_dense"(%arg0) {column = 0 : i64, ignore_value}
// CHECK: "emb.lookup"
// CHECK: "emb.sparse_from_dense"(%arg0) {column = 1 : i64, ignore_value}
// CHECK: "emb.lookup"
// CHECK: "emb.sparse_from_dense"(%arg0) {column = 2 : i64, ignore_value}
// CHECK: %[[L2:.+]] = "emb.lookup"
// CHECK: "tf.ConcatV2"({{.*}}%[[L2]], %{{.+}}) {recom.flattened} : ({{.*}}) -> tensor<?x12xf32>
// CHECK-NOT: tf.Reshape
func.func @flattened_ids(%ids: tensor<?x3xi64>) -> tensor<*xf32> {
  %t = "tf.Const"() {dtype = f32, value_ref = "user/embeddings", value_shape = array<i64: 50, 4>} : () -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %g = "tf.GatherV2"(%t, %ids, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<?x3xi64>, tensor<*xi64>) -> tensor<*xf32>
  %shape = "tf.Const"() {dtype = i32, value = dense<[-1, 12]> : tensor<2xi32>} : () -> tensor<*xi32>
  %f = "tf.Reshape"(%g, %shape) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %f : tensor<*xf32>
}

// -----

// A StringLookup with 2 OOV indices in front (absent keys hashed into the
// OOV indices, SelectV2 of Equal): the whole lookup-or-hash is repeated on
// the flattened strings, for tf-raise-id-transforms to raise.
// CHECK-LABEL: func.func @string_lookup_oov
// CHECK: %[[S:.+]]:3 = "emb.sparse_from_dense"(%arg0) {ignore_value}
// CHECK: %[[F:.+]] = "tf.LookupTableFindV2"(%{{.+}}, %[[S]]#1, %{{.+}}) {{.*}}-> tensor<?xi64>
// CHECK: %[[H:.+]] = "tf.StringToHashBucketFast"(%[[S]]#1) {num_buckets = 2 : i64}
// CHECK: %[[A:.+]] = "tf.AddV2"(%[[H]], %{{.+}})
// CHECK: %[[E:.+]] = "tf.Equal"(%[[F]], %{{.+}}) {{.*}}-> tensor<?xi1>
// CHECK: %[[I:.+]] = "tf.SelectV2"(%[[E]], %[[A]], %[[F]])
// CHECK: "emb.lookup"(%{{.+}}, %[[I]], %{{.+}}) {combiner = "sum"
func.func @string_lookup_oov(%s: tensor<?x1x!tf.string>) -> tensor<*xf32> {
  %t = "tf.HashTableV2"() {key_dtype = !tf.string, value_dtype = i64} : () -> tensor<*x!tf.resource>
  %d = "tf.Const"() {dtype = i64, value = dense<-1> : tensor<i64>} : () -> tensor<*xi64>
  %found = "tf.LookupTableFindV2"(%t, %s, %d) : (tensor<*x!tf.resource>, tensor<?x1x!tf.string>, tensor<*xi64>) -> tensor<*xi64>
  %h = "tf.StringToHashBucketFast"(%s) {num_buckets = 2 : i64} : (tensor<?x1x!tf.string>) -> tensor<*xi64>
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %oov = "tf.AddV2"(%h, %zero) : (tensor<*xi64>, tensor<*xi64>) -> tensor<*xi64>
  %absent = "tf.Equal"(%found, %d) : (tensor<*xi64>, tensor<*xi64>) -> tensor<*xi1>
  %ids = "tf.SelectV2"(%absent, %oov, %found) : (tensor<*xi1>, tensor<*xi64>, tensor<*xi64>) -> tensor<?x1xi64>
  %table = "tf.Const"() {dtype = f32, value_ref = "city", value_shape = array<i64: 12, 2>} : () -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %g = "tf.GatherV2"(%table, %ids, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<?x1xi64>, tensor<*xi64>) -> tensor<*xf32>
  %shape = "tf.Const"() {dtype = i32, value = dense<[-1, 2]> : tensor<2xi32>} : () -> tensor<*xi32>
  %f = "tf.Reshape"(%g, %shape) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %f : tensor<*xf32>
}

// -----

/// negative_: a computed table, a pooling along axis 2 (the embedding's),
/// and a mask of another input are left alone.
// CHECK-LABEL: func.func @negative_left_alone
// CHECK-NOT: emb.lookup
func.func @negative_left_alone(%ids: tensor<?x5xi64>, %other: tensor<?x5xi64>, %w: tensor<*xf32>) -> (tensor<*xf32>, tensor<*xf32>, tensor<*xf32>) {
  %t = "tf.Const"() {dtype = f32, value_ref = "items", value_shape = array<i64: 100, 8>} : () -> tensor<*xf32>
  %axis = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %computed = "tf.Sqrt"(%w) : (tensor<*xf32>) -> tensor<*xf32>
  %g0 = "tf.GatherV2"(%computed, %ids, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<?x5xi64>, tensor<*xi64>) -> tensor<*xf32>
  %one = "tf.Const"() {dtype = i32, value = dense<1> : tensor<1xi32>} : () -> tensor<*xi32>
  %a = "tf.Sum"(%g0, %one) {keep_dims = false} : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %g = "tf.GatherV2"(%t, %ids, %axis) {batch_dims = 0 : i64} : (tensor<*xf32>, tensor<?x5xi64>, tensor<*xi64>) -> tensor<*xf32>
  %two = "tf.Const"() {dtype = i32, value = dense<2> : tensor<1xi32>} : () -> tensor<*xi32>
  %b = "tf.Sum"(%g, %two) {keep_dims = false} : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %zero = "tf.Const"() {dtype = i64, value = dense<0> : tensor<i64>} : () -> tensor<*xi64>
  %ne = "tf.NotEqual"(%other, %zero) : (tensor<?x5xi64>, tensor<*xi64>) -> tensor<*xi1>
  %m = "tf.Cast"(%ne) {DstT = f32, SrcT = i1} : (tensor<*xi1>) -> tensor<*xf32>
  %last = "tf.Const"() {dtype = i32, value = dense<-1> : tensor<i32>} : () -> tensor<*xi32>
  %m3 = "tf.ExpandDims"(%m, %last) : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  %prod = "tf.Mul"(%g, %m3) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
  %c = "tf.Sum"(%prod, %one) {keep_dims = false} : (tensor<*xf32>, tensor<*xi32>) -> tensor<*xf32>
  return %a, %b, %c : tensor<*xf32>, tensor<*xf32>, tensor<*xf32>
}
